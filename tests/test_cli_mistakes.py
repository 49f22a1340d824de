"""Every command, with its most likely mistakes, exits 1 with a message and no traceback.

Driven by click's command tree, so a command added later is covered without touching this file: each path
argument or path option gets a path that does not exist (or one below a regular file, which cannot be created
either), each deployment a name the project does not declare, and each typed option a value of the wrong type.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nerspec.cli import cli

# Parameters that name a file or directory although their click type is plain text.
PATH_LIKE_NAMES = {"input", "pool", "state", "output", "source", "dest", "file", "path", "paths", "project"}
DEPLOYMENT_NAMES = {"deployment", "a", "b"}
# Parameters with no wrong value of their own worth testing (free text, URLs, secrets' variable names).
# Options that only matter together with another one, so alone a wrong value is no mistake (and why).
UNUSED_ALONE = {
    (("lint",), "state"): "the state is read only with --label-errors",
    (("data", "split"), "state"): "the state is read only for a stratified split (version 4 records its sides)",
    (("data", "stats"), "state"): "the state is read only for a stratified split (version 4 records its sides)",
}
MISSING = "{tmp}/no-such-dir/missing"
BELOW_A_FILE = "{tmp}/a-file.txt/out"


@dataclass(frozen=True)
class Mistake:
    command: tuple[str, ...]
    argv: tuple[str, ...]
    what: str

    def __str__(self) -> str:
        return f"nerspec {' '.join(self.argv)}  ({self.what})"


def leaf_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def _is_path(param: click.Parameter) -> bool:
    return isinstance(param.type, click.Path | click.File) or (param.name or "") in PATH_LIKE_NAMES


def _valid(param: click.Parameter) -> list[str]:
    """A plausible value for an argument (the mistake lies elsewhere)."""
    name = param.name or ""
    if name in DEPLOYMENT_NAMES:
        return ["production"]
    if _is_path(param):
        return ["projects/tiny"]
    return ["something"]


def _with(command: click.Command, name: str, value: str) -> list[str]:
    """Arguments in order, ``name`` replaced by ``value``; then the required options."""
    argv: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument):
            argv += [value] if param.name == name else _valid(param)
    for param in command.params:
        if isinstance(param, click.Option) and param.required and param.name != name:
            argv += [param.opts[0], BELOW_A_FILE]
    return argv


def _bad_value(param: click.Option) -> str | None:
    if isinstance(param.type, click.Choice):
        return "not-a-choice"
    if isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
        return "not-a-number"
    return None


def mistakes() -> Iterator[Mistake]:
    for path, command in leaf_commands():
        for param in command.params:
            name = param.name or ""
            if isinstance(param, click.Argument):
                if name in DEPLOYMENT_NAMES:
                    yield Mistake(path, (*path, *_with(command, name, "no-such-deployment")), f"unknown {name}")
                elif _is_path(param):
                    yield Mistake(path, (*path, *_with(command, name, MISSING)), f"missing {name}")
                continue
            if not isinstance(param, click.Option) or param.is_flag or param.hidden or (path, name) in UNUSED_ALONE:
                continue
            base = _with(command, "", "")
            if name in DEPLOYMENT_NAMES:
                yield Mistake(path, (*path, *base, param.opts[0], "no-such-deployment"), f"unknown {name}")
            elif _is_path(param):
                yield Mistake(path, (*path, *base, param.opts[0], BELOW_A_FILE), f"{name} below a regular file")
            elif (bad := _bad_value(param)) is not None:
                yield Mistake(path, (*path, *base, param.opts[0], bad), f"bad {name}")


ALL = list(mistakes())


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with one small valid project, an empty state, and a regular file to put paths below."""
    from tests.tiny import TinyProject, make_docs, manifest

    monkeypatch.chdir(tmp_path)
    project = TinyProject(tmp_path)
    project.write_manifest(manifest())
    project.write_docs(make_docs(24))
    (tmp_path / "a-file.txt").write_text("not a directory\n")
    monkeypatch.setenv("NERSPEC_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("NERSPEC_ARTIFACTS", raising=False)
    monkeypatch.setenv("NERSPEC_PROGRESS_INTERVAL", "3600")
    return tmp_path


def test_the_tree_yields_mistakes_for_every_command() -> None:
    covered = {m.command for m in ALL}
    uncovered = [" ".join(path) for path, command in leaf_commands()
                 if path not in covered and any(not getattr(p, "is_flag", False) for p in command.params)]
    assert uncovered == [], f"commands with parameters but no mistake to try: {uncovered}"


@pytest.mark.parametrize("mistake", ALL, ids=str)
def test_a_mistake_exits_1_without_a_traceback(mistake: Mistake, workspace: Path) -> None:
    argv = [a.format(tmp=workspace) for a in mistake.argv]
    result = CliRunner().invoke(cli, argv)
    output = result.output
    assert "Traceback" not in output, f"{mistake}:\n{output}"
    assert result.exit_code == 1, f"{mistake}: exit {result.exit_code}\n{output}"
    assert output.strip(), f"{mistake}: no message"


def test_a_busy_port_is_exit_1_naming_the_port(tmp_path: Path) -> None:
    import socket

    (tmp_path / "state").mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--state", str(tmp_path / "state")])
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "Traceback" not in result.output


def test_predict_from_a_missing_file_is_exit_1_naming_it(ner_model: tuple[Path, Path, object], tmp_path: Path) -> None:
    root, state_dir, _artifact = ner_model
    missing = tmp_path / "input.jsonl"
    result = CliRunner().invoke(cli, ["predict", str(root), "--deployment", "production", "--state", str(state_dir),
                                      "-f", str(missing)])
    assert result.exit_code == 1, result.output
    assert str(missing) in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("kind", ["fifo", "device", "latin-1 text", "latin-1 jsonl", "latin-1 stdin"])
def test_predict_from_a_file_that_cannot_be_read_as_text_is_exit_1_naming_it(
    ner_model: tuple[Path, Path, object], tmp_path: Path, kind: str
) -> None:
    root, state_dir, _artifact = ner_model
    source = {"fifo": tmp_path / "input.txt", "device": Path("/dev/zero"), "latin-1 text": tmp_path / "input.txt",
              "latin-1 jsonl": tmp_path / "input.jsonl", "latin-1 stdin": Path("-")}[kind]
    if kind == "fifo":
        os.mkfifo(source)
    elif kind == "latin-1 text":
        source.write_bytes(b"Alice lives here\ncaf\xe9 Bob\n")
    elif kind == "latin-1 jsonl":
        source.write_bytes(b'{"id": "a", "text": "caf\xe9"}\n')
    # A subprocess with a timeout: reading a FIFO or /dev/zero would hang the test, not fail it.
    result = subprocess.run(
        [sys.executable, "-m", "nerspec", "predict", str(root), "--deployment", "production", "--state", str(state_dir),
         "-f", str(source)], input=b"Alice\ncaf\xe9\n", capture_output=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "Traceback" not in stderr, stderr
    expected = {"fifo": "is a FIFO (named pipe), expected a regular file", "device": "/dev/zero: is a device",
                "latin-1 text": "input.txt:2:4: not valid UTF-8 at byte offset 20",
                "latin-1 jsonl": "input.jsonl:1:25: not valid UTF-8 at byte offset 24",
                "latin-1 stdin": "<stdin>:2:4: not valid UTF-8"}[kind]
    assert expected in stderr, stderr


@pytest.mark.parametrize("meta", ["[]", '"x"', "{", '{"labels": -1}', '{"languages": [1]}', '{"threshold": null}',
                                  '{"kind": 5}'])
def test_predict_with_a_model_whose_meta_json_is_not_an_object_is_exit_1(tmp_path: Path, meta: str) -> None:
    (tmp_path / "model" / "model").mkdir(parents=True)
    (tmp_path / "model" / "meta.json").write_text(meta, encoding="utf-8")
    result = CliRunner().invoke(cli, ["predict", "--model", str(tmp_path / "model"), "Alice"])
    assert result.exit_code == 1 and "meta.json is corrupt" in result.output, result.output


@pytest.mark.parametrize("make", ["directory", "fifo"])
def test_serve_refuses_a_state_database_that_is_not_a_file(tmp_path: Path, make: str) -> None:
    """It started and answered 'ready' with no deployment, as if the state were empty (a subprocess: it served
    until killed)."""
    db = tmp_path / "state" / "state.db"
    db.parent.mkdir()
    db.mkdir() if make == "directory" else os.mkfifo(db)
    result = subprocess.run([sys.executable, "-m", "nerspec", "serve", "--port", "0", "--state", str(db.parent)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "the state is not a regular file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("argv", [
    ["monitor", "projects/tiny", "--deployment", "production", "--last", "99999999999999999999"],
    ["predict", "projects/tiny", "Alice", "--beam-width", "99999999999999999999"],
    ["extract", "projects/tiny", "--input", "a-file.txt", "--output", "out", "--beam-width", "99999999999999999999"],
    ["serve", "--poll", "inf"],
    ["serve", "--poll", "nan"],
], ids=["monitor --last", "predict --beam-width", "extract --beam-width", "serve --poll inf", "serve --poll nan"])
def test_a_number_too_large_to_use_is_exit_1(argv: list[str], workspace: Path) -> None:
    """They reached SQLite or spaCy's beam as is: OverflowError, exit 70 (the server's watchers died of `--poll inf`
    and polled without pause on `--poll nan`)."""
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 1, result.output
    assert ("is not in the range" in result.output or "nan is not" in result.output), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("argv", [
    ["evaluate", "--gold", "gold.jsonl", "--pred", "pred.jsonl", "--threshold", "nan"],
    ["evaluate", "--gold", "gold.jsonl", "--pred", "pred.jsonl", "--threshold", "inf"],
    ["lint", "projects/tiny", "--label-errors", "--min-score", "nan"],
    ["label", "review", "projects/tiny", "-o", "review.json", "--min-score", "nan"],
], ids=["evaluate --threshold nan", "evaluate --threshold inf", "lint --min-score nan", "label review --min-score nan"])
def test_a_probability_that_is_not_one_is_exit_1(argv: list[str], workspace: Path) -> None:
    """``nan`` passed ``FloatRange`` and every comparison with it was false (no finding; every label decided
    against); ``evaluate --threshold`` took any number at all."""
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 1, result.output
    assert "not a number from 0 to 1" in result.output or "is not in the range" in result.output, result.output
    assert "Traceback" not in result.output
