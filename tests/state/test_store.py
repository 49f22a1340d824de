"""State store: migrations from an old database, transactions, compare-and-set, and the lock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nerspec.errors import LockError, StateError
from nerspec.paths import StatePaths
from nerspec.state import lock, open_store
from nerspec.state.migrations import LATEST, V1
from nerspec.state.store import DeploymentRecord, ModelRecord


def test_v1_database_opens_after_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    conn = sqlite3.connect(db)
    for statement in V1:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO models (fingerprint, project, created, data_fingerprint, model_dir) VALUES "
        "('abc', 'tiny', '2024-01-01T00:00:00+00:00', 'd1', '/m/abc')"
    )
    conn.execute("INSERT INTO deployments (project, deployment, fingerprint, deployed_at) VALUES ('tiny', 'production', 'abc', 't')")
    conn.execute(
        "INSERT INTO history (project, deployment, action, from_fp, to_fp, actor, at) "
        "VALUES ('tiny', 'production', 'deploy', NULL, 'abc', 'me', 't')"
    )
    conn.commit()
    conn.close()

    store = open_store(StatePaths(tmp_path))
    assert store.schema_version() == LATEST
    model = store.get_model("abc")
    assert model is not None and model.training_inputs == {} and model.artifact_files == {}
    assert store.deployments("tiny")["production"].target == {"type": "local"}
    assert [h.reason for h in store.history("tiny")] == [""]
    store.record_evaluation("tiny", "abc", "k", {"micro": {"f1": 1.0}})  # a v2 table works
    assert store.evaluation("abc", "k") == {"micro": {"f1": 1.0}}
    store.close()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    open_store(StatePaths(tmp_path)).close()
    conn = sqlite3.connect(tmp_path / "state.db")
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(StateError, match="newer"):
        open_store(StatePaths(tmp_path))


def test_compare_and_set_refuses_lost_update(tmp_path: Path) -> None:
    store = open_store(StatePaths(tmp_path))
    record = ModelRecord("tiny", "a", "t", "d", "/m/a")
    store.record_model(record, {"doc1": "h1"})
    store.set_deployment(DeploymentRecord("tiny", "production", "a", {}, "t"), action="deploy", actor="x", reason="", expected_from=None)
    with pytest.raises(StateError, match="changed meanwhile"):
        store.set_deployment(DeploymentRecord("tiny", "production", "b", {}, "t"), action="deploy", actor="y", reason="", expected_from=None)
    assert store.deployments("tiny")["production"].fingerprint == "a"
    assert len(store.history("tiny")) == 1  # the refused change left no history entry (one transaction)
    assert store.document_hashes("a") == {"doc1": "h1"}


def test_second_lock_fails_naming_holder(tmp_path: Path) -> None:
    held = lock.acquire(tmp_path, "apply")
    with pytest.raises(LockError) as info:
        lock.acquire(tmp_path, "apply")
    assert held.id in str(info.value) and str(os.getpid()) in str(info.value) and "force-unlock" in str(info.value)
    lock.release(tmp_path, held)
    lock.release(tmp_path, lock.acquire(tmp_path, "apply"))


def test_lock_timeout_waits_for_release(tmp_path: Path) -> None:
    held = lock.acquire(tmp_path, "apply")
    threading.Timer(0.5, lock.release, (tmp_path, held)).start()
    started = time.monotonic()
    lock.release(tmp_path, lock.acquire(tmp_path, "apply", timeout=10))
    assert 0.3 < time.monotonic() - started < 5


def test_stale_lock_of_dead_process_is_cleared(tmp_path: Path) -> None:
    code = "import sys; from pathlib import Path; from nerspec.state import lock; lock.acquire(Path(sys.argv[1]), 'apply')"
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)  # exits holding the lock
    dead = lock.read_lock(tmp_path)
    assert dead is not None and lock.is_stale(dead)
    info = lock.acquire(tmp_path, "apply")
    assert info.id != dead.id
    lock.release(tmp_path, info)


def test_force_unlock(tmp_path: Path) -> None:
    held = lock.acquire(tmp_path, "apply")
    with pytest.raises(LockError, match="not nope"):
        lock.force_unlock(tmp_path, "nope")
    with pytest.raises(LockError, match="is alive on this machine"):
        lock.force_unlock(tmp_path, held.id)
    assert lock.force_unlock(tmp_path, held.id, force=True).id == held.id
    assert lock.read_lock(tmp_path) is None


def test_a_force_unlocked_holder_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(LockError, match="was removed while it ran"):
        with lock.locked(tmp_path, "apply") as held:
            lock.force_unlock(tmp_path, held.id, force=True)
            other = lock.acquire(tmp_path, "apply")  # someone else took it meanwhile
    assert lock.read_lock(tmp_path).id == other.id  # type: ignore[union-attr]  # not released by the loser


def test_leftover_tmp_files_are_removed_by_the_next_locked_command(tmp_path: Path) -> None:
    old = time.time() - 3600
    leftovers = [tmp_path / "registry" / "p" / ".production.json.abc.tmp", tmp_path / "reports" / ".last-run.json.x.tmp",
                 tmp_path / ".state.tmp"]
    fresh = tmp_path / "registry" / "p" / ".staging.json.def.tmp"  # a live writer's, seconds old
    for path in (*leftovers, fresh):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half")
    for path in leftovers:
        os.utime(path, (old, old))
    with lock.locked(tmp_path, "apply"):
        pass
    assert not any(p.exists() for p in leftovers) and fresh.exists()


def test_staging_dirs_of_live_processes_are_kept(tmp_path: Path) -> None:
    import subprocess
    import sys

    from nerspec import atomic, owner

    with atomic.staged_dir(tmp_path / "model") as staged:
        assert owner.owner_alive(staged.name) is True  # this process
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = f".model.o{owner._host()}-{child.pid}-1.abc.partial"
    assert owner.owner_alive(dead) is False
    assert owner.owner_alive(".model.abc.partial") is None  # no record: the age rule decides


def test_the_state_store_table_picks_the_store_by_scheme_and_unlocks_without_opening_it(tmp_path: Path) -> None:
    import threading

    from nerspec.state import STATE_STORES, store_type
    from nerspec.state.postgres import PostgresStore
    from nerspec.state.sqlite import SqliteStore

    local = StatePaths(tmp_path)
    assert store_type(local) is SqliteStore and set(STATE_STORES) == {"postgresql", "postgres"}
    assert store_type(StatePaths(tmp_path, state_url="postgresql://ci@db:5432/nerspec")) is PostgresStore
    with pytest.raises(StateError, match="unsupported state 'mysql://db/x'"):
        store_type(StatePaths(tmp_path, state_url="mysql://db/x"))
    held = lock.acquire(tmp_path, "apply")
    (tmp_path / "state.db").write_bytes(b"not a database")  # the damaged store is not opened to unlock it
    assert store_type(local).force_unlock(local, held.id, force=True).id == held.id
    assert lock.read_lock(tmp_path) is None
    with pytest.raises(LockError, match="nothing to unlock"):
        PostgresStore.force_unlock(local, "abc")
    # Change announcements: PostgreSQL's NOTIFY; SQLite returns at once and its readers poll.
    store = open_store(StatePaths(tmp_path / "fresh"))
    try:
        assert not store.announces_changes and PostgresStore.announces_changes
        store.listen(lambda: None, threading.Event())  # returns at once
    finally:
        store.close()


@pytest.mark.parametrize("create", [True, False])
def test_a_state_file_that_is_a_directory_is_refused_not_read_as_empty(tmp_path: Path, create: bool) -> None:
    # `plan` (create=False) used to read it as "no state yet" and offer to train and deploy everything again.
    (tmp_path / "state.db").mkdir()
    with pytest.raises(StateError, match="state.db: the state is not a regular file"):
        open_store(StatePaths(tmp_path), create=create)


def test_plan_on_a_state_file_that_is_a_directory_exits_1(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nerspec.cli import cli

    project = Path(__file__).resolve().parents[2] / "projects" / "example"
    (tmp_path / "state.db").mkdir()
    result = CliRunner().invoke(cli, ["plan", str(project), "--state", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the state is not a regular file" in result.output


def test_every_way_of_listing_models_gives_the_same_absolute_directory(tmp_path: Path) -> None:
    """Rows keep paths relative to the state root (a moved state still finds its models); every reader resolves
    them the same way, so a caller never has to know which listing it got."""
    paths = StatePaths(tmp_path / ".nerspec")
    with open_store(paths) as store:
        model_dir = paths.models / "fp1"
        store.record_model(ModelRecord("people", "fp1", "2024-01-01", "d", str(model_dir)))
        listed = {m.model_dir for m in (store.get_model("fp1"), *store.models("people"), *store.all_models()) if m}
    assert listed == {str(model_dir)}
