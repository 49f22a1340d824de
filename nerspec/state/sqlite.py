"""The embedded state store: stdlib sqlite3 in WAL mode (``sqlite_connection``); every change in one transaction."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.errors import StateError
from nerspec.state import migrations
from nerspec.state import rollouts as _rollouts
from nerspec.state.monitoring import MonitoringTables
from nerspec.state.rows import DEPLOYMENT_COLUMNS as _DEPLOYMENT_COLUMNS
from nerspec.state.rows import MODEL_COLUMNS as _MODEL_COLUMNS
from nerspec.state.rows import check_expected as _check_expected
from nerspec.state.rows import deployment_record as _deployment
from nerspec.state.rows import dump as _dump
from nerspec.state.rows import model_record as _model
from nerspec.state.rows import snapshot as _snapshot
from nerspec.state.split_sides import SplitSideTables
from nerspec.state.sql import JsonObject, Params, Row
from nerspec.state.sqlite_connection import open_connection
from nerspec.state.store import (
    ANY,
    DeploymentRecord,
    HistoryRecord,
    ModelRecord,
    RolloutObservation,
    RolloutRecord,
    StagedRollout,
    StateSnapshot,
    utc_now,
)

if TYPE_CHECKING:
    from nerspec.paths import StatePaths
    from nerspec.state.lock import LockInfo


class SqliteStore(MonitoringTables, SplitSideTables):
    def __init__(self, path: Path, root: Path | None = None) -> None:
        self.path = path
        self.root = root or Path(path).parent  # the state directory: the lock file lives here
        self.conn = open_connection(path)

    def close(self) -> None:
        self.conn.close()

    # Artifact paths are stored relative to the state root (the directory of state.db), so a state directory
    # that is moved, or restored from a backup elsewhere, still finds its models. Rows written before keep
    # their absolute paths and still work.
    def _relative(self, model_dir: str) -> str:
        if str(self.path) == ":memory:" or "://" in model_dir:  # an artifact store's URL is not a path
            return model_dir
        import os

        root = os.path.realpath(Path(self.path).parent)
        path = os.path.realpath(model_dir)
        return os.path.relpath(path, root) if path.startswith(root + os.sep) else model_dir

    def _absolute(self, record: ModelRecord) -> ModelRecord:
        if Path(record.model_dir).is_absolute() or str(self.path) == ":memory:" or "://" in record.model_dir:
            return record
        from dataclasses import replace

        return replace(record, model_dir=str(Path(self.path).parent / record.model_dir))

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _rows(self, sql: str, args: Params = ()) -> list[Row]:
        return list(self.conn.execute(sql, args).fetchall())

    def locked(self, operation: str, projects: list[str], timeout: float = 0.0) -> AbstractContextManager[LockInfo]:
        """The state directory's lock file (``nerspec.state.lock``): one writer per directory, any project."""
        from nerspec.state import lock

        return lock.locked(self.root, operation, timeout)

    @classmethod
    def force_unlock(cls, paths: StatePaths, lock_id: str, force: bool = False) -> LockInfo:
        """Remove the state directory's lock file if it is ``lock_id`` (``nerspec.state.lock.force_unlock``)."""
        from nerspec.state import lock

        return lock.force_unlock(Path(paths.root), lock_id, force=force)

    announces_changes = False

    def listen(self, on_change: Callable[[], None], stop: threading.Event) -> None:
        """SQLite announces nothing: readers poll the pointers and the database."""

    def schema_version(self) -> int:
        return migrations.current_version(self.conn)

    # models ---------------------------------------------------------------------------------------
    def record_model(self, model: ModelRecord, document_hashes: dict[str, str] | None = None) -> None:
        with self._tx() as c:
            c.execute(
                """INSERT INTO models (fingerprint, project, created, data_fingerprint, model_dir, metrics,
                   training_inputs, versions, artifact_files) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (fingerprint) DO UPDATE SET metrics=excluded.metrics,
                   artifact_files=excluded.artifact_files, model_dir=excluded.model_dir""",
                (
                    model.fingerprint,
                    model.project,
                    model.created,
                    model.data_fingerprint,
                    self._relative(model.model_dir),
                    _dump(model.metrics),
                    _dump(model.training_inputs),
                    _dump(model.versions),
                    _dump(model.artifact_files),
                ),
            )
            if document_hashes is not None:
                c.execute("DELETE FROM document_hashes WHERE fingerprint = ?", (model.fingerprint,))
                c.executemany(
                    "INSERT INTO document_hashes (fingerprint, doc_id, sha256) VALUES (?, ?, ?)",
                    ((model.fingerprint, doc_id, sha) for doc_id, sha in document_hashes.items()),
                )

    def get_model(self, fingerprint: str) -> ModelRecord | None:
        row = self.conn.execute(f"SELECT {_MODEL_COLUMNS} FROM models WHERE fingerprint = ?", (fingerprint,)).fetchone()
        return self._absolute(_model(row)) if row else None

    def models(self, project: str) -> list[ModelRecord]:
        rows = self.conn.execute(
            f"SELECT {_MODEL_COLUMNS} FROM models WHERE project = ? ORDER BY created, rowid", (project,)
        ).fetchall()
        return [self._absolute(_model(r)) for r in rows]

    def all_models(self) -> list[ModelRecord]:
        rows = self.conn.execute(f"SELECT {_MODEL_COLUMNS} FROM models ORDER BY created, rowid").fetchall()
        return [self._absolute(_model(r)) for r in rows]

    def forget_model(self, fingerprint: str) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM document_hashes WHERE fingerprint = ?", (fingerprint,))
            c.execute("DELETE FROM evaluations WHERE fingerprint = ?", (fingerprint,))
            c.execute("DELETE FROM models WHERE fingerprint = ?", (fingerprint,))

    def document_hashes(self, fingerprint: str) -> dict[str, str] | None:
        rows = self.conn.execute(
            "SELECT doc_id, sha256 FROM document_hashes WHERE fingerprint = ?", (fingerprint,)
        ).fetchall()
        return dict(rows) if rows else None

    # evaluations ----------------------------------------------------------------------------------
    def record_evaluation(self, project: str, fingerprint: str, test_key: str, evaluation: JsonObject) -> None:
        with self._tx() as c:
            c.execute(
                """INSERT INTO evaluations (fingerprint, test_key, project, created, evaluation)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint, test_key) DO UPDATE
                   SET evaluation=excluded.evaluation, created=excluded.created""",
                (fingerprint, test_key, project, utc_now(), _dump(evaluation)),
            )

    def evaluation(self, fingerprint: str, test_key: str) -> JsonObject | None:
        row = self.conn.execute(
            "SELECT evaluation FROM evaluations WHERE fingerprint = ? AND test_key = ?", (fingerprint, test_key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def evaluations(self, fingerprint: str) -> dict[str, JsonObject]:
        rows = self.conn.execute("SELECT test_key, evaluation FROM evaluations WHERE fingerprint = ?", (fingerprint,))
        return {key: json.loads(text) for key, text in rows.fetchall()}

    # deployments ----------------------------------------------------------------------------------
    def deployments(self, project: str) -> dict[str, DeploymentRecord]:
        rows = self.conn.execute(
            f"SELECT {_DEPLOYMENT_COLUMNS} FROM deployments WHERE project = ? ORDER BY deployment", (project,)
        ).fetchall()
        return {r[1]: _deployment(r) for r in rows}

    def all_deployments(self) -> list[DeploymentRecord]:
        rows = self.conn.execute(
            f"SELECT {_DEPLOYMENT_COLUMNS} FROM deployments ORDER BY project, deployment"
        ).fetchall()
        return [_deployment(r) for r in rows]

    def set_deployment(
        self,
        record: DeploymentRecord,
        *,
        action: str,
        actor: str,
        reason: str,
        expected_from: str | None | object = ANY,
        settings: str = "",
    ) -> None:
        """Point a deployment at a model and append to its history (with the deployment's ``settings`` digest),
        atomically.

        ``expected_from`` (compare-and-set): refuse when the deployment no longer serves what the caller
        planned from, so two writers never silently overwrite each other.
        """
        with self._tx() as c:
            row = c.execute(
                "SELECT fingerprint FROM deployments WHERE project = ? AND deployment = ?",
                (record.project, record.deployment),
            ).fetchone()
            current = row[0] if row else None
            _check_expected(record, current, expected_from)
            c.execute(
                """INSERT INTO deployments (project, deployment, fingerprint, target, deployed_at)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT (project, deployment) DO UPDATE
                   SET fingerprint=excluded.fingerprint, target=excluded.target, deployed_at=excluded.deployed_at""",
                (record.project, record.deployment, record.fingerprint, _dump(record.target), record.deployed_at),
            )
            _history(c, record.project, record.deployment, action, current, record.fingerprint, actor, reason, settings)

    def remove_deployment(self, project: str, deployment: str, *, actor: str, reason: str) -> None:
        with self._tx() as c:
            row = c.execute(
                "SELECT fingerprint FROM deployments WHERE project = ? AND deployment = ?", (project, deployment)
            ).fetchone()
            if row is None:
                return
            c.execute("DELETE FROM deployments WHERE project = ? AND deployment = ?", (project, deployment))
            _history(c, project, deployment, "remove", row[0], None, actor, reason)

    def swap_deployments(self, project: str, a: str, b: str, *, actor: str, reason: str) -> None:
        with self._tx() as c:
            rows = dict(
                c.execute(
                    "SELECT deployment, fingerprint FROM deployments WHERE project = ? AND deployment IN (?, ?)",
                    (project, a, b),
                ).fetchall()
            )
            if a not in rows or b not in rows:
                missing = [d for d in (a, b) if d not in rows]
                raise StateError(f"cannot swap: {', '.join(missing)} has no model in project {project}")
            now = utc_now()
            for name, other in ((a, b), (b, a)):
                c.execute(
                    "UPDATE deployments SET fingerprint = ?, deployed_at = ? WHERE project = ? AND deployment = ?",
                    (rows[other], now, project, name),
                )
                _history(c, project, name, "swap", rows[name], rows[other], actor, reason)

    def import_project(self, project: str, deployments: list[DeploymentRecord], history: list[HistoryRecord],
                       rollouts: Sequence[StagedRollout] = ()) -> None:
        """``state migrate``: a project's deployments, history and rollouts as they were, in one transaction."""
        with self._tx() as c:
            _rollouts.import_staged(c, "?", rollouts)
            for h in history:
                c.execute("""INSERT INTO history (project, deployment, action, from_fp, to_fp, actor, at, reason,
                             settings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                          (project, h.deployment, h.action, h.from_fp, h.to_fp, h.actor, h.at, h.reason, h.settings))
            for d in deployments:
                c.execute("""INSERT INTO deployments (project, deployment, fingerprint, target, deployed_at)
                             VALUES (?, ?, ?, ?, ?)""", (project, d.deployment, d.fingerprint, _dump(d.target),
                                                         d.deployed_at))

    def history(self, project: str, deployment: str | None = None) -> list[HistoryRecord]:
        query = ("SELECT id, project, deployment, action, from_fp, to_fp, actor, at, reason, settings FROM history "
                 "WHERE project = ?")
        args: tuple[str, ...] = (project,)
        if deployment is not None:
            query += " AND deployment = ?"
            args += (deployment,)
        return [HistoryRecord(*row) for row in self.conn.execute(query + " ORDER BY id", args).fetchall()]

    def served(self, project: str, deployment: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT to_fp FROM history WHERE project = ? AND deployment = ? AND to_fp IS NOT NULL "
            "AND action <> 'rollout'",  # a staged candidate has not served the deployment
            (project, deployment),
        ).fetchall()
        return {r[0] for r in rows}

    def snapshot(self) -> StateSnapshot:
        """What a saved plan depends on: models and deployments (not history or evaluations)."""
        models = self.conn.execute("SELECT fingerprint, project FROM models ORDER BY fingerprint").fetchall()
        deployments = self.conn.execute(
            "SELECT project, deployment, fingerprint FROM deployments ORDER BY project, deployment"
        ).fetchall()
        last = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM history").fetchone()[0]
        return _snapshot(models, deployments, last)

    # rollouts -------------------------------------------------------------------------------------
    def rollouts(self, project: str) -> dict[str, RolloutRecord]:
        return _rollouts.rollouts(self.conn, "?", project)

    def all_rollouts(self) -> list[RolloutRecord]:
        return _rollouts.all_rollouts(self.conn)

    def rollout_start(self, record: RolloutRecord, *, actor: str, reason: str) -> None:
        with self._tx() as c:
            _rollouts.start(c, "?", record, lambda from_fp, to_fp: _history(
                c, record.project, record.deployment, "rollout", from_fp, to_fp, actor, reason))

    def rollout_end(self, rollout: RolloutRecord, *, action: str, actor: str, reason: str,
                    promote: DeploymentRecord | None = None) -> None:
        """``promote``: the deployment serves the candidate (history from production to it); ``abort``/``drop``:
        the candidate is forgotten (history from it to nothing; production is unchanged)."""
        with self._tx() as c:
            _rollouts.end(c, "?", rollout, promote)
            if promote is not None:
                _history(c, rollout.project, rollout.deployment, action, rollout.production, rollout.candidate,
                         actor, reason)
            else:
                _history(c, rollout.project, rollout.deployment, action, rollout.candidate, None, actor, reason)

    def record_rollout_observations(self, observations: list[RolloutObservation]) -> int:
        with self._tx() as c:
            return _rollouts.record_observations(c, "?", observations)

    def rollout_observations(self, rollout_id: str) -> list[RolloutObservation]:
        return _rollouts.observations(self.conn, "?", rollout_id)


def _history(c: sqlite3.Connection, project: str, deployment: str, action: str, from_fp: str | None, to_fp: str | None,
             actor: str, reason: str, settings: str = "") -> None:
    c.execute(
        """INSERT INTO history (project, deployment, action, from_fp, to_fp, actor, at, reason, settings)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (project, deployment, action, from_fp, to_fp, actor, utc_now(), reason, settings),
    )
