"""``nerspec state``: arguments that name no backend are refused before anything is copied."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec.cli import cli


def test_migrate_to_an_empty_target_is_refused_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NERSPEC_STATE", str(tmp_path / "state"))
    result = CliRunner().invoke(cli, ["state", "migrate", "--to", ""])
    assert result.exit_code == 1 and "'--to': is empty" in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # Path("") would have made a state right here
