"""Damaged state: a lost, empty or corrupt state.db, `registry` as a file, backups and restores, recovery."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.deploy import local, rollback
from nerspec.errors import StateError
from nerspec.paths import StatePaths
from nerspec.state import open_store
from tests.plan.test_plan import plan_of
from tests.tiny import make_docs


def nerspec(state: StatePaths, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--state", str(state.root)])


def _two_models_rolled_back(tiny: Any, state: StatePaths, run_apply: Any) -> tuple[str, str]:
    first = run_apply()["projects"][0]["model"]["fingerprint"]
    tiny.write_docs(make_docs(30))
    second = run_apply()["projects"][0]["model"]["fingerprint"]
    rollback(state, tiny.load()[0], "production")
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == first  # type: ignore[index]
    return first, second


def _empty_the_database(db: Path, drop: bool) -> None:
    import sqlite3

    conn = sqlite3.connect(db)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if not row[0].startswith("sqlite_")]
    for table in tables:
        conn.execute(f"DROP TABLE {table}" if drop else f"DELETE FROM {table}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("damage", ["missing", "empty", "rows-deleted", "tables-dropped"])
def test_lost_database_is_refused_then_recovered(tiny: Any, state: StatePaths, parts: Any, run_apply: Any,
                                                 damage: str) -> None:
    first, second = _two_models_rolled_back(tiny, state, run_apply)
    if damage in ("rows-deleted", "tables-dropped"):  # a valid database that holds nothing
        _empty_the_database(state.db, drop=damage == "tables-dropped")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state.db}{suffix}").unlink(missing_ok=True)
    if damage == "empty":
        state.db.write_bytes(b"")
    with pytest.raises(StateError, match="nerspec state recover"):
        run_apply()
    shown = {"rows-deleted": "emptied", "tables-dropped": "emptied"}.get(damage, damage)
    with pytest.raises(StateError, match=f"is {shown}.*`nerspec state restore FILE`"):
        plan_of(tiny, state, parts)
    result = nerspec(state, "state", "recover")
    assert result.exit_code == 0, result.output
    assert "recovered 2 model(s) and 1 deployment(s)" in result.output
    run_apply()  # the rolled-back model is not redeployed
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == first  # type: ignore[index]
    store = open_store(state)
    assert store.deployments("tiny")["production"].fingerprint == first
    assert {m.fingerprint for m in store.models("tiny")} == {first, second}
    store.close()


@pytest.mark.parametrize("full_check", [True, False], ids=["quick_check", "large-db-query-guard"])
def test_corrupt_database_is_a_clear_error_in_every_command(tiny: Any, state: StatePaths, run_apply: Any,
                                                            full_check: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not full_check:
        monkeypatch.setattr("nerspec.state.sqlite_connection.QUICK_CHECK_MAX_BYTES", 0)
    run_apply()
    for suffix in ("-wal", "-shm"):
        Path(f"{state.db}{suffix}").unlink(missing_ok=True)
    data = bytearray(state.db.read_bytes())
    data[100:4096] = os.urandom(4096 - 100)  # the schema page
    state.db.write_bytes(bytes(data))
    for args in (("plan", str(tiny.dir)), ("apply", str(tiny.dir)), ("deployments", "list", str(tiny.dir))):
        result = nerspec(state, *args)
        assert result.exit_code == 1, (args, result.output)
        assert str(state.db) in result.output and "nerspec state recover" in result.output, result.output
    result = nerspec(state, "state", "recover")
    assert result.exit_code == 0 and "the damaged database is kept as" in result.output, result.output
    assert nerspec(state, "plan", str(tiny.dir)).exit_code == 0


def test_registry_that_is_a_file_is_an_error(tiny: Any, state: StatePaths, run_apply: Any) -> None:
    run_apply()
    shutil.rmtree(state.registry)
    state.registry.write_text("oops")
    for args in (("plan", str(tiny.dir)), ("apply", str(tiny.dir))):
        result = nerspec(state, *args)
        assert result.exit_code == 1 and "should be a directory but is a file" in result.output, result.output


def test_backup_and_restore_into_a_moved_state(tiny: Any, state: StatePaths, parts: Any, run_apply: Any,
                                               tmp_path: Path) -> None:
    run_apply()
    backup = tmp_path / "backups" / "state.db"
    result = nerspec(state, "state", "backup", str(backup))
    assert result.exit_code == 0 and backup.is_file(), result.output
    moved = StatePaths(tmp_path / "moved-state")
    shutil.move(str(state.root), str(moved.root))
    moved.db.unlink()
    result = nerspec(moved, "state", "restore", str(backup))
    assert result.exit_code == 0, result.output
    assert not plan_of(tiny, moved, parts).changes  # relative paths: the moved state finds its models
    bad = tmp_path / "not-a-backup.db"
    bad.write_bytes(b"hello")
    result = nerspec(moved, "state", "restore", str(bad))
    assert result.exit_code == 1 and "not a nerspec state backup" in result.output or "corrupt" in result.output


def test_restoring_a_backup_older_than_a_rollback_needs_force(tiny: Any, state: StatePaths, parts: Any,
                                                              run_apply: Any, tmp_path: Path) -> None:
    first = run_apply()["projects"][0]["model"]["fingerprint"]
    tiny.write_docs(make_docs(30))
    second = run_apply()["projects"][0]["model"]["fingerprint"]
    backup = tmp_path / "before-rollback.db"
    assert nerspec(state, "state", "backup", str(backup)).exit_code == 0
    rollback(state, tiny.load()[0], "production")
    result = nerspec(state, "state", "restore", str(backup))
    assert result.exit_code == 1, result.output
    assert "older than what happened since it was taken" in result.output and "--force" in result.output
    assert f"rollback of tiny/production to {first[:12]}" in result.output
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == first  # type: ignore[index]
    store = open_store(state)
    assert store.deployments("tiny")["production"].fingerprint == first  # nothing was restored
    store.close()
    # With the database lost, the pointers still tell: production serves the rolled-back-to model.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state.db}{suffix}").unlink(missing_ok=True)
    result = nerspec(state, "state", "restore", str(backup))
    assert result.exit_code == 1 and f"tiny/production serves {first[:12]}, the backup records {second[:12]}" in (
        result.output), result.output
    result = nerspec(state, "state", "restore", str(backup), "--force")
    assert result.exit_code == 0, result.output


def test_recover_refuses_a_healthy_database(tiny: Any, state: StatePaths, run_apply: Any) -> None:
    run_apply()
    result = nerspec(state, "state", "recover")
    assert result.exit_code == 1 and "is healthy" in result.output


def test_deployment_row_deleted_by_hand_is_drift(tiny: Any, state: StatePaths, parts: Any, run_apply: Any) -> None:
    import sqlite3

    from tests.tiny import manifest

    tiny.write_manifest(manifest(deployments=[{"name": "production"}, {"name": "staging"}]))
    run_apply()
    tiny.write_manifest(manifest())  # staging no longer declared ...
    conn = sqlite3.connect(state.db)
    conn.execute("DELETE FROM deployments WHERE deployment = 'staging'")  # ... and its row deleted by hand
    conn.execute("DELETE FROM deployments WHERE deployment = 'production'")
    conn.commit()
    conn.close()
    actions = plan_of(tiny, state, parts).projects[0].actions
    by_type = {a.type: a for a in actions}
    assert by_type["remove_deployment"].deployment == "staging"  # the pointer still served a model
    assert "deleted outside nerspec" in " ".join(by_type["deploy"].reasons)
    run_apply()
    assert not (state.registry / "tiny" / "staging.json").exists()
    assert not plan_of(tiny, state, parts).changes


def test_backup_never_replaces_a_device_a_fifo_or_the_state_database(tmp_path: Path) -> None:
    """`state backup /dev/null` (run as root) renamed the backup over /dev/null: the device became a file. A backup
    onto the state's own database replaced it under the running servers, its -wal left beside it."""
    state = StatePaths(tmp_path / "state")
    open_store(state).close()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link.db"
    link.symlink_to(state.db)
    for target, reason in ((fifo, "not a regular file"), (Path(state.db), "the state database itself"),
                           (link, "the state database itself"), (Path(f"{state.db}-wal"), "the state database")):
        result = nerspec(state, "state", "backup", str(target))
        assert result.exit_code == 1 and reason in result.output, result.output
    assert fifo.is_fifo() and link.is_symlink()
    result = nerspec(state, "state", "backup", str(tmp_path / "backups" / "state.db"))
    assert result.exit_code == 0 and (tmp_path / "backups" / "state.db").is_file()
