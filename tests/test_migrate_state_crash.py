"""SIGKILL a real ``nerspec state migrate`` subprocess at its crash points: the target stays a consistent state,
and running the migration again finishes it, with every record kind as the source has it (nothing twice)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nerspec.migrate_state import migrate_state
from nerspec.paths import StatePaths
from nerspec.state import open_store
from tests.test_apply_crash import kill
from tests.test_migrate_state import _assert_copied_everything, _staged_and_monitored

ROOT = Path(__file__).resolve().parents[1]


def _start_migrate(source: StatePaths, target: StatePaths, tmp_path: Path, stage: str) -> subprocess.Popen[bytes]:
    marker = tmp_path / f"paused-{stage}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERSPEC_TEST_PAUSE_AT": stage,
           "NERSPEC_TEST_PAUSE_MARKER": str(marker), "NERSPEC_TEST_PAUSE_SECONDS": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.launch", "state", "migrate", "--from", str(source.root),
                             "--to", str(target.root), "--quiet"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"migrate ended before {stage}: {proc.stdout.read().decode()}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"migrate never reached {stage}"
        time.sleep(0.05)
    return proc


@pytest.mark.parametrize("stage", ["migrate-model", "migrate-projects"])
def test_a_killed_migration_leaves_a_consistent_target_that_the_next_run_completes(
    stage: str, tiny: Any, state: StatePaths, run_apply: Any, tmp_path: Path
) -> None:
    _staged_and_monitored(tiny, state, run_apply)
    target = StatePaths(tmp_path / "moved")
    kill(_start_migrate(state, target, tmp_path, stage))
    with open_store(target) as store:  # a state that opens, whose records name only complete models
        recorded = store.models("tiny")
        assert recorded and store.all_deployments() == [] and store.all_rollouts() == []
        assert all((Path(m.model_dir) / "meta.json").is_file() for m in recorded)
    report = migrate_state(state, target)
    assert (report.models_present, report.projects_copied, report.rollouts_copied) == (len(recorded), ["tiny"], 1)
    _assert_copied_everything(state, target)
