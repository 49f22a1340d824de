"""Observing the world for the plan: manifests, data fingerprints, recorded models and deployments, and what
each deployment's target serves. ``collect_inputs`` is the only part of planning that touches files, the state
store and remote targets; it must stay fast (no spaCy, no numpy). ``make_plan`` = observe + decide."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from nerspec import safeio
from nerspec.plan.actions import Plan
from nerspec.plan.decide import compute_plan
from nerspec.plan.inputs import Hold, ObservedDeployment, PreviousModel, ProjectInputs, StagedRollout
from nerspec.plan.target_checks import check_targets

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.deploy.other_states import OtherStates
    from nerspec.deploy.targets import TargetContext
    from nerspec.fingerprints.data import DataFingerprint
    from nerspec.fingerprints.stat_cache import StatCache
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.state.sql import JsonObject
    from nerspec.state.store import DeploymentRecord, HistoryRecord, RolloutRecord, Store

# document_hashes(project, rename) -> {document id: hash}: loads the corpus, only when the data changed
DocumentHashes = Callable[["LoadedProject", "dict[str, str] | None"], "dict[str, str]"]


class CorpusSource(Protocol):
    """Where planning gets a project's corpus from (apply's ``RunParts``; None: ``nerspec.corpus.load``)."""

    @property
    def load_corpus(self) -> Callable[..., Corpus] | None: ...


def make_plan(
    projects: list[LoadedProject], paths: StatePaths, store: Store, parts: CorpusSource | None = None,
    corpora: dict[str, Corpus] | None = None, *, retry: frozenset[str] = frozenset(),
) -> Plan:
    """Observe the world, then decide. Corpora loaded on the way are kept in ``corpora`` (by project name);
    ``retry``: deployments whose held-back model the user asked to deploy again."""
    from nerspec.corpus.split_record import with_recorded_splits

    projects = with_recorded_splits(projects, store)  # stratified split sides are observed state
    inputs = collect_inputs(projects, paths, store, document_hashes_loader(paths, parts, corpora), retry=retry)
    plan = compute_plan(inputs, store.snapshot()["sha256"])
    from nerspec.deploy.monitoring import changes

    by_project = {p.name: p for p in plan.projects}
    for project, _, _, line in changes(store, projects):  # what the servers log: apply records it, nothing else
        if project in by_project:
            by_project[project].notes.append(f"monitoring will change: {line} (recorded by `nerspec apply`)")
    return plan


def document_hashes_loader(
    paths: StatePaths, parts: CorpusSource | None = None, corpora: dict[str, Corpus] | None = None
) -> DocumentHashes:
    """For ``collect_inputs``: document hashes of a project's current corpus (loaded only when data changed),
    with labels renamed back to the names the previous model's hashes used. Loaded corpora are kept in
    ``corpora`` (by project name) for the data checks that follow."""
    from nerspec.corpus.load import load_corpus as default_load_corpus

    load_corpus = (parts.load_corpus if parts is not None else None) or default_load_corpus

    def load(project: LoadedProject, rename: dict[str, str] | None = None) -> dict[str, str]:
        from nerspec.fingerprints.documents import document_hashes

        corpus = load_corpus(project, paths.sources)
        if corpora is not None:
            corpora[project.name] = corpus
        return document_hashes(corpus, rename)

    return load


def test_key(data_fingerprint: str, training_inputs: JsonObject) -> str:
    """Identifies a test set as scored: the split is a pure function of the data and the split settings, and the
    gold labels of the label schema (a rename or merge relabels them, so a model's cached score must not be reused)."""
    text = json.dumps([data_fingerprint, training_inputs.get("split"), training_inputs.get("labels")], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def manifest_sha256(project: LoadedProject) -> str:
    text = json.dumps(project.manifest.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def artifact_files(artifact: Path, cache: StatCache | None) -> dict[str, str]:
    """relpath -> sha256 of every file of an artifact except evaluation.json (``nerspec.artifacts.file_hashes``)."""
    from nerspec.artifacts.layout import file_hashes

    return file_hashes(artifact, cache)


def collect_inputs(
    projects: list[LoadedProject], paths: StatePaths, store: Store, document_hashes: DocumentHashes | None = None,
    *, retry: frozenset[str] = frozenset(),
) -> list[ProjectInputs]:
    """Everything ``compute_plan`` needs. ``document_hashes(project, rename) -> dict`` loads the corpus; it is
    only called when the data changed since the previous model (plan's added/removed/relabeled counts)."""
    from nerspec.deploy.other_states import OtherStates
    from nerspec.deploy.targets import TargetContext
    from nerspec.fingerprints.model import versions
    from nerspec.fingerprints.stat_cache import StatCache

    cache = StatCache(paths.cache)
    # Model files are checked through a cache of their own: a few entries, not the data's 100,000.
    model_cache = StatCache(paths.cache, scope="artifacts")
    check_targets(projects)
    others = OtherStates.of(paths)  # a local state beside a shared one (`make demo`) explains its files
    world = _World(paths, store, TargetContext(paths, store, model_cache), cache, versions(), document_hashes, others,
                   retry)
    try:
        out = [_observe_project(project, world) for project in projects]
    finally:
        others.close()
    # The stat cache only speeds up the next plan; a state directory that does not exist yet is not created
    # for it (plan is read-only).
    if Path(paths.root).is_dir():
        try:
            cache.save()
            model_cache.save()
        except OSError:
            pass
    return out


@dataclass
class _World:
    """What observing one project reads: the state, the targets, the data's stat cache."""

    paths: StatePaths
    store: Store
    targets: TargetContext
    cache: StatCache
    versions: dict[str, str]
    document_hashes: DocumentHashes | None
    others: OtherStates
    retry: frozenset[str] = frozenset()


def _observe_project(project: LoadedProject, world: _World) -> ProjectInputs:
    from nerspec.deploy import local
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.fingerprints.model import model_fingerprint, training_inputs

    store, paths = world.store, world.paths
    data_fp = data_fingerprint(project, paths.cache, world.cache)
    candidate = model_fingerprint(project, data_fp, world.versions)
    record = store.get_model(candidate)
    damaged = orphan = False
    origin = None
    if record is not None:
        damaged = world.targets.model_damaged(candidate)
    else:  # a complete artifact this state never recorded, here or (published) in the shared store
        orphan = local.is_complete(local.artifact_dir(paths, candidate)) or (
            world.targets.artifact_store.remote and world.targets.artifact_store.exists(candidate))
        origin = world.others.model_recorded_by(candidate) if orphan else None  # else: an interrupted apply's
    recorded_deployments = store.deployments(project.name)
    previous = _previous(project, store, recorded_deployments, candidate)
    data_changes = file_changes = relabeled = None
    if record is None and previous is not None and previous.data_fingerprint != data_fp.sha256:
        data_changes, file_changes = _changes(project, store, previous, data_fp, world.document_hashes)
    if record is None and previous is not None:
        relabeled = _merge_counts(project, previous)
    return ProjectInputs(
        name=project.name,
        kind=project.kind,
        manifest_path=_display(project.path),
        manifest_sha256=manifest_sha256(project),
        training_inputs=training_inputs(project),
        versions=world.versions,
        data_fingerprint=data_fp.sha256,
        candidate=candidate,
        candidate_recorded=record.created if record is not None and not damaged else None,
        candidate_damaged=damaged,
        candidate_orphan=orphan,
        candidate_origin=origin,
        previous=previous,
        data_changes=data_changes,
        file_changes=file_changes,
        relabeled=relabeled,
        deployments=_observe_deployments(project, recorded_deployments, world),
    )


def _observe_deployments(
    project: LoadedProject, recorded_deployments: dict[str, DeploymentRecord], world: _World
) -> list[ObservedDeployment]:
    """Declared, recorded, and pointed-at deployments, each as its target serves it."""
    from nerspec.deploy import local
    from nerspec.deploy.intent import unfinished

    observed = []
    declared = {d.name: d for d in project.manifest.spec.deployments}
    intents = unfinished(world.paths, project.name, {n: r.fingerprint for n, r in recorded_deployments.items()})
    # Pointers the state has no row for (deleted by hand) are observed too: they serve a model.
    pointed = set(local.list_pointers(world.paths, project.name)) - set(declared) - set(recorded_deployments)
    staged = world.store.rollouts(project.name)
    for name in [*declared, *sorted((set(recorded_deployments) - set(declared)) | pointed)]:
        spec = declared.get(name)
        rec = recorded_deployments.get(name)
        target = spec.target.model_dump(mode="json") if spec is not None else (rec.target if rec else {})
        obs = ObservedDeployment(
            name=name,
            target=target,
            promote_from=spec.promote_from if spec is not None else None,
            desired=spec is not None,
            recorded=rec.fingerprint if rec else None,
        )
        _observe(obs, project.name, world.targets)
        if rec is None:  # a pointer another state on this machine deployed is neither new nor drift
            obs.actual_origin = world.others.deployment_recorded_by(project.name, name, obs.actual)
            obs.drift = [] if obs.actual_origin else obs.drift
        history = world.store.history(project.name, name)
        if rec is None and history and history[-1].action != "remove":
            obs.drift.append("the state's record of this deployment was deleted outside nerspec")
        obs.served = sorted({h.to_fp for h in history if h.to_fp and h.action != "rollout"})
        obs.holds = _holds(history)
        obs.rolled_back_from = [h.fingerprint for h in obs.holds]
        obs.settings, obs.retry = (spec.settings_sha256() if spec is not None else ""), name in world.retry
        if name in intents:
            obs.pending_to, obs.pending_reason = intents[name][0], intents[name][1].describe()
        if spec is not None and spec.rollout is not None:
            obs.rollout_strategy, obs.rollout_weight = spec.rollout.strategy, spec.rollout.weight
        if name in staged:
            obs.rollout = observe_rollout(world.store, project, staged[name])
        observed.append(obs)
    return observed


def observe_rollout(store: Store, project: LoadedProject, record: RolloutRecord) -> StagedRollout:
    """A staged candidate with the analysis of its observations (thresholds: the manifest's, else the defaults)."""
    from nerspec.kinds import kind_of
    from nerspec.plan.rollouts import Thresholds, analyze

    spec = {d.name: d for d in project.manifest.spec.deployments}.get(record.deployment)
    thresholds = Thresholds()
    if spec is not None and spec.rollout is not None:
        thresholds = Thresholds(**spec.rollout.analysis.model_dump())
    result = analyze(store.rollout_observations(record.id), thresholds, kind_of(project.kind).annotates_spans)
    return StagedRollout(record.id, record.candidate, record.production, record.strategy, record.started,
                         result.documents, result.agreement, result.error_rate, result.latency_ratio, result.verdict,
                         result.reasons, result.figures())


def _display(path: Path) -> str:
    from nerspec.manifest.load import display_path

    return display_path(path)


def artifact_intact(artifact: Path, recorded: dict[str, str], cache: StatCache | None) -> bool:
    """The artifact still has its ``meta.json`` and every file with the hash recorded (``nerspec.artifacts.intact``)."""
    from nerspec.artifacts.layout import intact

    return intact(artifact, recorded, cache)


def _previous(
    project: LoadedProject, store: Store, deployments: dict[str, DeploymentRecord], candidate: str
) -> PreviousModel | None:
    """The model the reasons compare against: the one in the first declared deployment, else the newest."""
    record = None
    for d in project.manifest.spec.deployments:
        if d.name in deployments:
            record = store.get_model(deployments[d.name].fingerprint)
            if record is not None:
                break
    if record is None:
        models = [m for m in store.models(project.name) if m.fingerprint != candidate]
        record = models[-1] if models else None
    if record is None:
        return None
    return PreviousModel(record.fingerprint, record.created, record.data_fingerprint, record.training_inputs, record.versions)


def _changes(
    project: LoadedProject, store: Store, previous: PreviousModel, data_fp: DataFingerprint,
    document_hashes: DocumentHashes | None,
) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    from nerspec.fingerprints.documents import diff_documents, rename_map
    from nerspec.fingerprints.model import label_inputs

    old_docs = store.document_hashes(previous.fingerprint)
    if old_docs is not None and document_hashes is not None:
        # The old hashes carry the labels' old names; hash the current corpus under those names, or a rename
        # would count every document carrying the renamed label as relabeled.
        rename = rename_map(previous.training_inputs.get("labels", []), label_inputs(project))
        try:
            new_docs = document_hashes(project, rename)
        except Exception:  # unreadable data is validate's job; the plan falls back to file counts
            new_docs = None
        if new_docs is not None:
            return diff_documents(old_docs, new_docs), None
    old_files = _artifact_data_files(store, previous.fingerprint)
    if old_files is None:
        return None, None
    new_files = data_fp.files
    return None, {
        "added": sum(1 for f in new_files if f not in old_files),
        "removed": sum(1 for f in old_files if f not in new_files),
        "modified": sum(1 for f, h in new_files.items() if f in old_files and old_files[f] != h),
    }


def _merge_counts(project: LoadedProject, previous: PreviousModel) -> dict[str, dict[str, int]] | None:
    """For every type that merges previous types since ``previous``: how many instances the data labels with
    each of those names (read from the files, before ``renamed_from`` maps them). Only read when a merge exists."""
    from nerspec.fingerprints.documents import previous_names

    old_names = {label["name"] for label in previous.training_inputs.get("labels", [])}
    merges = {label.name: [n for n in previous_names(label.model_dump()) if n in old_names]
              for label in project.manifest.spec.labels}
    merges = {name: sources for name, sources in merges.items() if len(sources) > 1 or (sources and name in old_names)}
    if not merges:
        return None
    from collections import Counter

    from nerspec.corpus.load import load_source
    from nerspec.errors import NerspecError

    counts: Counter[str] = Counter()
    try:
        for index, source in enumerate(project.manifest.spec.data):
            if source.path is None:
                continue  # never download in plan
            for doc in load_source(project, index):
                counts.update(s.label for s in doc.spans)
                counts.update(doc.labels)
    except NerspecError:
        return None  # unreadable data is validate's job
    return {name: {n: counts.get(n, 0) for n in sources} for name, sources in merges.items()}


def _artifact_data_files(store: Store, fingerprint: str) -> dict[str, str] | None:
    record = store.get_model(fingerprint)
    if record is None:
        return None
    if "://" in record.model_dir:
        return None  # in an object store: the counts fall back to "data changed"
    try:
        raw = json.loads(safeio.read_text(Path(record.model_dir) / "fingerprints.json"))
    except (OSError, ValueError):
        return None
    files = raw.get("data_files") or raw.get("files")
    return files if isinstance(files, dict) else None


def _observe(obs: ObservedDeployment, project: str, targets: TargetContext) -> None:
    """Ask the deployment's target what it serves (``nerspec.deploy.targets``: one table, no branches here)."""
    from nerspec.deploy.targets import target_for

    target_for(obs.target).observe(obs, project, targets)


def _holds(history: list[HistoryRecord]) -> list[Hold]:
    """Models a rollback moved away from and that no later deploy chose again, each with when, why and the
    deployment's settings then (the last rollback away from it counts)."""
    away: dict[str, Hold] = {}
    for h in history:
        if h.action == "rollback" and h.from_fp:
            away[h.from_fp] = Hold(h.from_fp, h.at, h.reason, h.settings)
        elif h.action in ("deploy", "swap", "rollback", "promote") and h.to_fp in away:
            del away[h.to_fp]
    return [away[fp] for fp in sorted(away)]
