"""Every command's --help has an example, and the examples name projects that exist in this repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from tests.test_cli_mistakes import leaf_commands

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = list(leaf_commands())


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_has_an_example_naming_real_projects(path: tuple[str, ...]) -> None:
    text = _help(path)
    assert "Example" in text, f"nerspec {' '.join(path)} --help has no example"
    names = {line.split(":", 1)[1].strip() for manifest in ROOT.glob("projects/*/nerspec.yaml")
             for line in manifest.read_text().splitlines() if line.strip().startswith("name:")}
    for directory in re.findall(r"\bprojects/([\w.-]+)", text):
        if f"/projects/{directory}/deployments" in text:  # a URL: the project's name, not its directory
            assert directory in names, f"{' '.join(path)}: the example's project {directory} does not exist"
        else:
            assert (ROOT / "projects" / directory).is_dir() or directory.startswith("example-"), (
                f"{' '.join(path)}: the example's projects/{directory} does not exist")
