"""README shell examples run as pasted: no `$` the shell would expand inside double quotes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _shell_lines() -> list[str]:
    lines, inside = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.strip() in ("```sh", "```bash", "```console")
            continue
        if inside:
            lines.append(line)
    return lines


def test_readme_shell_examples_have_no_shell_expansion_in_double_quotes() -> None:
    lines = _shell_lines()
    assert lines
    for line in lines:
        command = line.split("  #", 1)[0]
        # "$2M" loses `$2` to the shell; only deliberate variables ("$GITHUB_...", "${X}") may appear.
        for quoted in re.findall(r'"([^"]*)"', command):
            assert not re.search(r"\$(?![A-Z_{])", quoted) and "`" not in quoted and "!" not in quoted, line
        shlex.split(command, comments=True)  # balanced quotes
