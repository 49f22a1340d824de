"""The rollout tables (``nerspec.state.rollouts``) through both stores: stage, replace, observe, promote, abort."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nerspec.errors import StateError
from nerspec.state.postgres import PostgresStore
from nerspec.state.rollouts import drop_staged
from nerspec.state.sqlite import SqliteStore
from nerspec.state.store import DeploymentRecord, RolloutObservation, RolloutRecord


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        s: Any = SqliteStore(tmp_path / "state.db")
    else:
        s = PostgresStore(request.getfixturevalue("pg_url"))
    s.set_deployment(DeploymentRecord("tiny", "production", "old", {"type": "local"}, "t"), action="deploy",
                     actor="me", reason="first")
    yield s
    s.close()


def _rollout(rid: str, candidate: str = "new") -> RolloutRecord:
    return RolloutRecord(rid, "tiny", "production", candidate, "old", "canary", 0.2, "2026-12-06T00:00:00+00:00")


def _obs(rid: str, n: int) -> list[RolloutObservation]:
    return [RolloutObservation(rid, i == 0, 2, 0, 1, False, None if i == 0 else 5.0, 4.0) for i in range(n)]


def test_stage_observe_and_replace(store: Any) -> None:
    store.rollout_start(_rollout("r1"), actor="me", reason="canary rollout of new")
    assert store.rollouts("tiny") == {"production": _rollout("r1")}
    assert store.record_rollout_observations(_obs("r1", 3)) == 3
    assert store.record_rollout_observations(_obs("r1", 2)) == 2  # batches (and servers) add up
    got = store.rollout_observations("r1")
    assert len(got) == 5 and got[0] == _obs("r1", 1)[0]
    # A manifest change replaces the candidate: the old one's observations go, late writes for it are skipped.
    store.rollout_start(_rollout("r2", "newer"), actor="me", reason="replaced")
    assert store.rollout_observations("r1") == [] and store.record_rollout_observations(_obs("r1", 2)) == 0
    assert [r.id for r in store.all_rollouts()] == ["r2"]
    assert store.deployments("tiny")["production"].fingerprint == "old"  # staging switches nothing
    assert "newer" not in store.served("tiny", "production")  # a staged candidate has not served it


def test_promote_switches_and_forgets_in_one_step(store: Any) -> None:
    store.rollout_start(_rollout("r1"), actor="me", reason="canary")
    store.record_rollout_observations(_obs("r1", 2))
    store.rollout_end(_rollout("r1"), action="promote", actor="me", reason="rollout passed: 2 documents",
                      promote=DeploymentRecord("tiny", "production", "new", {"type": "local"}, "t2"))
    assert store.deployments("tiny")["production"].fingerprint == "new"
    assert store.rollouts("tiny") == {} and store.rollout_observations("r1") == []
    last = store.history("tiny", "production")[-1]
    assert (last.action, last.from_fp, last.to_fp, last.reason) == ("promote", "old", "new",
                                                                    "rollout passed: 2 documents")
    with pytest.raises(StateError, match="ended meanwhile"):
        store.rollout_end(_rollout("r1"), action="abort", actor="me", reason="again")


def test_abort_and_drop_leave_production(store: Any) -> None:
    store.rollout_start(_rollout("r1"), actor="me", reason="canary")
    store.rollout_end(_rollout("r1"), action="abort", actor="me", reason="rollout failed: agreement 0.1")
    assert store.deployments("tiny")["production"].fingerprint == "old" and store.rollouts("tiny") == {}
    assert [(h.action, h.from_fp, h.to_fp) for h in store.history("tiny")][-2:] == [
        ("rollout", "old", "new"), ("abort", "new", None)]
    store.rollout_start(_rollout("r2"), actor="me", reason="canary")
    assert drop_staged(store, "tiny", "production", actor="me", reason="rollback") == _rollout("r2")
    assert drop_staged(store, "tiny", "production", actor="me", reason="rollback") is None


def test_promote_refuses_a_deployment_that_changed(store: Any) -> None:
    store.rollout_start(_rollout("r1"), actor="me", reason="canary")
    store.set_deployment(DeploymentRecord("tiny", "production", "other", {"type": "local"}, "t"), action="deploy",
                         actor="me", reason="by hand")
    with pytest.raises(StateError, match="changed during its rollout"):
        store.rollout_end(_rollout("r1"), action="promote", actor="me", reason="passed",
                          promote=DeploymentRecord("tiny", "production", "new", {"type": "local"}, "t2"))
    assert store.deployments("tiny")["production"].fingerprint == "other"


def test_a_malformed_rollout_row_is_a_state_error_naming_it(tmp_path: Path) -> None:
    import sqlite3

    store = SqliteStore(tmp_path / "state.db")
    store.rollout_start(_rollout("r1"), actor="me", reason="canary rollout of new")
    store.close()
    for column, value in (("weight", "heavy"), ("weight", 7.5), ("strategy", "blue-green"), ("candidate", b"\xff")):
        db = sqlite3.connect(tmp_path / "state.db")
        with db:
            db.execute("UPDATE rollouts SET weight = 0.2, strategy = 'canary', candidate = 'new'")
            db.execute(f"UPDATE rollouts SET {column} = ?", (value,))
        db.close()
        store = SqliteStore(tmp_path / "state.db")
        try:
            with pytest.raises(StateError, match="rollout row of tiny/production is malformed"):
                store.all_rollouts()
            with pytest.raises(StateError, match="rollout row of tiny/production is malformed"):
                store.rollouts("tiny")
        finally:
            store.close()


@pytest.mark.parametrize("matched", ["'many'", "9e999"], ids=["text", "infinite"])
def test_a_malformed_observation_row_is_a_state_error(tmp_path: Path, matched: str) -> None:
    import sqlite3

    store = SqliteStore(tmp_path / "state.db")
    store.rollout_start(_rollout("r1"), actor="me", reason="canary rollout of new")
    assert store.record_rollout_observations(_obs("r1", 2)) == 2
    store.close()
    db = sqlite3.connect(tmp_path / "state.db")
    with db:
        db.execute(f"UPDATE rollout_observations SET matched = {matched} WHERE candidate_ms IS NOT NULL")
    db.close()
    store = SqliteStore(tmp_path / "state.db")
    try:
        with pytest.raises(StateError, match="an observation of rollout r1 is malformed"):
            store.rollout_observations("r1")
    finally:
        store.close()
