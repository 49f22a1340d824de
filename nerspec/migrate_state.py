"""``nerspec state migrate``: copy a state and its models to another backend (like ``terraform init -migrate-state``).

Every kind of record the state store holds is copied, then read back from the target and compared:

- **Models** first (each artifact verified in the source, published to the target artifact store, then verified
  there by reading every file back and checking its sha256), then their records, evaluations (with the monitoring
  reference statistics stored in them) and document hashes, and each project's recorded split sides. A model the
  target already records keeps its record and evaluations (it may have been evaluated there since); it only gets
  the evaluations it lacks.
- **Each project's deployments, history and staged rollouts with their observations**, in one transaction, for
  the projects the target does not know yet (so a second run adds nothing twice). A project the target knows still
  gets a source rollout (by id) the target lacks when the target's deployment serves what that rollout started from
  (a target migrated before rollouts were copied) and the target's history records no change of that deployment
  since the rollout started that the source's does not (a rollout promoted, aborted, dropped or replaced there is
  deleted, not revived); one skipped is reported with its reason, not forced.
- **Monitoring**: each deployment's declared settings the target lacks (with when they were declared), and its logged documents (what ``monitor``
  and ``label next --pool`` read) older than the target's first one, one transaction per deployment; a second run
  copies none again, and documents servers already logged into the target stay.

Every step is idempotent (artifacts are content-addressed, records are added only where the target lacks them, or
all-or-nothing per project or deployment), so an interrupted migration is finished by running it again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from nerspec.errors import StateError
from nerspec.state.crashpoints import pause

if TYPE_CHECKING:
    from nerspec.artifacts.stores.base import ArtifactStore
    from nerspec.paths import StatePaths
    from nerspec.state.store import DeploymentRecord, HistoryRecord, ModelRecord, RolloutRecord, StagedRollout, Store


@dataclass(frozen=True)
class SkippedRollout:
    """A source rollout not copied: the target ended it, or its deployment moved on."""

    rollout: str  # project/deployment
    reason: str


@dataclass
class MigrationReport:
    models_copied: int = 0
    models_present: int = 0
    files_verified: int = 0
    projects_copied: list[str] = field(default_factory=list)
    projects_present: list[str] = field(default_factory=list)
    rollouts_copied: int = 0
    rollout_observations_copied: int = 0
    rollouts_skipped: list[SkippedRollout] = field(default_factory=list)
    monitoring_settings_copied: int = 0
    monitoring_documents_copied: int = 0


def migrate_state(source: StatePaths, target: StatePaths, progress: Callable[[str], None] | None = None) -> MigrationReport:
    from nerspec.state import open_store

    say = progress or (lambda _m: None)
    if source.describe() == target.describe() and source.artifacts_url == target.artifacts_url:
        raise StateError("the source and the target of the migration are the same")
    report = MigrationReport()
    with ExitStack() as opened:  # a target that cannot be opened leaves no source connection behind
        src = open_store(source, create=False)
        opened.callback(src.close)
        dst = open_store(target)
        opened.callback(dst.close)
        projects = sorted({m.project for m in src.all_models()} | {d.project for d in src.all_deployments()}
                          | {r.project for r in src.all_rollouts()} | {p for p, _ in src.monitoring_counts()}
                          | {p for p, _ in src.monitoring_settings()})
        with dst.locked("state migrate", projects):
            _copy_models(source, target, src, dst, report, say)
            pause("migrate-projects")  # test-only crash point: the models copied, no project's records yet
            for project in projects:
                _copy_project(src, dst, project, report)
            _copy_monitoring(src, dst, report, say)
    return report


def _copy_models(source: StatePaths, target: StatePaths, src: Store, dst: Store, report: MigrationReport,
                 say: Callable[[str], None]) -> None:
    from nerspec.artifacts import layout
    from nerspec.deploy.targets import TargetContext
    from nerspec.fingerprints.stat_cache import StatCache

    src_targets, dst_targets = TargetContext(source, src), TargetContext(target, dst)
    cache = StatCache(source.cache, scope="artifacts")
    for model in src.all_models():
        local = layout.local_dir(source, model.fingerprint, model.model_dir)
        if "://" in model.model_dir or not layout.is_complete(local):
            local = src_targets.local_model(model.fingerprint)
        if not layout.intact(local, model.artifact_files, cache):
            raise StateError(f"the files of model {model.fingerprint[:12]} ({model.project}) in {local} do not "
                             "match their recorded hashes; restore them (or forget the model) and migrate again")
        store, recorded = dst_targets.artifact_store, dst.get_model(model.fingerprint)
        present = recorded is not None
        say(f"{model.project}: {'verifying' if present else 'copying'} {model.fingerprint[:12]}")
        # A model the target trained itself may have other files (training is not bit-for-bit reproducible
        # everywhere): the target's are checked against its own record, never replaced by the source's.
        # A target row from before file lists were recorded names none: it is the source's model, check those.
        files = recorded.artifact_files if recorded is not None and recorded.artifact_files else model.artifact_files
        same_files = files == model.artifact_files
        if same_files:
            store.publish(model.fingerprint, local, files)
        report.files_verified += _verify(store, model.fingerprint, files)
        if not present:
            dst.record_model(_moved(model, store.location(model.fingerprint)), src.document_hashes(model.fingerprint))
            pause("migrate-model")  # test-only crash point: the model recorded, its evaluations not yet
        # A model already there keeps its record and its evaluations (the target may have evaluated it since); it
        # only gets those it lacks: a migration killed between the model's record and its evaluations.
        # The source's evaluations measured the source's files: none for a model the target trained to other bytes.
        there = dst.evaluations(model.fingerprint) if present else {}
        for key, evaluation in (src.evaluations(model.fingerprint) if same_files else {}).items():
            if key not in there:
                dst.record_evaluation(model.project, model.fingerprint, key, evaluation)
        if present:
            report.models_present += 1
        else:
            report.models_copied += 1
    cache.save()


def _copy_project(src: Store, dst: Store, project: str, report: MigrationReport) -> None:
    """Split sides (keeping stratified test sets where they are), then deployments, history and rollouts."""
    from nerspec.state.store import StagedRollout

    for key, sides in src.recorded_splits(project).items():
        dst.record_split(project, key, sides)
    staged = [StagedRollout(r, src.rollout_observations(r.id)) for r in src.rollouts(project).values()]
    if dst.deployments(project) or dst.history(project):
        report.projects_present.append(project)
        _add_missing_rollouts(src, dst, project, staged, report)
        return
    deployments, history = list(src.deployments(project).values()), src.history(project)
    if not (deployments or history or staged):
        return  # only models or monitoring rows: copied by their own steps, nothing of the project's own
    dst.import_project(project, deployments, history, staged)
    copied = dst.deployments(project)
    if ({d.deployment: d.fingerprint for d in deployments} != {d.deployment: d.fingerprint for d in copied.values()}
            or len(dst.history(project)) != len(history)):
        raise StateError(f"after copying project {project}, its deployments or history in the target differ from "
                         "the source's; run the migration again")
    report.projects_copied.append(project)
    _count_rollouts(dst, project, staged, report)


def _add_missing_rollouts(src: Store, dst: Store, project: str, staged: list[StagedRollout],
                          report: MigrationReport) -> None:
    """A target migrated before rollouts were copied gets each source rollout it lacks (by id: ids are kept across
    stores), unless the target moved on since that rollout started (``_moved_on``: an ended rollout is deleted, so
    only the history tells "never copied" from "promoted, aborted, dropped or replaced there"), holds another
    candidate on that deployment, or no longer serves what the rollout started from."""
    there, serving = dst.rollouts(project), dst.deployments(project)
    fits: list[StagedRollout] = []
    for s in staged:
        held = there.get(s.rollout.deployment)
        if held is not None and held.id == s.rollout.id:
            continue  # copied by an earlier run
        reason = _not_copied(src, dst, s.rollout, held, serving.get(s.rollout.deployment))
        if reason is None:
            fits.append(s)
        else:
            report.rollouts_skipped.append(SkippedRollout(f"{project}/{s.rollout.deployment}", reason))
    if fits:
        dst.import_project(project, [], [], fits)
        _count_rollouts(dst, project, fits, report)


def _not_copied(src: Store, dst: Store, rollout: RolloutRecord, held: RolloutRecord | None,
                serving: DeploymentRecord | None) -> str | None:
    """Why the target must not get ``rollout`` (which it lacks), or None."""
    if held is not None:
        return "the target holds another rollout on that deployment"
    moved = _moved_on(src, dst, rollout)
    if moved is not None:
        return moved
    if (serving.fingerprint if serving is not None else None) != rollout.production:
        return "the target's deployment no longer serves what it started from"
    return None


ROLLOUT_ACTIONS = ("rollout", "promote", "abort", "drop")  # history actions that start or end a rollout


def _moved_on(src: Store, dst: Store, rollout: RolloutRecord) -> str | None:
    """Why the target must not get ``rollout``: its history records a change of the rollout's deployment, made
    since the rollout started, that the source's history does not (entries a migration copied are in both); None
    when it records none.

    History entries name no rollout id, so "since it started" is by time: an entry of the second the rollout
    started counts (an end in that very second is not missed; a rollout staged in the second an earlier one
    ended is then skipped, reported, never revived). Counting the ends of the same candidate instead mixed
    rollouts up: an earlier rollout of the candidate ended in one store only revived or hid a later one."""
    def key(h: HistoryRecord) -> tuple[str, str | None, str | None, str, str, str]:
        return h.action, h.from_fp, h.to_fp, h.at, h.actor, h.reason

    started = _moment(rollout.started)
    copied = {key(h) for h in src.history(rollout.project, rollout.deployment)}
    since = [h for h in dst.history(rollout.project, rollout.deployment)
             if key(h) not in copied and (started is None or (_moment(h.at) or started) >= started)]
    if any(h.action in ROLLOUT_ACTIONS for h in since):
        return "the target ended it"
    return "the target changed its deployment since it started" if since else None


def _moment(text: str) -> datetime | None:
    """A recorded time; None if unreadable (then every entry counts as later: skipping is the safe side)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _count_rollouts(dst: Store, project: str, staged: list[StagedRollout], report: MigrationReport) -> None:
    """Read the copied rollouts back: the same records, and at least the observations copied (servers writing to
    the target may have added more since)."""
    there = dst.rollouts(project)
    for s in staged:
        copied = there.get(s.rollout.deployment)
        if copied != s.rollout or len(dst.rollout_observations(s.rollout.id)) < len(s.observations):
            raise StateError(f"after copying the rollout of {project}/{s.rollout.deployment}, the target's differs "
                             "from the source's; run the migration again")
        report.rollouts_copied += 1
        report.rollout_observations_copied += len(s.observations)


def _copy_monitoring(src: Store, dst: Store, report: MigrationReport, say: Callable[[str], None]) -> None:
    """Settings the target lacks; each deployment's logged documents older than the target's first one."""
    declared, source = dst.monitoring_settings(), src.monitoring_settings()
    updated = src.monitoring_settings_updated()  # read after the settings: an apply on the source may add a row
    for (project, deployment), settings in sorted(source.items()):
        if (project, deployment) not in declared and (project, deployment) in updated:
            dst.record_monitoring_settings(project, deployment, settings, updated[project, deployment])
            report.monitoring_settings_copied += 1
    for project, deployment in sorted(src.monitoring_counts()):
        there = dst.monitoring_documents(project, deployment, texts=False)
        first = there[0].at if there else float("inf")
        documents = [d for d in src.monitoring_documents(project, deployment) if d.at < first]
        if not documents:
            continue
        say(f"{project}/{deployment}: copying {len(documents)} logged document(s)")
        dst.record_monitoring_documents(documents)
        wanted = Counter((d.at, d.doc_id, d.fingerprint) for d in documents)
        found = Counter((d.at, d.doc_id, d.fingerprint) for d in dst.monitoring_documents(project, deployment,
                                                                                         texts=False))
        if wanted - found:
            raise StateError(f"after copying the logged documents of {project}/{deployment}, the target lacks "
                             f"{sum((wanted - found).values())} of them; run the migration again")
        report.monitoring_documents_copied += len(documents)


def _moved(model: ModelRecord, location: str) -> ModelRecord:
    from dataclasses import replace

    return replace(model, model_dir=location)


def _verify(store: ArtifactStore, fingerprint: str, recorded: dict[str, str]) -> int:
    """Read every file back from the target store and compare its sha256 with the recorded one."""
    mismatched = store.verify(fingerprint, recorded)
    if mismatched:
        raise StateError(f"after copying model {fingerprint[:12]}, {', '.join(mismatched)} in the target store do not "
                         "match the recorded hashes; nothing recorded for it, run the migration again")
    return len(recorded)
