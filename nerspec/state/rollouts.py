"""The rollout tables, shared by the SQLite and PostgreSQL stores (same tables; only the placeholder differs).

Each function runs inside the caller's transaction (``c``: a connection or the stores' guarded connection) and
takes the backend's placeholder (``?`` or ``%s``). A rollout's observations are keyed by the rollout's id, so a
candidate that is replaced, promoted or aborted takes its observations with it, and a server still writing for
an ended rollout writes nothing (the insert checks that the rollout exists).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from nerspec.errors import StateError
from nerspec.state.store import DeploymentRecord, RolloutObservation, RolloutRecord, StagedRollout, Store

if TYPE_CHECKING:
    from nerspec.state.sql import Connection, Row

ROLLOUT_COLUMNS = "id, project, deployment, candidate, production, strategy, weight, started"
OBSERVATION_COLUMNS = (
    "rollout_id, error, matched, candidate_only, production_only, identical, candidate_ms, production_ms"
)


def _rollout(row: Row) -> RolloutRecord:
    """A row as ``start`` writes it; ``StateError`` naming the row for one that is not (edited by hand)."""
    rid, project, deployment, candidate, production, strategy, weight, started = row
    valid_weight = weight is None or (isinstance(weight, int | float) and not isinstance(weight, bool)
                                      and 0.0 <= weight <= 1.0)
    texts = all(isinstance(v, str) and v for v in (rid, project, deployment, candidate, started))
    if not (texts and valid_weight and strategy in ("shadow", "canary") and isinstance(production, str | None)):
        raise StateError(f"the rollout row of {project!s:.60}/{deployment!s:.60} is malformed (strategy "
                         f"{strategy!r:.40}, weight {weight!r:.40}): not written by nerspec; `nerspec apply` "
                         "stages the manifest's rollout again once the row is deleted")
    return RolloutRecord(rid, project, deployment, candidate, production, strategy,
                         None if weight is None else float(weight), started)


def _observation(row: Row) -> RolloutObservation:
    rid, error, matched, c_only, p_only, identical, c_ms, p_ms = row
    try:
        return RolloutObservation(rid, bool(error), int(matched), int(c_only), int(p_only), bool(identical),
                                  None if c_ms is None else float(c_ms), float(p_ms))
    except (TypeError, ValueError, OverflowError):  # OverflowError: a REAL of 9e999 (inf) as an int
        raise StateError(f"an observation of rollout {rid!s:.60} is malformed ({row!r:.200}): not written by "
                         "`nerspec serve`; delete it (rollout_observations)") from None


def rollouts(c: Connection, p: str, project: str) -> dict[str, RolloutRecord]:
    rows = c.execute(f"SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE project = {p} ORDER BY deployment",
                     (project,)).fetchall()
    return {r[2]: _rollout(r) for r in rows}


def all_rollouts(c: Connection) -> list[RolloutRecord]:
    rows = c.execute(f"SELECT {ROLLOUT_COLUMNS} FROM rollouts ORDER BY project, deployment").fetchall()
    return [_rollout(r) for r in rows]


def start(c: Connection, p: str, record: RolloutRecord, history: Callable[[str | None, str], None]) -> None:
    """Stage ``record``, replacing the deployment's current candidate (whose observations are deleted)."""
    row = c.execute(f"SELECT id FROM rollouts WHERE project = {p} AND deployment = {p}",
                    (record.project, record.deployment)).fetchone()
    if row is not None:
        c.execute(f"DELETE FROM rollout_observations WHERE rollout_id = {p}", (row[0],))
        c.execute(f"DELETE FROM rollouts WHERE id = {p}", (row[0],))
    c.execute(f"INSERT INTO rollouts ({ROLLOUT_COLUMNS}) VALUES ({', '.join([p] * 8)})",
              (record.id, record.project, record.deployment, record.candidate, record.production, record.strategy,
               record.weight, record.started))
    history(record.production, record.candidate)


def end(c: Connection, p: str, rollout: RolloutRecord, promote: DeploymentRecord | None, lock: str = "") -> None:
    """Forget ``rollout`` and its observations; with ``promote``, the deployment serves the candidate (compare
    and set: it must still serve what the rollout started from)."""
    row = c.execute(f"SELECT id FROM rollouts WHERE id = {p}{lock}", (rollout.id,)).fetchone()
    if row is None:
        raise StateError(f"the rollout of {rollout.project}/{rollout.deployment} ended meanwhile; "
                         "run `nerspec plan` again")
    if promote is not None:
        current = c.execute(f"SELECT fingerprint FROM deployments WHERE project = {p} AND deployment = {p}{lock}",
                            (promote.project, promote.deployment)).fetchone()
        if (current[0] if current else None) != rollout.production:
            raise StateError(f"deployment {rollout.project}/{rollout.deployment} changed during its rollout; "
                             "run `nerspec plan` again")
        c.execute(f"""INSERT INTO deployments (project, deployment, fingerprint, target, deployed_at)
                      VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (project, deployment) DO UPDATE
                      SET fingerprint=excluded.fingerprint, target=excluded.target,
                      deployed_at=excluded.deployed_at""",
                  (promote.project, promote.deployment, promote.fingerprint, _dump(promote.target),
                   promote.deployed_at))
    c.execute(f"DELETE FROM rollout_observations WHERE rollout_id = {p}", (rollout.id,))
    c.execute(f"DELETE FROM rollouts WHERE id = {p}", (rollout.id,))


def record_observations(c: Connection, p: str, observations: list[RolloutObservation]) -> int:
    """One batch; rows of rollouts that ended meanwhile are skipped. Returns the rows written."""
    live = {r[0] for r in c.execute("SELECT id FROM rollouts").fetchall()}
    rows = [(o.rollout_id, int(o.error), o.matched, o.candidate_only, o.production_only, int(o.identical),
             o.candidate_ms, o.production_ms) for o in observations if o.rollout_id in live]
    if rows:
        sql = f"INSERT INTO rollout_observations ({OBSERVATION_COLUMNS}) VALUES ({', '.join([p] * 8)})"
        if isinstance(c, sqlite3.Connection):
            c.executemany(sql, rows)
        else:  # psycopg: executemany lives on the cursor (one pipelined round trip)
            cursor = c.cursor()
            try:
                cursor.executemany(sql, rows)
            finally:
                cursor.close()
    return len(rows)


def import_staged(c: Connection, p: str, staged: Sequence[StagedRollout]) -> None:
    """``state migrate``: staged candidates as they were (ids kept, so servers keep adding to them) and their
    observations; inside the caller's transaction."""
    for s in staged:
        r = s.rollout
        c.execute(f"INSERT INTO rollouts ({ROLLOUT_COLUMNS}) VALUES ({', '.join([p] * 8)})",
                  (r.id, r.project, r.deployment, r.candidate, r.production, r.strategy, r.weight, r.started))
        record_observations(c, p, list(s.observations))


def observations(c: Connection, p: str, rollout_id: str) -> list[RolloutObservation]:
    rows = c.execute(f"SELECT {OBSERVATION_COLUMNS} FROM rollout_observations WHERE rollout_id = {p}",
                     (rollout_id,)).fetchall()
    return [_observation(r) for r in rows]


def _dump(value: object) -> str:
    from nerspec.state.rows import dump

    return dump(value)


def drop_staged(store: Store, project: str, deployment: str, *, actor: str, reason: str) -> RolloutRecord | None:
    """Forget a deployment's rollout candidate, if it has one (rollback, removal): production is what it serves."""
    rollout = store.rollouts(project).get(deployment)
    if rollout is not None:
        store.rollout_end(rollout, action="drop", actor=actor, reason=reason)
    return rollout
