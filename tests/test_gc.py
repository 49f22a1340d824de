"""`nerspec gc`: frees models nothing needs; never a served one, rollback targets and saved plans kept;
a gc killed mid-way leaves every deployment serving and the next gc finishes the job."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.deploy import local
from nerspec.gc import collect
from nerspec.plan import artifact_intact
from nerspec.state import open_store
from tests.launch import install_parts
from tests.plan.test_plan import plan_of
from tests.test_apply_crash import kill
from tests.tiny import make_docs, manifest

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = ("production", "staging")


def _history_of_models(tiny: Any, run_apply: Any, count: int) -> list[str]:
    """Apply ``count`` data versions; both deployments follow each one. Returns the fingerprints, oldest first."""
    tiny.write_manifest(manifest(deployments=[{"name": name} for name in DEPLOYMENTS]))
    fingerprints = []
    for i in range(count):
        tiny.write_docs(make_docs(24 + i))
        result = run_apply()
        fingerprints.append(result["projects"][0]["model"]["fingerprint"])
    return fingerprints


def _artifacts(state: Any) -> set[str]:
    return {p.name for p in state.models.iterdir() if not p.name.startswith(".")}


def assert_every_deployment_serves(state: Any, tiny: Any, parts: Any) -> None:
    store = open_store(state)
    try:
        for name in DEPLOYMENTS:
            pointer = local.read_pointer(state, "tiny", name)
            assert pointer is not None, name
            record = store.get_model(pointer["fingerprint"])
            assert record is not None and store.deployments("tiny")[name].fingerprint == pointer["fingerprint"]
            assert artifact_intact(state.root / pointer["model_dir"], record.artifact_files, _NoCache()), name
    finally:
        store.close()
    assert plan_of(tiny, state, parts).changes is False  # nothing to repair, nothing damaged


class _NoCache:
    def hash(self, path: Path) -> str:
        from nerspec.safeio import sha256_file

        return sha256_file(path)


def test_gc_keeps_served_and_last_n_and_frees_the_rest(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    fps = _history_of_models(tiny, run_apply, 5)
    dry = collect(state, keep=1, dry_run=True)
    assert sorted(c.fingerprint for c in dry.removed) == sorted(fps[:3]) and _artifacts(state) == set(fps)
    result = collect(state, keep=1)
    assert sorted(c.fingerprint for c in result.removed) == sorted(fps[:3]) and result.freed > 0
    assert _artifacts(state) == set(fps[3:])
    assert result.kept[fps[4]].startswith("served by tiny/")
    assert "rollback" in result.kept[fps[3]]
    store = open_store(state)
    try:
        assert [store.get_model(fp) is None for fp in fps] == [True, True, True, False, False]
    finally:
        store.close()
    assert_every_deployment_serves(state, tiny, parts)
    assert collect(state, keep=1).removed == []  # idempotent


def test_gc_command_keeps_models_of_saved_plans(tiny: Any, state: Any, parts: Any, run_apply: Any,
                                                tmp_path: Path, monkeypatch: Any) -> None:
    fps = _history_of_models(tiny, run_apply, 2)
    tiny.write_docs(make_docs(40))
    candidate = run_apply(no_deploy=True)["projects"][0]["model"]["fingerprint"]  # trained for a pull request
    monkeypatch.setenv("NERSPEC_STATE", str(state.root))
    install_parts({"NERSPEC_TEST_LOAD_CORPUS": "tests.fakes:load_corpus",
                    "NERSPEC_TEST_SPLIT": "tests.fakes:split_corpus"}, monkeypatch.setattr)
    runner = CliRunner()
    saved = tmp_path / "reviewed-plan.json"
    assert runner.invoke(cli, ["plan", str(tiny.dir), "-o", str(saved)]).exit_code == 0
    out = runner.invoke(cli, ["gc", "--keep", "0"])
    assert out.exit_code == 0, out.output
    assert f"removed {fps[0][:12]}" in out.output and "gc: freed" in out.output and "(1 model)" in out.output
    assert candidate in _artifacts(state)  # the saved plan reuses it
    saved.unlink()
    again = runner.invoke(cli, ["gc", "--keep", "0", "--dry-run"])
    assert f"would remove {candidate[:12]}" in again.output and candidate in _artifacts(state)


# "gc": between renaming the first model away and deleting its tombstone; "gc-forgotten": after the state forgot
# it and before its directory was renamed (an orphan the unrecorded-artifact grace used to keep).
@pytest.mark.parametrize("stage", ["gc", "gc-forgotten"])
def test_gc_killed_mid_way_leaves_every_deployment_serving(
    tiny: Any, state: Any, parts: Any, run_apply: Any, tmp_path: Path, stage: str
) -> None:
    fps = _history_of_models(tiny, run_apply, 4)
    marker = tmp_path / "paused-gc"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": str(state.root), "NERSPEC_TEST_PAUSE_AT": stage,
           "NERSPEC_TEST_PAUSE_MARKER": str(marker), "NERSPEC_TEST_PAUSE_SECONDS": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.launch", "gc", "--keep", "0"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None, proc.stdout.read().decode()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "gc never reached its removal"
        time.sleep(0.05)
    kill(proc)

    assert any(p.name.startswith(".") and ".gc-" in p.name for p in state.models.iterdir())
    assert_every_deployment_serves(state, tiny, parts)
    result = collect(state, keep=0)  # the stale lock of the killed gc is cleared; the rest is removed
    assert not any(".gc-" in p.name for p in state.models.iterdir())
    assert _artifacts(state) == {fps[-1]} and len(result.removed) == 2
    assert_every_deployment_serves(state, tiny, parts)


def test_a_saved_plan_protects_what_it_names_even_damaged() -> None:
    from nerspec.gc import plan_fingerprints

    plan = {"projects": [
        {"fingerprint": "cand", "serves": {"production": "old", "staging": None},
         "actions": [{"type": "deploy", "from": "old", "to": "cand"}, {"type": "repair", "fingerprint": "fixed"},
                     "not an action", {"type": "train", "fingerprint": 7}]},
        "not a project",
        {"serves": ["not", "a", "mapping"], "actions": {"not": "a list"}},
    ]}
    assert plan_fingerprints(plan) == {"cand", "old", "fixed"}
    assert plan_fingerprints([]) == set() and plan_fingerprints({"projects": "none"}) == set()
