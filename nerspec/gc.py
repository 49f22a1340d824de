"""``nerspec gc``: remove models nothing needs any more, under the state lock, crash-safe.

A model is kept when
- a deployment serves it (its state record, or its registry pointer: both are read, and the pointers again just
  before each removal),
- it is among the last ``keep`` models a deployment served before its current one (what `rollback` can go back to;
  history of removed deployments included),
- a saved plan references it (plans saved with ``plan -o`` while a state existed are registered under
  ``<state>/plans/``; more with ``--plan FILE``),
- or it is an unrecorded artifact younger than ``UNRECORDED_GRACE_S`` (a lock-free ``nerspec train`` or an
  interrupted apply may be about to record it).

Every backend: the lock is the state store's own (the SQLite state directory's lock file, or PostgreSQL advisory
locks on every project gc may touch), the records are the store's, and the storage operations are the artifact
store's (``nerspec.artifacts.stores``: a local directory, or an S3 bucket plus its local cache).

Crash safety comes from ordering: the artifact store marks the model for removal, the state forgets it (one
transaction), then the artifact store makes it disappear in one step (a local directory is renamed to a
``.<fp>.gc-<pid>`` tombstone; in S3 the manifest is deleted), then its files are deleted. A kill between the steps
leaves a marked leftover (finished by the next gc unless an apply recorded the model again), never an orphan that
the grace for unrecorded artifacts would keep; never a served model touched, never a record without files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import safeio
from nerspec.paths import StatePaths
from nerspec.safeio import read_bytes

if TYPE_CHECKING:
    from nerspec.artifacts.stores.base import ArtifactStore, StoredModel
    from nerspec.state.store import HistoryRecord, Store

DEFAULT_KEEP = 3
UNRECORDED_GRACE_S = 3600.0


@dataclass
class Candidate:
    fingerprint: str
    project: str | None
    size: int
    recorded: bool


@dataclass
class GcResult:
    removed: list[Candidate] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # fingerprint -> why
    dry_run: bool = False
    expired_documents: int = 0  # logged monitoring documents past their retention, removed

    @property
    def freed(self) -> int:
        return sum(c.size for c in self.removed)


def pointed(paths: StatePaths) -> set[str]:
    """Fingerprints this machine's registry pointers name now (what a local `serve` process loads)."""
    out: set[str] = set()
    if not paths.registry.is_dir():
        return out
    for pointer in paths.registry.glob("*/*.json"):
        try:
            fingerprint = json.loads(read_bytes(pointer)).get("fingerprint")  # a FIFO is skipped, never waited on
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(fingerprint, str):
            out.add(fingerprint)
    return out


def plan_fingerprints(plan: object) -> set[str]:
    """Every model fingerprint a saved plan names (its candidates, deploy sources and targets, repairs). Read
    leniently, not with ``Plan.from_json``: what a damaged plan still names stays protected."""
    out: set[object] = set()
    for project in _entries(plan, "projects"):
        out.add(project.get("fingerprint"))
        serves = project.get("serves") or {}
        out.update(serves.values() if isinstance(serves, dict) else ())
        for action in _entries(project, "actions"):
            out.update(action.get(key) for key in ("fingerprint", "from", "to"))
    return {fp for fp in out if isinstance(fp, str)}


def _entries(value: object, key: str) -> list[dict[str, object]]:
    found = value.get(key) if isinstance(value, dict) else None
    return [entry for entry in found if isinstance(entry, dict)] if isinstance(found, list) else []


def register_saved_plan(paths: StatePaths, plan_file: Path) -> None:
    """Remember a saved plan so gc keeps its models; only where a state exists (plan never creates one)."""
    if not Path(paths.root).is_dir():
        return
    from hashlib import sha256

    from nerspec import atomic

    resolved = str(Path(plan_file).resolve())
    entry = paths.root / "plans" / f"{sha256(resolved.encode()).hexdigest()[:24]}.json"
    try:
        atomic.write_text(entry, json.dumps({"path": resolved}) + "\n")
    except OSError:
        pass  # a read-only state only loses the protection of this plan


def saved_plans(paths: StatePaths, extra: Iterable[Path] = ()) -> dict[str, set[str]]:
    """plan file -> fingerprints, for the registered plans that still exist and the ``extra`` ones."""
    files: list[Path] = list(extra)
    registry = paths.root / "plans"
    if registry.is_dir():
        for entry in registry.glob("*.json"):
            try:
                files.append(Path(json.loads(safeio.read_text(entry))["path"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
    out: dict[str, set[str]] = {}
    for file in files:
        try:
            out[str(file)] = plan_fingerprints(json.loads(safeio.read_text(file)))
        except (OSError, ValueError, AttributeError):
            continue  # deleted or not a plan: it protects nothing
    return out


def _projects(store: Store, described: dict[str, StoredModel]) -> set[str]:
    names = {d.project for d in store.all_deployments()} | {m.project for m in store.all_models()}
    return names | {d.project for d in described.values() if d.project}


def _recent_served(history: list[HistoryRecord], keep: int) -> dict[str, list[str]]:
    """deployment -> the last ``keep`` distinct models it served before its latest one (newest first)."""
    served: dict[str, list[str]] = {}
    for record in reversed(history):  # newest first
        for fp in (record.to_fp, record.from_fp):
            if fp and fp not in served.setdefault(record.deployment, []):
                served[record.deployment].append(fp)
    return {deployment: fps[: keep + 1] for deployment, fps in served.items()}


def protected(store: Store, paths: StatePaths, projects: set[str], keep: int,
              plans: dict[str, set[str]]) -> dict[str, str]:
    """fingerprint -> the reason it must stay."""
    why: dict[str, str] = {}
    for record in store.all_deployments():
        why.setdefault(record.fingerprint, f"served by {record.project}/{record.deployment}")
    for fp in pointed(paths):
        why.setdefault(fp, "served (registry pointer)")
    for project in sorted(projects):
        for deployment, fps in _recent_served(store.history(project), keep).items():
            for fp in fps:
                why.setdefault(fp, f"among the last {keep} of {project}/{deployment} (rollback)")
    for plan_file, planned in plans.items():
        for fp in planned:
            why.setdefault(fp, f"referenced by the saved plan {plan_file}")
    return why


def collect(paths: StatePaths, keep: int = DEFAULT_KEEP, *, dry_run: bool = False, lock_timeout: float = 0.0,
            plan_files: Iterable[Path] = (), say: Callable[[str], None] | None = None) -> GcResult:
    """Remove every model nothing needs (see the module docstring); with ``dry_run`` only say which."""
    from nerspec.artifacts.stores import open_artifact_store
    from nerspec.state import open_store
    from nerspec.state.crashpoints import pause

    if keep < 0:
        raise ValueError("keep must be >= 0")
    tell = say or (lambda _message: None)
    result = GcResult(dry_run=dry_run)
    if not paths.shared and not Path(paths.root).is_dir():
        return result
    store = open_store(paths)
    try:
        artifacts = open_artifact_store(paths)
        leftovers = artifacts.interrupted_removals()
        described = {fp: artifacts.describe(fp) for fp in artifacts.stored()}
        # Every project gc may touch is locked (PostgreSQL locks per project; SQLite's lock covers them all).
        projects = _projects(store, described) | {p for p in leftovers.values() if p}
        with store.locked("gc --dry-run" if dry_run else "gc", sorted(projects), lock_timeout):
            described = {fp: artifacts.describe(fp) for fp in artifacts.stored()}  # again, under the lock
            result.kept = protected(store, paths, _projects(store, described), keep, saved_plans(paths, plan_files))
            finished = [] if dry_run else _finish_leftovers(artifacts, leftovers, store, result.kept)
            if finished:
                tell("finished the removals of an interrupted gc")
                described = {fp: d for fp, d in described.items() if fp not in finished}
            for candidate in _candidates(store, described, result.kept):
                if not dry_run:
                    if candidate.fingerprint in pointed(paths):  # re-read: a server may have switched meanwhile
                        result.kept[candidate.fingerprint] = "served (registry pointer)"
                        continue
                    if candidate.recorded:
                        artifacts.mark_removal(candidate.fingerprint, candidate.project)  # before it is forgotten
                        store.forget_model(candidate.fingerprint)
                        pause("gc-forgotten")
                    artifacts.remove(candidate.fingerprint, candidate.project)
                result.removed.append(candidate)
                tell(f"{'would remove' if dry_run else 'removed'} {candidate.fingerprint[:12]} "
                     f"({candidate.project or 'unknown project'}, {human_size(candidate.size)})")
        if not dry_run:  # rows are independent of models and of the lock: each expires on its own
            import time

            result.expired_documents = store.monitoring_expire(time.time())
    finally:
        store.close()
    return result


def _finish_leftovers(artifacts: ArtifactStore, leftovers: dict[str, str | None], store: Store, kept: dict[str, str]) -> list[str]:
    """Complete the removals a killed gc began (never of a model recorded or protected again since)."""
    finished = []
    for fp in leftovers:
        if fp not in kept and store.get_model(fp) is None:
            artifacts.finish_removal(fp)
            finished.append(fp)
    return finished


def _candidates(store: Store, described: dict[str, StoredModel], kept: dict[str, str]) -> list[Candidate]:
    out = []
    recorded = {record.fingerprint: record for record in store.all_models()}
    for fp in sorted(set(described) | set(recorded)):
        if fp in kept:
            continue
        record, found = recorded.get(fp), described.get(fp)
        if record is None and found is not None and found.age < UNRECORDED_GRACE_S:
            kept[fp] = "unrecorded and recent (a training or apply may record it)"
            continue
        project = record.project if record is not None else (found.project if found is not None else None)
        out.append(Candidate(fp, project, found.size if found is not None else 0, record is not None))
    return out


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover
