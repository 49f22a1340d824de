"""Training shows progress to an operator: plain lines when stderr is not a terminal, none with --quiet."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from nerspec.cli import cli

pytestmark = pytest.mark.slow


def test_training_prints_progress_lines_without_a_terminal_and_quiet_silences_them(make_project, tmp_path):
    # Early stopping (patience) shows the best checkpoint; without it the last weights are kept (below).
    project = make_project(training={"max_steps": 30, "eval_frequency": 10, "patience": 20})
    runner = CliRunner()
    # A tiny training takes seconds, so a line every 0 s stands in for CI's line every 30 s.
    env = {"NERSPEC_PROGRESS_INTERVAL": "0", "NERSPEC_STATE": str(tmp_path / "state")}
    result = runner.invoke(cli, ["train", str(project)], env=env)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("tiny: train")]
    assert len(lines) >= 3
    assert re.search(r"tiny: train  \d+/30 \(\d+%\)  loss [\d.]+  dev [\d.]+ \(best [\d.]+ @ \d+\)  \d+:\d\d elapsed  ETA",
                     "\n".join(lines))
    assert lines[-1].endswith("done") and "31/30" not in result.stderr

    quiet = runner.invoke(cli, ["--quiet", "train", str(project), "--force"], env=env)
    assert quiet.exit_code == 0, quiet.output
    assert "tiny: train" not in quiet.stderr


def test_without_early_stopping_the_line_shows_the_dev_score_of_the_weights_kept(make_project, tmp_path):
    project = make_project(training={"max_steps": 30, "eval_frequency": 10, "patience": 0})
    env = {"NERSPEC_PROGRESS_INTERVAL": "0", "NERSPEC_STATE": str(tmp_path / "state")}
    result = CliRunner().invoke(cli, ["train", str(project)], env=env)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("tiny: train")]
    assert re.search(r"tiny: train  30/30 \(100%\)  loss [\d.]+  dev [\d.]+  \d+:\d\d elapsed", "\n".join(lines))
    assert "best" not in "\n".join(lines)
    assert "(weights of step 30 of 31)" in result.stdout  # the last step's weights, which the dev score is of
