"""The README as a new user reads it: its shell examples paste cleanly (no `$` the shell would expand inside double
quotes), every `nerspec` command it prints exists with the options it names, its manifest, settings and nested
examples validate, its links resolve, and the read-only lifecycle commands run on `projects/example` as printed.
Commands that train (`make demo`, `apply`, `lint --label-errors`) are not run here: tests/test_demo.py runs the
demo's report and suggestions on a tiny project, the command tests the rest."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nerspec.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "projects").glob("*/README.md"))]


def _shell_lines(document: Path = README) -> list[str]:
    lines, inside = [], False
    for line in document.read_text(encoding="utf-8").splitlines():
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
    """Relative paths the README's shell examples write: `-o X`, `> X`, `state backup X`, `clone SRC X`,
    `services.sh start X`."""
    written = set()
    for line in _shell_lines():
        command = line.split("  #", 1)[0]
        for target in re.findall(r"(?:\s-o|>>?|\sbackup|\sclone\s+\S+|services\.sh\s+start)\s+([\w./-]+)", command):
            if not target.startswith(("/", "$", ".nerspec", "projects/")):
                written.add(target)
    return written


def test_what_the_readme_writes_is_git_ignored() -> None:
    written = _written_at_the_root()
    assert {"report.md", "pool.jsonl", "batch.json", "drafts.jsonl", ".team"} <= written
    root = README.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *sorted(written)], cwd=root, capture_output=True,
                             text=True).stdout.split()
    assert sorted(set(written) - set(ignored)) == []


def _nerspec_commands(document: Path) -> list[tuple[int, list[str]]]:
    """Every `nerspec ...` invocation of a document's shell blocks and inline code, as its argument list."""
    found, inside = [], False
    for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            inside = line.strip() in ("```sh", "```bash", "```console")
            continue
        pieces = [line.split("  #", 1)[0]] if inside else re.findall(r"`([^`]+)`", line)
        for piece in pieces:
            for match in re.finditer(r"(?:^|[|;&(]\s*|\s)(?:[A-Z_]+=\S+\s+)*nerspec\b((?:\s+[^|;&>]*)?)", piece):
                found.append((number, shlex.split(match.group(1), comments=True)))
    return found


def _options(command: click.Command) -> set[str]:
    names = {"-h", "--help"}
    for param in command.params:
        names.update(param.opts)
        names.update(param.secondary_opts)
    return names


def _check(arguments: list[str]) -> str | None:
    """Why `nerspec ARGUMENTS` would be refused for a name (a command or an option that does not exist), else None."""
    command: click.Command = cli
    words = list(arguments)
    while words and isinstance(command, click.Group):
        if words[0] in ("-q", "--quiet", "--version", "-h", "--help"):
            words.pop(0)
            continue
        name = words[0]
        if name == "..." or name.startswith("-") or "|" in name or name.isupper():
            return None  # `nerspec --help`, or a synopsis such as `deployments list|history|rollout PATH`
        if name not in command.commands:
            return f"no command {name!r}"
        command = command.commands[words.pop(0)]
    known = _options(command)
    for word in words:
        option = word.split("=", 1)[0]
        if re.match(r"^--?[A-Za-z]", option) and option not in known and "[" not in option:
            return f"{command.name}: no option {option}"
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(ROOT)) for d in DOCUMENTS])
def test_every_nerspec_command_printed_exists_with_its_options(document: Path) -> None:
    commands = _nerspec_commands(document)
    problems = [f"{document.name}:{number}: nerspec {' '.join(args)}: {why}"
                for number, args in commands if (why := _check(args)) is not None]
    assert problems == []
    if document == README:
        assert len(commands) > 60
        named = {args[0] for _, args in commands if args and not args[0].startswith("-")}
        assert {"validate", "plan", "apply", "predict", "serve", "extract", "label", "monitor", "state"} <= named


def test_the_checker_refuses_what_does_not_exist() -> None:
    assert _check(["plan", "--detailed-exitcode"]) is None
    assert _check(["data", "split", "projects/example", "--json"]) is None
    assert _check(["plan", "--detailed-exit-code"]) == "plan: no option --detailed-exit-code"
    assert _check(["deployment", "list"]) == "no command 'deployment'"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


def test_the_manifest_example_is_valid_but_for_its_placeholder(tmp_path: Path) -> None:
    from nerspec.errors import ManifestError
    from nerspec.manifest.load import load_project

    manifest = next(block for block in _blocks("yaml") if block.startswith("# yaml-language-server"))
    project = tmp_path / "projects" / "loans"
    project.mkdir(parents=True)
    (project / "nerspec.yaml").write_text(manifest, encoding="utf-8")
    with pytest.raises(ManifestError) as raised:
        load_project(project)
    assert [(p.where, p.message) for p in raised.value.problems] == [
        ("spec.data[1].sha256", "'<64 hex>' is not a sha256 digest (64 lowercase hex digits)")]
    (project / "nerspec.yaml").write_text(manifest.replace("<64 hex>", "0" * 64), encoding="utf-8")
    loaded = load_project(project)
    assert loaded.name == "loan-agreements"
    assert (tmp_path / manifest.split("$schema=", 1)[1].split()[0]).name == "nerspec.v1.schema.json"
    assert (ROOT / "schemas" / "nerspec.v1.schema.json").is_file()


def test_the_settings_example_loads(tmp_path: Path) -> None:
    from nerspec.errors import ManifestError
    from nerspec.settings import load_settings

    block = next(block for block in _blocks("yaml") if block.startswith("# nerspec.settings.yaml"))
    (tmp_path / "nerspec.settings.yaml").write_text(block, encoding="utf-8")
    settings = load_settings(tmp_path / "nerspec.settings.yaml")
    assert str(settings.state).startswith("postgresql://") and str(settings.artifacts).startswith("s3://")
    # "The file holds no secrets; a URL with a password is refused with its line"
    (tmp_path / "nerspec.settings.yaml").write_text(block.replace("nerspec@db", "nerspec:hunter2@db"), encoding="utf-8")
    with pytest.raises(ManifestError) as raised:
        load_settings(tmp_path / "nerspec.settings.yaml")
    assert [problem.line for problem in raised.value.problems] == [4]
    assert "hunter2" not in str(raised.value)


def test_links_and_named_files_exist() -> None:
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert target.startswith("http") or (ROOT / target).exists(), target
    for named in re.findall(r"`((?:docs|bench|tools|projects|schemas|tests|nerspec)/[\w./-]+\.\w+)`", text):
        assert (ROOT / named).is_file(), named


def test_the_nested_example_validates(tmp_path: Path) -> None:
    shell = next(block for block in _blocks("sh") if "nested_corpus.py" in block)
    manifest = re.search(r"<<'EOF'\n(.*?)\nEOF\n", shell, re.S)
    assert manifest is not None
    data = tmp_path / "out" / "nested" / "data"
    data.mkdir(parents=True)
    corpus = subprocess.run([sys.executable, str(ROOT / "bench" / "nested_corpus.py"), "--docs", "40"],
                            capture_output=True, text=True, check=True).stdout
    (data / "nested.jsonl").write_text(corpus, encoding="utf-8")
    (tmp_path / "out" / "nested" / "nerspec.yaml").write_text(manifest.group(1) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "out" / "nested")])
    assert result.exit_code == 0, result.output
    assert "nested: " in result.output and ", valid" in result.output


def test_the_input_files_the_examples_write_are_jsonl_records() -> None:
    lines = [line for line in _shell_lines() if line.startswith("echo") and ".jsonl" in line]
    assert any("> input.jsonl" in line for line in lines) and any("> pool.jsonl" in line for line in lines)
    for line in lines:
        record = json.loads(shlex.split(line)[1])
        assert set(record) == {"id", "text"}, line


@pytest.mark.parametrize(("arguments", "expected"), [
    (["validate", "projects/example"], "loan-agreements: 240 documents, valid"),
    (["data", "stats", "projects/example"], "loan-agreements (NERProject): 240 documents, train 177, test 63"),
    (["data", "split", "projects/example"], "loan-agreements: 240 documents, train 161, dev 16, test 63"),
    (["lint", "projects/example"], "loan-agreements: 3 lint findings"),
    (["lint", "projects/example", "--agreement"], "loan-agreements: no document has several annotators"),
])
def test_the_read_only_lifecycle_commands_run_as_printed(arguments: list[str], expected: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # As printed, from the repository root; a state of its own so that a developer's .nerspec/ plays no part.
    printed = [args for _, args in _nerspec_commands(README)]
    assert arguments in printed
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NERSPEC_STATE", str(tmp_path / "state"))
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_serve_without_its_extra_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The README's `nerspec serve` needs the `serve` extra (make demo installs it); a bare `pip install nerspec`
    # gets the pip line to run, not a traceback.
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    monkeypatch.setenv("NERSPEC_STATE", str(tmp_path / "state"))
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 1, result.output
    assert "uvicorn is not installed; it comes with nerspec's `serve` extra: pip install 'nerspec[serve]'" in result.output
    assert "Traceback" not in result.output
    assert "install -e '.[serve]'" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_manifest_fragments_are_valid_in_a_manifest(tmp_path: Path) -> None:
    # The README's `spec` fragments (gates, data sources, deployments, training), each put into the example manifest.
    import yaml

    from nerspec.manifest.load import load_project

    base = yaml.safe_load(next(b for b in _blocks("yaml") if b.startswith("# yaml-language-server")))
    base["spec"]["data"] = [{"name": "labeled", "format": "azure", "path": "data/labels.json"}]
    base["metadata"]["multilingual"] = True  # the per-language gates' section is about multilingual projects
    fragments = [block for block in _blocks("yaml") if block.startswith("  ")]
    assert len(fragments) >= 6
    for number, fragment in enumerate(fragments):
        manifest = json.loads(json.dumps(base))
        manifest["spec"].update(yaml.safe_load(fragment))
        project = tmp_path / f"p{number}"
        project.mkdir()
        (project / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
        assert load_project(project).name == "loan-agreements", fragment
