"""A FIFO where the state keeps a file (a pointer, an artifact's meta.json, the run result, the caches): every
command answers (exit 0 or 1, a message naming the file) instead of waiting forever for a writer.

Run as subprocesses with a timeout: a FIFO that is read would block the test, not fail it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_reconcile import FAKES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def applied(run_apply: Any, state: Any) -> Path:
    run_apply()  # fakes: a deployed `production` with its pointer, artifact and run result
    assert (state.root / "registry").is_dir() and any(state.models.glob("*/meta.json"))
    return Path(state.root)


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


CASES = {
    "pointer": lambda root: [_fifo(p) for p in root.glob("registry/*/*.json")],
    "meta.json": lambda root: [_fifo(p) for p in root.glob("models/*/meta.json")],
    "run result": lambda root: _fifo(root / "reports" / "last-run.json"),
    "caches": lambda root: [_fifo(p) for p in (root / "cache").iterdir() if p.is_file()],
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_fifo_in_the_state_never_hangs_a_command(applied: Path, tiny: Any, tmp_path: Path, case: str) -> None:
    copy = tmp_path / "fifo-state"
    shutil.copytree(applied, copy)
    CASES[case](copy)
    env = {**os.environ, **FAKES, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": str(copy), "NO_COLOR": "1"}
    for command in (["plan", str(tiny.dir)], ["deployments", "list", str(tiny.dir)], ["gc", "--dry-run"],
                    ["report", "-o", str(tmp_path / "report.md")]):
        result = subprocess.run([sys.executable, "-m", "tests.launch", *command], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode in (0, 1, 2) and "Traceback" not in result.stderr, (command, result.stderr)
        if result.returncode == 1:
            assert "is a FIFO (named pipe), expected a regular file" in result.stderr, (command, result.stderr)
