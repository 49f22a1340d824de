"""State that survives damage: refusing a lost database, backup and restore, recovery from the artifacts.

- A missing, empty or emptied (tables dropped, rows deleted) ``state.db`` beside existing models or pointers is
  not a fresh state: treating it as one
  would redeploy models the user rolled back and lose the history. ``check_not_lost`` refuses with the ways out.
- ``backup`` copies the database with SQLite's online backup API (consistent while other processes write);
  ``restore`` puts a backup in place (checked first, the current database kept aside).
- ``recover`` rebuilds models (from each artifact's ``meta.json`` and its files' hashes), deployments (from the
  pointers) and one history entry per deployment into a new database; history before the loss is gone.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import safeio
from nerspec.errors import StateError
from nerspec.model_meta import ModelMeta, find_model_meta
from nerspec.paths import StatePaths
from nerspec.state.sqlite_connection import RECOVERY_HINT, check_integrity

if TYPE_CHECKING:
    from nerspec.state.sql import JsonObject, Row
    from nerspec.state.store import ModelRecord, Store


def _artifacts(paths: StatePaths) -> list[Path]:
    if not paths.models.is_dir():
        return []
    return sorted(p for p in paths.models.iterdir() if not p.name.startswith(".") and (p / "meta.json").is_file())


def _pointers(paths: StatePaths) -> list[Path]:
    if not paths.registry.is_dir():
        return []
    return sorted(p for p in paths.registry.glob("*/*.json") if not p.name.startswith("."))


def check_layout(paths: StatePaths) -> None:
    """Parts of the state directory that are files where directories belong (``registry`` as a file)."""
    for name, path in (("registry", paths.registry), ("models", paths.models), ("reports", paths.reports),
                       ("cache", paths.cache)):
        if path.exists() and not path.is_dir():
            raise StateError(f"{path} should be a directory but is a file; move it away and run again "
                             f"(the {name} directory of the state {paths.root})")


def check_not_lost(paths: StatePaths) -> None:
    """Refuse a missing, empty or emptied database when the state directory still holds models or pointers."""
    db = Path(paths.db)
    try:
        size = db.stat().st_size
    except FileNotFoundError:
        size = None
    emptied = bool(size) and _holds_nothing(db)
    if size and not emptied:
        return
    check_layout(paths)
    models, pointers = _artifacts(paths), _pointers(paths)
    # Models alone are what `nerspec train` leaves in a fresh state (or one killed before it recorded its model);
    # deployments only exist through the state.
    if not pointers and (size is None or emptied or not models):
        return  # a fresh state
    what = "missing" if size is None else "emptied (no models, deployments or history)" if emptied else "empty"
    raise StateError(
        f"the state database {db} is {what}, but {paths.root} still holds {len(models)} model(s) and "
        f"{len(pointers)} deployment pointer(s): this is not a fresh state, and starting over would redeploy "
        f"models you rolled back and lose the history; {RECOVERY_HINT}"
    )


def _holds_nothing(db: Path) -> bool:
    """A valid database whose tables were dropped or whose rows were all deleted: as lost as a missing one."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"models", "deployments", "history"} <= tables:
            return True
        found = conn.execute("SELECT EXISTS (SELECT 1 FROM models) OR EXISTS (SELECT 1 FROM deployments) "
                             "OR EXISTS (SELECT 1 FROM history)").fetchone()
        return not found[0]
    except sqlite3.Error:
        return False  # corrupt: the integrity check words that
    finally:
        conn.close()


def backup(paths: StatePaths, target: Path) -> int:
    """A consistent copy of the database at ``target`` (SQLite backup API); returns its size in bytes."""
    db = Path(paths.db)
    if not db.is_file():
        raise StateError(f"no state database at {db} to back up")
    target = Path(target)
    if target.is_dir():
        raise StateError(f"{target} is a directory; give a file name for the backup")
    _check_backup_target(db, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    source = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        check_integrity(source, db)
        dest = sqlite3.connect(str(tmp))
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dest.close()
    except sqlite3.DatabaseError as exc:
        tmp.unlink(missing_ok=True)
        raise StateError(f"cannot back up {db}: {exc}") from None
    finally:
        source.close()
    os.replace(tmp, target)
    return target.stat().st_size


def _check_backup_target(db: Path, target: Path) -> None:
    """The backup is renamed over ``target``: never over a device or a FIFO (as root, `backup /dev/null` made the
    device a file), nor over the state database or its -wal/-shm/-journal (under the servers that have it open)."""
    if target.exists() and not target.is_file():
        raise StateError(f"{target} is not a regular file (a device, FIFO or socket); give a file name for the backup")
    resolved = os.path.realpath(target)
    if resolved in {os.path.realpath(db) + suffix for suffix in ("", "-wal", "-shm", "-journal")}:
        raise StateError(f"{target} is the state database itself (or its journal); give another file for the backup")


def restore(paths: StatePaths, source: Path, force: bool = False) -> Path | None:
    """Put the backup ``source`` in place (the caller holds the lock); returns where the old database went.

    A backup older than what happened since (history the current database has and the backup lacks, or pointers
    that serve another model than the backup records) would silently undo those intents: the next ``apply``
    repaired production back to a model that had been rolled back. That is refused unless ``force``."""
    source = Path(source)
    if not source.is_file():
        raise StateError(f"no backup file at {source}")
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check_integrity(conn, source)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise StateError(f"{source} is not a nerspec state backup: {exc}") from None
    finally:
        conn.close()
    if not {"models", "deployments", "history"} <= tables:
        raise StateError(f"{source} is not a nerspec state backup (no models/deployments/history tables)")
    later = [] if force else later_intents(paths, source)
    if later:
        shown = "; ".join(later[:5]) + (f"; and {len(later) - 5} more" if len(later) > 5 else "")
        raise StateError(f"{source} is older than what happened since it was taken ({shown}); restoring it would "
                         "undo that, and the next apply would act on it. Pass --force to restore it anyway")
    db = Path(paths.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    kept = _set_aside(db)
    tmp = db.with_name(f".{db.name}.restore.tmp")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dest = sqlite3.connect(str(tmp))
    try:
        src.backup(dest)
    finally:
        src.close()
        dest.close()
    os.replace(tmp, db)
    return kept


def _read_rows(db: Path, query: str) -> list[Row]:
    """Rows of ``query`` in the database ``db``; none when it is missing, damaged or lacks the tables."""
    if not db.is_file() or not db.stat().st_size:
        return []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        return conn.execute(query).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()


_HISTORY = "SELECT project, deployment, action, COALESCE(from_fp, ''), COALESCE(to_fp, ''), at FROM history"


def later_intents(paths: StatePaths, backup: Path) -> list[str]:
    """What the backup does not know: the current history entries it lacks, and pointers serving another model
    than it records. Empty when restoring it undoes nothing."""
    known = set(_read_rows(backup, _HISTORY))
    latest = max((row[5] for row in known), default="")
    later = [f"{row[2]} of {row[0]}/{row[1]} to {str(row[4])[:12]} at {row[5]}"
             for row in _read_rows(Path(paths.db), _HISTORY) if row not in known and row[5] >= latest]
    recorded = {(p, d): fp for p, d, fp in _read_rows(backup, "SELECT project, deployment, fingerprint FROM deployments")}
    for pointer_file in _pointers(paths):
        key = (pointer_file.parent.name, pointer_file.stem)
        served = _read(pointer_file).get("fingerprint")
        if served and recorded.get(key) != served:
            had = str(recorded[key])[:12] if key in recorded else "nothing"
            later.append(f"{key[0]}/{key[1]} serves {str(served)[:12]}, the backup records {had}")
    return later


def _set_aside(db: Path) -> Path | None:
    """Move the current database (and its WAL files) aside as ``state.db.before-<time>``; None if there is none."""
    import time

    if not db.exists():
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return None
    aside = db.with_name(f"{db.name}.before-{time.strftime('%Y%m%dT%H%M%S')}")
    os.replace(db, aside)
    for suffix in ("-wal", "-shm"):
        extra = Path(f"{db}{suffix}")
        if extra.exists():
            os.replace(extra, Path(f"{aside}{suffix}"))
    return aside


@dataclass
class Recovered:
    models: int
    deployments: int
    skipped: list[str]
    kept: Path | None


def recover(paths: StatePaths, training_inputs: Callable[[JsonObject], JsonObject], pointer_target: JsonObject) -> Recovered:
    """Rebuild the database from the artifacts and pointers (the caller holds the lock). ``training_inputs``
    maps an artifact's ``manifest.json`` to what plan compares (``fingerprints.model.recorded_training_inputs``);
    ``pointer_target`` is the target a deployment served from a registry pointer is recorded with (the target
    table's, handed down: the state does not know the targets)."""
    from nerspec.safeio import sha256_file
    from nerspec.state.sqlite import SqliteStore
    from nerspec.state.store import DeploymentRecord, ModelRecord

    check_layout(paths)
    db = Path(paths.db)
    kept = _set_aside(db) if db.exists() and db.stat().st_size else None
    if db.exists():
        db.unlink()
    store = SqliteStore(db)
    skipped: list[str] = []
    count_models = count_deployments = 0
    try:
        for artifact in _artifacts(paths):
            meta = find_model_meta(artifact) or ModelMeta()
            if meta.fingerprint not in (None, artifact.name) or not meta.project:
                skipped.append(f"{artifact.name}: meta.json does not name this model")
                continue
            files = {p.relative_to(artifact).as_posix(): sha256_file(p) for p in sorted(artifact.rglob("*"))
                     if p.is_file() and p.name != "evaluation.json"}
            manifest = _read(artifact / "manifest.json")
            store.record_model(ModelRecord(
                project=meta.project, fingerprint=artifact.name, created=meta.created or "",
                data_fingerprint=meta.data_fingerprint or "", model_dir=str(artifact),
                training_inputs=training_inputs(manifest), versions=dict(meta.versions),
                metrics=_summary(_read(artifact / "evaluation.json")), artifact_files=files,
            ), _read(artifact / "fingerprints.json").get("documents") or None)
            count_models += 1
        for pointer_file in _pointers(paths):
            pointer = _read(pointer_file)
            fingerprint = pointer.get("fingerprint")
            project, deployment = pointer_file.parent.name, pointer_file.stem
            if not fingerprint or store.get_model(str(fingerprint)) is None:
                skipped.append(f"{project}/{deployment}: its model {fingerprint} is not in {paths.models}")
                continue
            at = str(pointer.get("deployed_at") or "")
            newer = _newest_after(store, project, str(fingerprint))
            if newer is not None:
                # The pointer serves an older model than the project's newest: most likely a rollback. Recorded
                # as one, so `apply` does not redeploy the newer model on its own (plan says how to choose it).
                store.set_deployment(
                    DeploymentRecord(project, deployment, newer, pointer_target, at), action="deploy",
                    actor=RECOVER_ACTOR, reason="recovered: the newest model of the project (assumed deployed once)",
                )
            store.set_deployment(
                DeploymentRecord(project, deployment, str(fingerprint), pointer_target, at),
                action="rollback" if newer else "deploy", actor=RECOVER_ACTOR,
                reason="recovered from the registry pointer (earlier history was lost)"
                + ("; it serves an older model than the newest, so recorded as a rollback" if newer else ""),
            )
            count_deployments += 1
    finally:
        store.close()
    return Recovered(count_models, count_deployments, skipped, kept)


RECOVER_ACTOR = "nerspec state recover"


def _newest_after(store: Store, project: str, fingerprint: str) -> str | None:
    def age(model: ModelRecord) -> tuple[str, int]:  # `created` has seconds; the artifact's mtime breaks ties
        try:
            return model.created, (Path(model.model_dir) / "meta.json").stat().st_mtime_ns
        except OSError:
            return model.created, 0

    models = sorted(store.models(project), key=age)
    served = next((m for m in models if m.fingerprint == fingerprint), None)
    later = [m for m in models if served is not None and age(m) > age(served)]
    return later[-1].fingerprint if later else None


def _read(path: Path) -> JsonObject:
    try:
        raw = json.loads(safeio.read_text(path))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _summary(evaluation: JsonObject) -> dict[str, object]:
    out: dict[str, object] = {}
    for average in ("micro", "macro"):
        scores = evaluation.get(average) or {}
        for metric in ("precision", "recall", "f1"):
            if metric in scores:
                out[f"{average}_{metric}"] = scores[metric]
    return out
