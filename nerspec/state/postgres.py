"""The shared state store: PostgreSQL through psycopg 3, the same ``Store`` contract as SQLite.

Every change is one transaction (``SELECT ... FOR UPDATE`` for compare-and-set), so a lost connection leaves
the last committed state: never half a deploy. Locks are session advisory locks, one per project, taken on a
dedicated connection: two applies of one project never interleave, different projects run in parallel, and a
killed process releases its locks with its connection (no stale lock, no force-unlock). The ``locks`` table
only describes the holder for the error message; the advisory lock is the truth.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from nerspec.errors import LockError, StateError
from nerspec.state import postgres_migrations as migrations
from nerspec.state import rollouts as _rollouts
from nerspec.state.lock import ci_run_url
from nerspec.state.monitoring import MonitoringTables
from nerspec.state.postgres_connection import CHANNEL, connect, listen, redacted
from nerspec.state.rows import DEPLOYMENT_COLUMNS as _DEPLOYMENT_COLUMNS
from nerspec.state.rows import MODEL_COLUMNS as _MODEL_COLUMNS
from nerspec.state.rows import check_expected as _check_expected
from nerspec.state.rows import deployment_record as _deployment
from nerspec.state.rows import dump as _dump
from nerspec.state.rows import model_record as _model
from nerspec.state.rows import snapshot as _snapshot
from nerspec.state.split_sides import SplitSideTables
from nerspec.state.sql import JsonObject, Params, Row
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
    from psycopg import Connection
    from psycopg.rows import TupleRow

    from nerspec.paths import StatePaths
    from nerspec.state.lock import LockInfo

def open_postgres(url: str) -> PostgresStore:
    return PostgresStore(url)


def lock_key(project: str) -> int:
    """A signed 64-bit advisory lock key per project (namespaced so other applications' keys do not collide)."""
    digest = hashlib.sha256(f"nerspec-project:{project}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresStore(MonitoringTables, SplitSideTables):
    _placeholder = "%s"

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self._errors = (psycopg.OperationalError, psycopg.InterfaceError)
        self.conn = connect(url)
        try:
            migrations.migrate(self.conn)
        except self._errors as exc:
            raise self._lost(exc) from None

    @classmethod
    def force_unlock(cls, paths: StatePaths, lock_id: str, force: bool = False) -> LockInfo:
        raise LockError("a PostgreSQL state's locks end with their holder's connection: there is nothing to unlock "
                        "(a live holder is named in the lock error)")

    announces_changes = True

    def listen(self, on_change: Callable[[], None], stop: threading.Event) -> None:
        """LISTEN/NOTIFY on a connection of its own (``postgres_connection.listen``), until ``stop`` is set."""
        listen(self.url, on_change, stop)

    def _lost(self, exc: BaseException) -> StateError:
        return StateError(f"lost the connection to the PostgreSQL state {redacted(self.url)}: {redacted(str(exc).strip())}; "
                          "every completed step is recorded, the interrupted one is not")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[Connection[TupleRow]]:
        try:
            with self.conn.transaction():
                yield self.conn
        except self._errors as exc:
            raise self._lost(exc) from None

    def _all(self, sql: str, args: Params = ()) -> list[Row]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except self._errors as exc:
            raise self._lost(exc) from None

    def _rows(self, sql: str, args: Params = ()) -> list[Row]:
        return self._all(sql, args)

    def schema_version(self) -> int:
        return migrations.current_version(self.conn)

    # locks ----------------------------------------------------------------------------------------
    @contextmanager
    def locked(self, operation: str, projects: list[str], timeout: float = 0.0,
               poll: float = 0.2) -> Iterator[dict[str, str | int]]:
        """Hold ``projects``' advisory locks (taken in sorted order, so two applies never deadlock)."""
        conn = connect(self.url)
        info: dict[str, str | int] = {"id": uuid.uuid4().hex[:12], "host": socket.gethostname(), "pid": os.getpid(),
                "operation": operation, "started": utc_now(), "ci_url": ci_run_url()}
        held: list[str] = []
        try:
            for project in sorted(set(projects)):
                self._acquire(conn, project, info, timeout, poll)
                held.append(project)
            yield info
        finally:
            try:
                for project in held:
                    conn.execute("DELETE FROM locks WHERE project = %s AND id = %s", (project, info["id"]))
                    conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(project),))
            except self._errors:
                pass  # the connection is gone, and the session's locks went with it
            conn.close()

    def _acquire(self, conn: Connection[TupleRow], project: str, info: dict[str, str | int], timeout: float,
                 poll: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(project),)).fetchone()
            except self._errors as exc:
                raise self._lost(exc) from None
            if row is not None and row[0]:
                conn.execute(
                    """INSERT INTO locks (project, id, host, pid, operation, started, ci_url)
                       VALUES (%(project)s, %(id)s, %(host)s, %(pid)s, %(operation)s, %(started)s, %(ci_url)s)
                       ON CONFLICT (project) DO UPDATE SET id=excluded.id, host=excluded.host, pid=excluded.pid,
                       operation=excluded.operation, started=excluded.started, ci_url=excluded.ci_url""",
                    {"project": project, **info},
                )
                return
            if time.monotonic() >= deadline:
                raise LockError(f"project {project} is locked in {redacted(self.url)}: {self._holder(conn, project)}. "
                                "Wait for it or pass --lock-timeout SECONDS (the lock ends with its holder's "
                                "connection: no force-unlock is needed after a crash)")
            time.sleep(poll)

    def _holder(self, conn: Connection[TupleRow], project: str) -> str:
        row = conn.execute("SELECT id, host, pid, operation, started, ci_url FROM locks WHERE project = %s",
                           (project,)).fetchone()
        if row is None:
            return "held by another session (no holder recorded)"
        lock_id, host, pid, operation, started, ci_url = row
        text = f"lock {lock_id} held by pid {pid} on {host} ({operation}, since {started})"
        return text + (f", CI run {ci_url}" if ci_url else "")

    # models ---------------------------------------------------------------------------------------
    def record_model(self, model: ModelRecord, document_hashes: dict[str, str] | None = None) -> None:
        with self._tx() as c:
            c.execute(
                """INSERT INTO models (fingerprint, project, created, data_fingerprint, model_dir, metrics,
                   training_inputs, versions, artifact_files) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (fingerprint) DO UPDATE SET metrics=excluded.metrics,
                   artifact_files=excluded.artifact_files, model_dir=excluded.model_dir""",
                (model.fingerprint, model.project, model.created, model.data_fingerprint, model.model_dir,
                 _dump(model.metrics), _dump(model.training_inputs), _dump(model.versions),
                 _dump(model.artifact_files)),
            )
            if document_hashes is not None:
                c.execute("DELETE FROM document_hashes WHERE fingerprint = %s", (model.fingerprint,))
                with c.cursor() as cur:
                    with cur.copy("COPY document_hashes (fingerprint, doc_id, sha256) FROM STDIN") as copy:
                        for doc_id, sha in document_hashes.items():
                            copy.write_row((model.fingerprint, doc_id, sha))

    def get_model(self, fingerprint: str) -> ModelRecord | None:
        rows = self._all(f"SELECT {_MODEL_COLUMNS} FROM models WHERE fingerprint = %s", (fingerprint,))
        return _model(rows[0]) if rows else None

    def models(self, project: str) -> list[ModelRecord]:
        rows = self._all(f"SELECT {_MODEL_COLUMNS} FROM models WHERE project = %s ORDER BY created, seq", (project,))
        return [_model(r) for r in rows]

    def all_models(self) -> list[ModelRecord]:
        return [_model(r) for r in self._all(f"SELECT {_MODEL_COLUMNS} FROM models ORDER BY created, seq")]

    def forget_model(self, fingerprint: str) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM document_hashes WHERE fingerprint = %s", (fingerprint,))
            c.execute("DELETE FROM evaluations WHERE fingerprint = %s", (fingerprint,))
            c.execute("DELETE FROM models WHERE fingerprint = %s", (fingerprint,))

    def document_hashes(self, fingerprint: str) -> dict[str, str] | None:
        rows = self._all("SELECT doc_id, sha256 FROM document_hashes WHERE fingerprint = %s", (fingerprint,))
        return dict(rows) if rows else None

    # evaluations ----------------------------------------------------------------------------------
    def record_evaluation(self, project: str, fingerprint: str, test_key: str, evaluation: JsonObject) -> None:
        with self._tx() as c:
            c.execute(
                """INSERT INTO evaluations (fingerprint, test_key, project, created, evaluation)
                   VALUES (%s, %s, %s, %s, %s) ON CONFLICT (fingerprint, test_key) DO UPDATE
                   SET evaluation=excluded.evaluation, created=excluded.created""",
                (fingerprint, test_key, project, utc_now(), _dump(evaluation)),
            )

    def evaluation(self, fingerprint: str, test_key: str) -> JsonObject | None:
        rows = self._all("SELECT evaluation FROM evaluations WHERE fingerprint = %s AND test_key = %s",
                         (fingerprint, test_key))
        return json.loads(rows[0][0]) if rows else None

    def evaluations(self, fingerprint: str) -> dict[str, JsonObject]:
        rows = self._all("SELECT test_key, evaluation FROM evaluations WHERE fingerprint = %s", (fingerprint,))
        return {key: json.loads(text) for key, text in rows}

    # deployments ----------------------------------------------------------------------------------
    def deployments(self, project: str) -> dict[str, DeploymentRecord]:
        rows = self._all(f"SELECT {_DEPLOYMENT_COLUMNS} FROM deployments WHERE project = %s ORDER BY deployment",
                         (project,))
        return {r[1]: _deployment(r) for r in rows}

    def all_deployments(self) -> list[DeploymentRecord]:
        rows = self._all(f"SELECT {_DEPLOYMENT_COLUMNS} FROM deployments ORDER BY project, deployment")
        return [_deployment(r) for r in rows]

    def set_deployment(self, record: DeploymentRecord, *, action: str, actor: str, reason: str,
                       expected_from: str | None | object = ANY, settings: str = "") -> None:
        with self._tx() as c:
            row = c.execute(
                "SELECT fingerprint FROM deployments WHERE project = %s AND deployment = %s FOR UPDATE",
                (record.project, record.deployment),
            ).fetchone()
            current = row[0] if row else None
            _check_expected(record, current, expected_from)
            c.execute(
                """INSERT INTO deployments (project, deployment, fingerprint, target, deployed_at)
                   VALUES (%s, %s, %s, %s, %s) ON CONFLICT (project, deployment) DO UPDATE
                   SET fingerprint=excluded.fingerprint, target=excluded.target, deployed_at=excluded.deployed_at""",
                (record.project, record.deployment, record.fingerprint, _dump(record.target), record.deployed_at),
            )
            _history(c, record.project, record.deployment, action, current, record.fingerprint, actor, reason, settings)
            _notify(c, record.project)

    def remove_deployment(self, project: str, deployment: str, *, actor: str, reason: str) -> None:
        with self._tx() as c:
            row = c.execute("DELETE FROM deployments WHERE project = %s AND deployment = %s RETURNING fingerprint",
                            (project, deployment)).fetchone()
            if row is not None:
                _history(c, project, deployment, "remove", row[0], None, actor, reason)
                _notify(c, project)

    def swap_deployments(self, project: str, a: str, b: str, *, actor: str, reason: str) -> None:
        with self._tx() as c:
            rows = dict(c.execute(
                "SELECT deployment, fingerprint FROM deployments WHERE project = %s AND deployment IN (%s, %s) "
                "FOR UPDATE", (project, a, b)).fetchall())
            if a not in rows or b not in rows:
                missing = [d for d in (a, b) if d not in rows]
                raise StateError(f"cannot swap: {', '.join(missing)} has no model in project {project}")
            now = utc_now()
            for name, other in ((a, b), (b, a)):
                c.execute("UPDATE deployments SET fingerprint = %s, deployed_at = %s WHERE project = %s AND "
                          "deployment = %s", (rows[other], now, project, name))
                _history(c, project, name, "swap", rows[name], rows[other], actor, reason)
            _notify(c, project)

    def import_project(self, project: str, deployments: list[DeploymentRecord], history: list[HistoryRecord],
                       rollouts: Sequence[StagedRollout] = ()) -> None:
        """``state migrate``: a project's deployments, history and rollouts as they were, in one transaction."""
        with self._tx() as c:
            _rollouts.import_staged(c, "%s", rollouts)
            for h in history:
                c.execute("""INSERT INTO history (project, deployment, action, from_fp, to_fp, actor, at, reason,
                             settings) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                          (project, h.deployment, h.action, h.from_fp, h.to_fp, h.actor, h.at, h.reason, h.settings))
            for d in deployments:
                c.execute("""INSERT INTO deployments (project, deployment, fingerprint, target, deployed_at)
                             VALUES (%s, %s, %s, %s, %s)""", (project, d.deployment, d.fingerprint, _dump(d.target),
                                                              d.deployed_at))
            _notify(c, project)

    def history(self, project: str, deployment: str | None = None) -> list[HistoryRecord]:
        query = ("SELECT id, project, deployment, action, from_fp, to_fp, actor, at, reason, settings FROM history "
                 "WHERE project = %s")
        args: tuple[str, ...] = (project,)
        if deployment is not None:
            query += " AND deployment = %s"
            args += (deployment,)
        return [HistoryRecord(*row) for row in self._all(query + " ORDER BY id", args)]

    def served(self, project: str, deployment: str) -> set[str]:
        rows = self._all("SELECT DISTINCT to_fp FROM history WHERE project = %s AND deployment = %s AND to_fp IS "
                         "NOT NULL AND action <> 'rollout'", (project, deployment))
        return {r[0] for r in rows}

    def snapshot(self) -> StateSnapshot:
        models = self._all("SELECT fingerprint, project FROM models ORDER BY fingerprint")
        deployments = self._all("SELECT project, deployment, fingerprint FROM deployments ORDER BY project, deployment")
        last = self._all("SELECT COALESCE(MAX(id), 0) FROM history")[0][0]
        return _snapshot(models, deployments, last)

    # rollouts -------------------------------------------------------------------------------------
    def rollouts(self, project: str) -> dict[str, RolloutRecord]:
        with self._tx() as c:
            return _rollouts.rollouts(c, "%s", project)

    def all_rollouts(self) -> list[RolloutRecord]:
        with self._tx() as c:
            return _rollouts.all_rollouts(c)

    def rollout_start(self, record: RolloutRecord, *, actor: str, reason: str) -> None:
        with self._tx() as c:
            c.execute("SELECT 1 FROM deployments WHERE project = %s AND deployment = %s FOR UPDATE",
                      (record.project, record.deployment))
            _rollouts.start(c, "%s", record, lambda from_fp, to_fp: _history(
                c, record.project, record.deployment, "rollout", from_fp, to_fp, actor, reason))
            _notify(c, record.project)

    def rollout_end(self, rollout: RolloutRecord, *, action: str, actor: str, reason: str,
                    promote: DeploymentRecord | None = None) -> None:
        with self._tx() as c:
            _rollouts.end(c, "%s", rollout, promote, lock=" FOR UPDATE")
            if promote is not None:
                _history(c, rollout.project, rollout.deployment, action, rollout.production, rollout.candidate,
                         actor, reason)
            else:
                _history(c, rollout.project, rollout.deployment, action, rollout.candidate, None, actor, reason)
            _notify(c, rollout.project)

    def record_rollout_observations(self, observations: list[RolloutObservation]) -> int:
        with self._tx() as c:
            return _rollouts.record_observations(c, "%s", observations)

    def rollout_observations(self, rollout_id: str) -> list[RolloutObservation]:
        with self._tx() as c:
            return _rollouts.observations(c, "%s", rollout_id)


def _history(c: Connection[TupleRow], project: str, deployment: str, action: str, from_fp: str | None, to_fp: str | None,
             actor: str, reason: str, settings: str = "") -> None:
    c.execute("""INSERT INTO history (project, deployment, action, from_fp, to_fp, actor, at, reason, settings)
                 VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
              (project, deployment, action, from_fp, to_fp, actor, utc_now(), reason, settings))


def _notify(c: Connection[TupleRow], project: str) -> None:
    c.execute("SELECT pg_notify(%s, %s)", (CHANNEL, project))
