"""SIGKILL a real ``nerspec apply`` subprocess at each stage; the state must stay consistent and recoverable.

The subprocess runs through the test-only launcher (tests/launch.py), which pauses it at a named crash point
(nerspec/state/crashpoints.py) where it is killed. It trains with the fake trainer to keep the suite fast on shared CPUs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nerspec.deploy import local
from nerspec.errors import LockError
from nerspec.state import lock, open_store
from tests.commands.test_reconcile import FAKES
from tests.plan.test_plan import plan_of
from tests.tiny import make_docs

ROOT = Path(__file__).resolve().parents[1]


def start_apply(tiny: Any, state: Any, tmp_path: Path, stage: str) -> tuple[subprocess.Popen[bytes], Path]:
    marker = tmp_path / f"paused-{stage}"
    env = {
        **os.environ,
        **FAKES,
        "PYTHONPATH": str(ROOT),
        "NERSPEC_STATE": str(state.root),
        "NERSPEC_TEST_PAUSE_AT": stage,
        "NERSPEC_TEST_PAUSE_MARKER": str(marker),
        "NERSPEC_TEST_PAUSE_SECONDS": "60",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.launch", "apply", str(tiny.dir)], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"apply ended before {stage}: {proc.stdout.read().decode()}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"apply never reached {stage}"
        time.sleep(0.05)
    return proc, marker


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def assert_consistent(state: Any) -> None:
    store = open_store(state)
    try:
        for record in store.all_deployments():
            assert local.is_complete(local.artifact_dir(state, record.fingerprint)), record
            assert store.get_model(record.fingerprint) is not None
        for pointer in local.list_pointers(state, "tiny").values():
            assert local.is_complete(state.root / pointer["model_dir"]), pointer  # never a half-written model
        for artifact in state.models.iterdir():
            if not artifact.name.startswith("."):
                assert local.is_complete(artifact), artifact
    finally:
        store.close()


EXPECTED = {
    # stage -> the actions the next plan shows
    "train": ["train", "deploy"],
    "artifact": ["train", "deploy"],
    "evaluate": ["reuse", "deploy"],
    "deploy": ["reuse", "deploy"],
    "record-deploy": ["reuse", "deploy"],
}


@pytest.mark.parametrize("stage", list(EXPECTED))
def test_kill_during_apply(stage: str, tiny: Any, state: Any, parts: Any, run_apply: Any, tmp_path: Path) -> None:
    run_apply()
    old = local.read_pointer(state, "tiny", "production")["fingerprint"]  # type: ignore[index]
    tiny.write_docs(make_docs(30))
    proc, _ = start_apply(tiny, state, tmp_path, stage)
    kill(proc)

    holder = lock.read_lock(state.root)
    assert holder is not None and lock.is_stale(holder)  # the killed apply's lock, recognised as stale
    assert_consistent(state)
    served = local.read_pointer(state, "tiny", "production")["fingerprint"]  # type: ignore[index]
    plan = plan_of(tiny, state, parts)
    actions = plan.projects[0].actions
    assert [a.type for a in actions] == EXPECTED[stage]
    new = plan.projects[0].fingerprint
    assert served == (new if stage == "record-deploy" else old)
    if stage == "record-deploy":
        assert "an interrupted apply" in " ".join(actions[1].reasons)

    run_apply()  # clears the stale lock and finishes the work
    assert lock.read_lock(state.root) is None
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == new  # type: ignore[index]
    assert not plan_of(tiny, state, parts).changes
    assert not list(state.models.glob(".*.partial"))
    assert_consistent(state)


def test_concurrent_applies_one_wins(tiny: Any, state: Any, run_apply: Any, tmp_path: Path) -> None:
    proc, _ = start_apply(tiny, state, tmp_path, "evaluate")
    try:
        with pytest.raises(LockError) as info:
            run_apply()
        assert f"pid {proc.pid}" in str(info.value)
        store = open_store(state)
        assert store.deployments("tiny") == {}  # the loser changed nothing
        store.close()
    finally:
        kill(proc)
    run_apply()
    assert local.read_pointer(state, "tiny", "production") is not None


def test_apply_removes_only_stale_partials(tiny: Any, state: Any, run_apply: Any) -> None:
    state.models.mkdir(parents=True)
    stale = state.models / ".abc.killed.partial"
    (stale / "model").mkdir(parents=True)
    (stale / "model" / "weights.bin").write_bytes(b"half")
    long_ago = time.time() - 3600
    for path in (stale / "model" / "weights.bin", stale / "model", stale):
        os.utime(path, (long_ago, long_ago))
    # A staging dir still being written (e.g. a `nerspec train` running beside us, which takes no lock): a file
    # in it changes after apply took the lock, so it is not stale.
    live = state.models / ".def.running.partial"
    (live / "model").mkdir(parents=True)
    checkpoint = live / "model" / "checkpoint.bin"
    checkpoint.write_bytes(b"step 1")
    soon = time.time() + 3600
    os.utime(checkpoint, (soon, soon))
    run_apply()
    assert not stale.exists()
    assert live.exists()


@pytest.mark.slow
def test_kill_during_real_training_leaves_a_partial_the_next_apply_removes(
    tiny: Any, state: Any, run_apply: Any, tmp_path: Path
) -> None:
    pytest.importorskip("spacy")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": str(state.root)}
    for key in FAKES:
        env.pop(key, None)  # the real trainer
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.launch", "apply", str(tiny.dir)], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not any(p.is_dir() for p in state.models.glob(".*.partial/_training")) if state.models.is_dir() else True:
        assert proc.poll() is None, proc.stdout.read().decode()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "training never started"
        time.sleep(0.02)
    time.sleep(0.5)  # inside spaCy's training
    kill(proc)
    assert list(state.models.glob(".*.partial"))  # hidden, so nothing reads it as a model
    assert_consistent(state)
    time.sleep(0.05)  # the leftover must be older than the next apply's lock
    run_apply()
    assert not list(state.models.glob(".*.partial"))
    assert_consistent(state)
