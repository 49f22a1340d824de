"""A state beside another one on this machine (the demo's SQLite state, then a shared PostgreSQL one, or a second
SQLite state using the first one's models): what the first trained and deployed is named as such, never as an
interrupted apply's leftover or a pointer written outside nerspec. Real SQLite files, real PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.apply import apply, make_plan
from nerspec.deploy.local import pointer_path, stray_pointers
from nerspec.deploy.other_states import OtherStates, other_state_dirs
from nerspec.paths import LOCAL_ENV, StatePaths
from nerspec.plan import Plan, ProjectPlan
from nerspec.state import migrations, open_store
from tests.tiny import manifest

MISLEADING = ("interrupted apply", "outside nerspec", "remove it")


def _plan(tiny: Any, paths: StatePaths, parts: Any) -> Plan:
    with open_store(paths, create=False) as store:
        return make_plan(tiny.load(), paths, store, parts)


def _reasons(plan: ProjectPlan) -> str:
    return " | ".join(r for a in plan.actions for r in a.reasons) + " | " + " | ".join(plan.notes)


def test_a_shared_state_beside_the_demo_state_says_the_demo_trained_and_deployed_it(
    tiny: Any, state: StatePaths, parts: Any, run_apply: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = run_apply()["projects"][0]["model"]["fingerprint"]  # the demo: SQLite state in the local directory
    shared = StatePaths(state.root, state_url=pg_url)
    assert other_state_dirs(shared) == [state.root.resolve()]

    plan = _plan(tiny, shared, parts).projects[0]
    assert [a.type for a in plan.actions] == ["reuse", "deploy"] and plan.fingerprint == deployed
    reasons = _reasons(plan)
    assert f"trained by the state {Path('state', 'state.db')} on this machine" in reasons, reasons
    assert f"this machine's pointer serves {deployed[:12]}, deployed by the state state/state.db; recording it" \
        in reasons, reasons
    assert not any(word in reasons for word in MISLEADING), reasons

    with open_store(shared) as store:  # planning another project: the demo's pointer is named, and kept
        (warning,) = stray_pointers(shared, store, {"another-project"})
    assert warning.startswith(f"{pointer_path(shared, 'tiny', 'production')}: deployed by the state state/state.db")
    assert "left alone" in warning and not any(word in warning for word in MISLEADING), warning

    from nerspec.cli import cli

    monkeypatch.setenv(LOCAL_ENV, str(state.root))
    listed = CliRunner().invoke(cli, ["deployments", "list", str(tiny.dir), "--state", pg_url, "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert row["fingerprint"] is None and row["pointer"] == deployed and row["drift"] == []
    assert row["notes"] == [f"production: this machine's pointer serves {deployed[:12]}, deployed by the state "
                            "state/state.db"]

    apply(tiny.load(), shared, parts=parts)  # recorded in the shared state, without training again
    assert not _plan(tiny, shared, parts).changes
    assert not _plan(tiny, state, parts).changes  # the demo's own state still serves what it deployed
    assert json.loads(pointer_path(state, "tiny", "production").read_text())["fingerprint"] == deployed


def test_the_demo_deployment_a_shared_manifest_no_longer_declares_is_left_alone(
    tiny: Any, state: StatePaths, parts: Any, run_apply: Any, pg_url: str
) -> None:
    run_apply()
    tiny.write_manifest(manifest(deployments=[{"name": "staging"}]))
    plan = _plan(tiny, StatePaths(state.root, state_url=pg_url), parts).projects[0]
    assert [a.type for a in plan.actions] == ["reuse", "deploy"]  # staging: new; production: not this state's
    assert not any(a.type == "remove_deployment" for a in plan.actions)
    (note,) = [n for n in plan.notes if n.startswith("production:")]
    assert "deployed by the state state/state.db" in note and "left alone" in note, note
    assert pointer_path(state, "tiny", "production").exists()


def test_a_second_sqlite_state_using_the_first_ones_models_names_that_state(
    tiny: Any, state: StatePaths, parts: Any, run_apply: Any, tmp_path: Path
) -> None:
    run_apply()
    second = StatePaths(tmp_path / "second", artifacts_url=str(state.models))
    before = _tree(state.root)
    assert {"state.db"} <= set(before) and not {"state.db-wal", "state.db-shm"} & set(before)  # a closed WAL state
    plan = _plan(tiny, second, parts).projects[0]
    assert _tree(state.root) == before  # asked, and left exactly as it was: no -wal, no -shm, nothing touched
    assert plan.actions[0].type == "reuse"
    assert "trained by the state state/state.db on this machine" in plan.actions[0].reasons[0]
    assert plan.actions[1].reasons == ["new deployment"]  # its pointers live in its own directory: none yet


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``folder`` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_a_saved_plan_naming_an_other_state_is_not_stale_from_another_directory(
    tiny: Any, state: StatePaths, parts: Any, run_apply: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_apply()
    second = StatePaths((tmp_path / "second").resolve(), artifacts_url=str(state.models.resolve()))
    here = _plan(tiny, second, parts)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # `apply plan.json` run elsewhere: the other state is described otherwise
    there = _plan(tiny, second, parts)
    assert here.projects[0].actions[0].reasons != there.projects[0].actions[0].reasons  # the path shown differs
    assert here.inputs_sha256 == there.inputs_sha256


def test_an_artifact_no_state_records_keeps_the_interrupted_apply_wording(
    tiny: Any, state: StatePaths, parts: Any, run_apply: Any, tmp_path: Path
) -> None:
    deployed = run_apply()["projects"][0]["model"]["fingerprint"]
    alone = StatePaths(tmp_path / "alone")
    shutil.copytree(state.models / deployed, alone.models / deployed)  # as a killed apply leaves it
    assert other_state_dirs(alone) == []
    (reuse, _) = _plan(tiny, alone, parts).projects[0].actions
    assert reuse.type == "reuse" and "left by an interrupted apply" in reuse.reasons[0], reuse.reasons


def _explains_nothing(folder: Path) -> None:
    """The other state in ``folder`` (which shares this state's pointers) names no model and no deployment."""
    others = OtherStates([folder], registry_owner=folder)
    try:
        assert others.model_recorded_by("a" * 24) is None
        assert others.deployment_recorded_by("tiny", "production", "a" * 24) is None
    finally:
        others.close()


def test_an_other_state_that_cannot_be_opened_explains_nothing(tmp_path: Path) -> None:
    (tmp_path / "state.db").write_bytes(b"not a database")
    _explains_nothing(tmp_path)


def _sibling(folder: Path, version: int = migrations.LATEST) -> Path:
    """A state database at schema ``version`` recording model ``a...`` deployed as tiny/production."""
    folder.mkdir()
    conn = sqlite3.connect(folder / "state.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    migrations.migrate(conn, target=version)
    conn.execute("INSERT INTO models (fingerprint, project, created, data_fingerprint, model_dir) "
                 "VALUES (?, 'tiny', 'now', 'd', 'models/a')", ("a" * 24,))
    conn.execute("INSERT INTO deployments (project, deployment, fingerprint, deployed_at) "
                 "VALUES ('tiny', 'production', ?, 'now')", ("a" * 24,))
    conn.close()  # the last connection: its -wal and -shm go
    return folder


def _version(folder: Path) -> int:
    conn = sqlite3.connect(f"file:{folder / 'state.db'}?mode=ro", uri=True)
    try:
        return migrations.current_version(conn)
    finally:
        conn.close()


def test_an_other_state_is_read_without_creating_files_beside_it(tmp_path: Path) -> None:
    sibling = _sibling(tmp_path / "demo")
    others = OtherStates([sibling], registry_owner=sibling)
    try:
        assert others.model_recorded_by("a" * 24) == str(sibling / "state.db")
        assert others.deployment_recorded_by("tiny", "production", "a" * 24) == str(sibling / "state.db")
        assert others.model_recorded_by("b" * 24) is None
        assert sorted(p.name for p in sibling.iterdir()) == ["state.db"]  # no -wal, no -shm left by a reader
        held = [os.path.realpath(fd) for fd in Path("/proc/self/fd").iterdir()] if Path("/proc/self/fd").is_dir() else []
        assert str((sibling / "state.db").resolve()) not in held  # nothing stays open between questions
    finally:
        others.close()


def test_an_other_state_in_a_write_transaction_is_read_as_committed_and_left_as_it_is(tmp_path: Path) -> None:
    sibling = _sibling(tmp_path / "demo")
    writer = sqlite3.connect(sibling / "state.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # an apply in the demo state, mid-transaction
    writer.execute("UPDATE models SET fingerprint = ?", ("c" * 24,))
    files = sorted(p.name for p in sibling.iterdir())
    others = OtherStates([sibling])
    try:
        assert others.model_recorded_by("a" * 24) == str(sibling / "state.db")  # what is committed
        assert others.model_recorded_by("c" * 24) is None
        assert sorted(p.name for p in sibling.iterdir()) == files
    finally:
        others.close()
        writer.execute("ROLLBACK")
        writer.close()
    assert sorted(p.name for p in sibling.iterdir()) == ["state.db"]  # the writer, last out, removed its WAL
    assert _version(sibling) == migrations.LATEST


def test_an_other_state_locked_against_readers_is_skipped(tmp_path: Path) -> None:
    sibling = _sibling(tmp_path / "demo")
    writer = sqlite3.connect(sibling / "state.db", isolation_level=None)
    writer.execute("PRAGMA journal_mode=DELETE")  # a rollback journal: an exclusive lock keeps readers out
    writer.execute("BEGIN EXCLUSIVE")
    try:
        _explains_nothing(sibling)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_an_older_other_state_is_read_and_never_upgraded(tmp_path: Path) -> None:
    sibling = _sibling(tmp_path / "demo", version=1)
    others = OtherStates([sibling])
    try:
        assert others.model_recorded_by("a" * 24) == str(sibling / "state.db")
    finally:
        others.close()
    assert sorted(p.name for p in sibling.iterdir()) == ["state.db"]
    assert _version(sibling) == 1


def test_an_other_state_with_a_newer_schema_explains_nothing(tmp_path: Path) -> None:
    sibling = _sibling(tmp_path / "demo")
    conn = sqlite3.connect(sibling / "state.db", isolation_level=None)
    conn.execute("UPDATE schema_version SET version = ?", (migrations.LATEST + 1,))
    conn.close()
    others = OtherStates([sibling])
    try:
        assert others.model_recorded_by("a" * 24) is None
    finally:
        others.close()
    assert _version(sibling) == migrations.LATEST + 1
