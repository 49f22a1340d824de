"""A FIFO where the state keeps a file (a pointer, an artifact's meta.json, the run result, the caches): every
command answers (exit 0 or 1, a message naming the file) instead of waiting forever for a writer.

Run as subprocesses with a timeout: a FIFO that is read would block the test, not fail it."""

from __future__ import annotations

import json
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


def _fifo_at(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _registered_plan(root: Path) -> None:
    """A saved plan that gc must read (registered in ``plans/``) which is a FIFO, and a FIFO as a registry entry."""
    plan = root.parent / "saved-plan.json"
    _fifo_at(plan)
    (root / "plans").mkdir(exist_ok=True)
    (root / "plans" / "saved.json").write_text(json.dumps({"path": str(plan)}), encoding="utf-8")
    _fifo_at(root / "plans" / "entry.json")


ADDED = {
    "lock": lambda root: _fifo_at(root / "lock.json"),
    "deploy intent": lambda root: _fifo_at(root / "intents" / "0001.json"),
    "saved plan": _registered_plan,
    "artifact side files": lambda root: [_fifo_at(p) for name in ("fingerprints.json", "vocabulary.json",
                                                                  "metrics.json", "evaluation.json")
                                         for p in root.glob(f"models/*/{name}")],
}


@pytest.mark.parametrize("case", list(ADDED))
def test_a_fifo_added_to_the_state_never_hangs_a_command(applied: Path, tiny: Any, tmp_path: Path, case: str) -> None:
    copy = tmp_path / "fifo-state"
    shutil.copytree(applied, copy)
    ADDED[case](copy)
    env = {**os.environ, **FAKES, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": str(copy), "NO_COLOR": "1"}
    for command in (["plan", str(tiny.dir)], ["gc", "--dry-run"], ["apply", str(tiny.dir)],
                    ["deployments", "list", str(tiny.dir)]):
        result = subprocess.run([sys.executable, "-m", "tests.launch", *command], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode in (0, 1, 2) and "Traceback" not in result.stderr, (command, result.stderr)
        if result.returncode == 1:
            assert "is a FIFO (named pipe), expected a regular file" in result.stderr, (command, result.stderr)


def test_a_fifo_as_the_saved_plan_of_apply_is_exit_1_naming_it(applied: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    os.mkfifo(plan)
    env = {**os.environ, **FAKES, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": str(applied), "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "tests.launch", "apply", str(plan)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "plan.json" in result.stderr and "FIFO" in result.stderr, result.stderr


def test_a_fifo_as_the_settings_file_is_a_located_error(tiny: Any, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # tmp_path is the repository root: its nerspec.settings.yaml is read
    os.mkfifo(tmp_path / "nerspec.settings.yaml")
    env = {key: value for key, value in os.environ.items() if key not in ("NERSPEC_STATE", "NERSPEC_ARTIFACTS")}
    result = subprocess.run([sys.executable, "-m", "tests.launch", "plan", str(tiny.dir)], cwd=tmp_path,
                            env={**env, **FAKES, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "nerspec.settings.yaml: is a FIFO (named pipe), expected a regular file" in result.stderr, result.stderr
