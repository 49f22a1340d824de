"""Label errors are refused for an overlapping project (`overlapping: true`) at once, before any fold trains."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from nerspec.cli import cli
from tests.nested_models import nested_project, nested_records


def test_label_errors_refuse_an_overlapping_project_before_training(tmp_path: Path) -> None:
    root = nested_project(tmp_path / "nested", nested_records(10), {"max_steps": 1})
    result = CliRunner().invoke(cli, ["lint", str(root), "--label-errors", "--state", str(tmp_path / "state")])
    assert result.exit_code == 1
    assert "project `nested`: label errors need the flat NER model; a project with `overlapping: true`" in result.output
    assert not (tmp_path / "state" / "cache" / "cross-fit").exists()
