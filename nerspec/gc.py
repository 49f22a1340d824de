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

Crash safety comes from ordering: the state forgets the model first (one transaction), then its directory is
renamed to a ``.<fp>.gc`` tombstone (one rename: the model is gone for everyone at once), then the tombstone is
deleted. A kill between the steps leaves an unrecorded artifact (removed by the next gc, or adopted by the next
apply) or a tombstone (removed by the next gc); never a served model touched, never a record without files.

All storage operations go through ``ArtifactSpace`` (local directory today): pointing gc at another artifact
backend means implementing that small class for it; the selection rules above stay here.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nerspec.paths import StatePaths
from nerspec.state.crashpoints import pause

DEFAULT_KEEP = 3
UNRECORDED_GRACE_S = 3600.0
TOMBSTONE = ".gc"


@dataclass
class Candidate:
    fingerprint: str
    project: str | None
    path: Path
    size: int
    recorded: bool


@dataclass
class GcResult:
    removed: list[Candidate] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # fingerprint -> why
    dry_run: bool = False

    @property
    def freed(self) -> int:
        return sum(c.size for c in self.removed)


class ArtifactSpace:
    """The artifact store's side of gc (local directory ``<state>/models/<fp>/`` and registry pointers)."""

    def __init__(self, paths: StatePaths) -> None:
        self.paths = paths

    def artifacts(self) -> dict[str, Path]:
        """Complete-looking model directories by fingerprint (staging ``.partial``, tombstones and damaged copies
        start with a dot and are not models)."""
        if not self.paths.models.is_dir():
            return {}
        return {p.name: p for p in self.paths.models.iterdir() if not p.name.startswith(".") and p.is_dir()}

    def pointed(self) -> set[str]:
        """Fingerprints the registry pointers name now (what a `serve` process loads)."""
        out: set[str] = set()
        if not self.paths.registry.is_dir():
            return out
        for pointer in self.paths.registry.glob("*/*.json"):
            try:
                fingerprint = json.loads(pointer.read_text(encoding="utf-8")).get("fingerprint")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(fingerprint, str):
                out.add(fingerprint)
        return out

    def size(self, path: Path) -> int:
        total = 0
        for root, _dirs, files in os.walk(path):
            for name in files:
                try:
                    total += (Path(root) / name).lstat().st_size
                except OSError:
                    pass
        return total

    def age(self, path: Path) -> float:
        try:
            return time.time() - path.stat().st_mtime
        except OSError:
            return 0.0

    def remove(self, fingerprint: str, path: Path) -> None:
        """Make the model disappear in one rename, then delete it."""
        tombstone = path.with_name(f".{fingerprint}{TOMBSTONE}-{os.getpid()}")
        try:
            os.rename(path, tombstone)
        except FileNotFoundError:
            return
        pause("gc")
        shutil.rmtree(tombstone, ignore_errors=True)

    def remove_leftovers(self) -> int:
        """Tombstones of killed gc runs."""
        if not self.paths.models.is_dir():
            return 0
        count = 0
        for leftover in self.paths.models.glob(f".*{TOMBSTONE}-*"):
            shutil.rmtree(leftover, ignore_errors=True)
            count += 1
        return count


def plan_fingerprints(plan: dict[str, Any]) -> set[str]:
    """Every model fingerprint a saved plan names (its candidates, deploy sources and targets, repairs)."""
    out: set[str] = set()
    for project in plan.get("projects") or []:
        out.add(project.get("fingerprint"))
        out.update((project.get("serves") or {}).values())
        for action in project.get("actions") or []:
            out.update(action.get(key) for key in ("fingerprint", "from", "to"))
    return {fp for fp in out if isinstance(fp, str)}


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
                files.append(Path(json.loads(entry.read_text(encoding="utf-8"))["path"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
    out: dict[str, set[str]] = {}
    for file in files:
        try:
            out[str(file)] = plan_fingerprints(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, ValueError, AttributeError):
            continue  # deleted or not a plan: it protects nothing
    return out


def _projects(store: Any, space: ArtifactSpace, artifacts: dict[str, Path]) -> set[str]:
    names = {d.project for d in store.all_deployments()}
    for path in artifacts.values():
        try:
            project = json.loads((path / "meta.json").read_text(encoding="utf-8")).get("project")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(project, str):
            names.add(project)
    return names


def _recent_served(history: list[Any], keep: int) -> dict[str, list[str]]:
    """deployment -> the last ``keep`` distinct models it served before its latest one (newest first)."""
    served: dict[str, list[str]] = {}
    for record in reversed(history):  # newest first
        for fp in (record.to_fp, record.from_fp):
            if fp and fp not in served.setdefault(record.deployment, []):
                served[record.deployment].append(fp)
    return {deployment: fps[: keep + 1] for deployment, fps in served.items()}


def protected(store: Any, space: ArtifactSpace, artifacts: dict[str, Path], keep: int,
              plans: dict[str, set[str]]) -> dict[str, str]:
    """fingerprint -> the reason it must stay."""
    why: dict[str, str] = {}
    for record in store.all_deployments():
        why.setdefault(record.fingerprint, f"served by {record.project}/{record.deployment}")
    for fp in space.pointed():
        why.setdefault(fp, "served (registry pointer)")
    for project in sorted(_projects(store, space, artifacts)):
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
    from nerspec.state import lock, open_store

    if keep < 0:
        raise ValueError("keep must be >= 0")
    tell = say or (lambda _message: None)
    space = ArtifactSpace(paths)
    result = GcResult(dry_run=dry_run)
    if not Path(paths.root).is_dir():
        return result
    with lock.locked(paths.root, "gc --dry-run" if dry_run else "gc", lock_timeout):
        if not dry_run and space.remove_leftovers():
            tell("removed the leftovers of an interrupted gc")
        store = open_store(paths)
        try:
            artifacts = space.artifacts()
            result.kept = protected(store, space, artifacts, keep, saved_plans(paths, plan_files))
            for candidate in _candidates(store, space, artifacts, result.kept):
                if not dry_run:
                    if candidate.fingerprint in space.pointed():  # re-read: a server may have switched meanwhile
                        result.kept[candidate.fingerprint] = "served (registry pointer)"
                        continue
                    if candidate.recorded:
                        store.forget_model(candidate.fingerprint)
                    space.remove(candidate.fingerprint, candidate.path)
                result.removed.append(candidate)
                tell(f"{'would remove' if dry_run else 'removed'} {candidate.fingerprint[:12]} "
                     f"({candidate.project or 'unknown project'}, {human_size(candidate.size)})")
        finally:
            store.close()
    return result


def _candidates(store: Any, space: ArtifactSpace, artifacts: dict[str, Path], kept: dict[str, str]) -> list[Candidate]:
    out = []
    recorded: dict[str, Any] = {}
    for project in _projects(store, space, artifacts):
        for record in store.models(project):
            recorded[record.fingerprint] = record
    for fp in sorted(set(artifacts) | set(recorded)):
        if fp in kept:
            continue
        record = recorded.get(fp)
        path = artifacts.get(fp) or (Path(record.model_dir) if record is not None else space.paths.models / fp)
        if record is None and space.age(path) < UNRECORDED_GRACE_S:
            kept[fp] = "unrecorded and recent (a training or apply may record it)"
            continue
        out.append(Candidate(fp, record.project if record else None, path, space.size(path), record is not None))
    return out


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover
