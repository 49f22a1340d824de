"""`nerspec predict` and `nerspec extract` over a span categorizer (`overlapping: true`): nested entities in the
records, the same in both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli

pytestmark = pytest.mark.slow

TEXTS = ["Grace Lee works at the Bank of Oslo since May.", "The University of Lima hired Bob Khan last year."]


def test_predict_and_extract_return_nested_entities(spans_model: tuple[Path, Path, Any], tmp_path: Path) -> None:
    project, state, artifact = spans_model
    source = tmp_path / "in" / "docs.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    predicted = CliRunner().invoke(cli, ["predict", str(project), "--state", str(state), "-f", str(source)])
    assert predicted.exit_code == 0, predicted.output
    records = [json.loads(line) for line in predicted.output.splitlines()]
    first = {(e["text"], e["category"]) for e in records[0]["entities"]}
    assert {("Bank of Oslo", "ORG"), ("Oslo", "LOC")} <= first
    assert {("University of Lima", "ORG"), ("Lima", "LOC")} <= {(e["text"], e["category"]) for e in records[1]["entities"]}

    out = tmp_path / "out"
    extracted = CliRunner().invoke(cli, ["extract", str(project), "--state", str(state), "--input", str(source.parent),
                                         "--output", str(out), "--workers", "1", "--json"])
    assert extracted.exit_code == 0, extracted.output
    lines = [json.loads(line) for f in sorted(out.glob("*.jsonl")) if not f.name.endswith(".errors.jsonl")
             for line in f.read_text().splitlines()]
    assert [r["entities"] for r in lines] == [r["entities"] for r in records]
    assert all(r["modelFingerprint"] == artifact.fingerprint for r in lines)
