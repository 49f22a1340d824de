"""SIGKILL a real ``nerspec apply`` subprocess at each stage; the state must stay consistent and recoverable.

The subprocess pauses at a stage through the test-only ``NERSPEC_TEST_PAUSE_AT`` hook (nerspec/state/crashpoints.py)
and is killed there. It trains with the fake trainer (``NERSPEC_TEST_TRAINER``) to keep the suite fast on shared CPUs.
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
from tests.reconcile.conftest import make_docs
from tests.reconcile.test_cli import FAKES
from tests.reconcile.test_plan import plan_of

ROOT = Path(__file__).resolve().parents[2]


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
        [sys.executable, "-m", "nerspec", "apply", str(tiny.dir)], env=env, cwd=tmp_path,
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
            assert local.is_complete(local.model_dir(state, record.fingerprint)), record
            assert store.get_model(record.fingerprint) is not None
        for pointer in local.list_pointers(state, "tiny").values():
            assert local.is_complete(Path(pointer["model_dir"])), pointer  # never a half-written model
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
def test_kill_during_apply(stage: str, tiny: Any, state: Any, engine: Any, run_apply: Any, tmp_path: Path) -> None:
    run_apply()
    old = local.read_pointer(state, "tiny", "production")["fingerprint"]  # type: ignore[index]
    tiny.write_docs(make_docs(30))
    proc, _ = start_apply(tiny, state, tmp_path, stage)
    kill(proc)

    holder = lock.read_lock(state.root)
    assert holder is not None and lock.is_stale(holder)  # the killed apply's lock, recognised as stale
    assert_consistent(state)
    served = local.read_pointer(state, "tiny", "production")["fingerprint"]  # type: ignore[index]
    plan = plan_of(tiny, state, engine)
    actions = plan.projects[0]["actions"]
    assert [a["type"] for a in actions] == EXPECTED[stage]
    new = plan.projects[0]["fingerprint"]
    assert served == (new if stage == "record-deploy" else old)
    if stage == "record-deploy":
        assert "an interrupted apply" in " ".join(actions[1]["reasons"])

    run_apply()  # clears the stale lock and finishes the work
    assert lock.read_lock(state.root) is None
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == new  # type: ignore[index]
    assert not plan_of(tiny, state, engine).changes
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
