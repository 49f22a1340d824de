"""The committed JSON Schema matches the pydantic models, and the CLI starts without heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from nerspec import __version__
from nerspec.cli import cli
from nerspec.manifest.load import SCHEMA_FILE
from nerspec.manifest.schema_file import render_schema

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_fresh() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema(), "run `nerspec schema` and commit schemas/"


def test_schema_check_command_detects_staleness(tmp_path: Path) -> None:
    stale = tmp_path / "schema.json"
    stale.write_text(json.dumps({"stale": True}))
    result = CliRunner().invoke(cli, ["schema", "--check", "-o", str(stale)])
    assert result.exit_code == 1
    assert "stale" in result.output
    assert CliRunner().invoke(cli, ["schema", "-o", str(stale)]).exit_code == 0
    assert CliRunner().invoke(cli, ["schema", "--check", "-o", str(stale)]).exit_code == 0


def test_schema_covers_both_project_kinds() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert {"NERProject", "TextClassificationProject"} <= set(schema["$defs"])


def test_version_and_help() -> None:
    runner = CliRunner()
    assert __version__ in runner.invoke(cli, ["--version"]).output
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, command in cli.commands.items():
        help_text = runner.invoke(cli, [name, "--help"]).output
        assert "Example" in help_text or "Examples" in help_text, f"`nerspec {name} --help` has no example"
        assert command.help, name


def test_cli_import_stays_light() -> None:
    """`validate`, `plan` and `--help` must start fast: no spaCy, FastAPI, numpy or jinja2 at import time."""
    code = (
        "import sys, nerspec.cli, nerspec.manifest.load, nerspec.plan;"
        "heavy = [m for m in ('spacy', 'thinc', 'fastapi', 'uvicorn', 'numpy', 'jinja2', 'httpx') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


def test_usage_errors_exit_1_not_2() -> None:
    """2 means "changes pending" for `plan --detailed-exitcode`: a typo in CI must not read as that."""
    for args in (["plan", "--detailed-exitcode", "--jsn"], ["no-such-command"]):
        result = subprocess.run([sys.executable, "-m", "nerspec", *args], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 1, (args, result.stderr)
        assert "Error:" in result.stderr
        assert "Traceback" not in result.stderr


def test_missing_expert_config_is_a_located_manifest_error(tmp_path: Path) -> None:
    (tmp_path / "data.jsonl").write_text('{"id": "1", "text": "Acme", "spans": []}\n')
    (tmp_path / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: p}\nspec:\n"
        "  entities: [{name: ORG}]\n  data: [{name: d, format: jsonl, path: data.jsonl}]\n"
        "  training: {config: missing.cfg}\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "nerspec.yaml:7:" in result.output
    assert "spec.training.config: `missing.cfg` does not exist" in result.output


def test_training_recipe_and_split_assignment_are_part_of_the_model_fingerprint(tmp_path: Path, monkeypatch: object) -> None:
    """A new default config or a changed split assignment changes what training sees; a split version bump that
    leaves this project's assignment as it was does not retrain it."""
    import nerspec.corpus.split as split
    import nerspec.fingerprints.model as fingerprint
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.manifest.load import load_project

    (tmp_path / "data.jsonl").write_text('{"id": "1", "text": "Acme", "spans": []}\n')
    (tmp_path / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: p}\nspec:\n"
        "  entities: [{name: ORG}]\n  data: [{name: d, format: jsonl, path: data.jsonl}]\n"
    )
    project = load_project(tmp_path)
    data = data_fingerprint(project, None)
    before = fingerprint.model_fingerprint(project, data)
    monkeypatch.setattr(fingerprint, "TRAINING_RECIPE", fingerprint.TRAINING_RECIPE + 1)  # type: ignore[attr-defined]
    assert fingerprint.model_fingerprint(project, data) != before
    monkeypatch.setattr(fingerprint, "TRAINING_RECIPE", fingerprint.TRAINING_RECIPE - 1)  # type: ignore[attr-defined]
    monkeypatch.setattr(split, "SPLIT_VERSIONS", {**split.SPLIT_VERSIONS, "random": 99})  # type: ignore[attr-defined]
    assert fingerprint.model_fingerprint(project, data_fingerprint(project, None)) == before
    sides = set()
    for value in (0.0, 0.99):  # everything to test, then everything to train
        monkeypatch.setattr(split, "unit_hash", lambda *a, v=value, **k: v)  # type: ignore[attr-defined]
        sides.add(fingerprint.model_fingerprint(project, data_fingerprint(project, None)))
    assert len(sides) == 2 and before in sides
