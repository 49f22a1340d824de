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


def _written_at_the_root() -> set[str]:
    """Relative paths the README's shell examples write: `-o X`, `> X`, `state backup X`, `clone SRC X`."""
    written = set()
    for line in _shell_lines():
        command = line.split("  #", 1)[0]
        for target in re.findall(r"(?:\s-o|>>?|\sbackup|\sclone\s+\S+)\s+([\w./-]+)", command):
            if not target.startswith(("/", "$", ".nerspec", "projects/")):
                written.add(target)
    return written


def test_what_the_readme_writes_is_git_ignored() -> None:
    import subprocess

    written = _written_at_the_root()
    assert {"report.md", "pool.jsonl", "batch.json", "drafts.jsonl"} <= written
    root = README.parent
    if not (root / ".git").exists():
        import pytest

        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *sorted(written)], cwd=root, capture_output=True,
                             text=True).stdout.split()
    assert sorted(set(written) - set(ignored)) == []
