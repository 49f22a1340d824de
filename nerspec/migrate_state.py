"""``nerspec state migrate``: copy a state and its models to another backend (like ``terraform init -migrate-state``).

Models first (each artifact verified in the source, published to the target artifact store, then verified there
by reading every file back and checking its sha256), then their records, evaluations and document hashes, then
each project's deployments and history (only for projects the target does not know yet, so a second run adds
nothing twice). Every step is idempotent: artifacts are content-addressed and records are upserts, so an
interrupted migration is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nerspec.errors import StateError

if TYPE_CHECKING:
    from nerspec.artifacts.stores.base import ArtifactStore
    from nerspec.paths import StatePaths
    from nerspec.state.store import ModelRecord


@dataclass
class MigrationReport:
    models_copied: int = 0
    models_present: int = 0
    files_verified: int = 0
    projects_copied: list[str] = field(default_factory=list)
    projects_present: list[str] = field(default_factory=list)


def migrate_state(source: StatePaths, target: StatePaths, progress: Callable[[str], None] | None = None) -> MigrationReport:
    from nerspec.artifacts import layout
    from nerspec.deploy.targets import TargetContext
    from nerspec.fingerprints.stat_cache import StatCache
    from nerspec.state import open_store

    say = progress or (lambda _m: None)
    if source.describe() == target.describe() and source.artifacts_url == target.artifacts_url:
        raise StateError("the source and the target of the migration are the same")
    src, dst = open_store(source, create=False), open_store(target)
    report = MigrationReport()
    try:
        models = src.all_models()
        projects = sorted({m.project for m in models} | {d.project for d in src.all_deployments()})
        with dst.locked("state migrate", projects):
            src_targets, dst_targets = TargetContext(source, src), TargetContext(target, dst)
            cache = StatCache(source.cache, scope="artifacts")
            for model in models:
                local = layout.local_dir(source, model.fingerprint, model.model_dir)
                if "://" in model.model_dir or not layout.is_complete(local):
                    local = src_targets.local_model(model.fingerprint)
                if not layout.intact(local, model.artifact_files, cache):
                    raise StateError(f"the files of model {model.fingerprint[:12]} ({model.project}) in {local} do not "
                                     "match their recorded hashes; restore them (or forget the model) and migrate again")
                store = dst_targets.artifact_store
                present = dst.get_model(model.fingerprint) is not None
                say(f"{model.project}: {'verifying' if present else 'copying'} {model.fingerprint[:12]}")
                store.publish(model.fingerprint, local, model.artifact_files)
                report.files_verified += _verify(store, model.fingerprint, model.artifact_files)
                location = store.location(model.fingerprint)
                dst.record_model(_moved(model, location), src.document_hashes(model.fingerprint))
                for key, evaluation in src.evaluations(model.fingerprint).items():
                    dst.record_evaluation(model.project, model.fingerprint, key, evaluation)
                if present:
                    report.models_present += 1
                else:
                    report.models_copied += 1
            for project in projects:
                for key, sides in src.recorded_splits(project).items():  # keeps stratified test sets where they are
                    dst.record_split(project, key, sides)
                if dst.deployments(project) or dst.history(project):
                    report.projects_present.append(project)
                    continue
                dst.import_project(project, list(src.deployments(project).values()), src.history(project))
                report.projects_copied.append(project)
            cache.save()
    finally:
        src.close()
        dst.close()
    return report


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
