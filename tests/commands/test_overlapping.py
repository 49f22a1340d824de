"""An overlapping project (``spec.overlapping: true``) through the CLI: its nested data validates, ``evaluate``
pairs its confusion matrix by best overlap and says so, ``label next`` and ``suggest`` send nested pre-annotations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.metrics.confusion import BEST_OVERLAP, PAIRING_NOTES

TEXTS = ["Grace Lee works at the Bank of Oslo since May.", "The University of Lima hired Bob Khan last year.",
         "Nobody was at the Oslo City Council today."]


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def _nested(regions: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    return [(a[2], b[2]) for a in regions for b in regions if a != b and a[0] <= b[0] and b[1] <= a[1]]


@pytest.fixture
def with_pool(spans_model: tuple[Path, Path, Any], tmp_path: Path) -> tuple[Path, Path]:
    """The trained overlapping project, copied, with an unlabeled pool of texts like its own."""
    root, state, _ = spans_model
    dest = tmp_path / "nested"
    shutil.copytree(root, dest)
    (dest / "pool.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    manifest = yaml.safe_load((dest / "nerspec.yaml").read_text())
    manifest["spec"]["data"].append({"name": "pool", "format": "jsonl", "path": "pool.jsonl", "unlabeled": True})
    (dest / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return dest, state


@pytest.mark.slow
def test_evaluate_pairs_the_confusion_matrix_by_best_overlap_and_says_so(spans_model: tuple[Path, Path, Any]) -> None:
    root, state, artifact = spans_model
    args = ("evaluate", str(root), "--model", str(artifact.path), "--state", str(state), "--resamples", "10")
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["confusion_matrix"]["pairing"] == BEST_OVERLAP
    text = run(*args)
    assert text.exit_code == 0 and PAIRING_NOTES[BEST_OVERLAP] in text.stdout


@pytest.mark.slow
def test_label_next_and_suggest_send_nested_pre_annotations(with_pool: tuple[Path, Path]) -> None:
    root, state = with_pool
    batch = root / "batch.json"
    result = run("label", "next", str(root), "-n", "3", "--strategy", "uncertainty", "--state", str(state), "-o", str(batch))
    assert result.exit_code == 0, result.output
    tasks = {t["data"]["id"]: t for t in json.loads(batch.read_text())}
    regions = {i: [(r["value"]["start"], r["value"]["end"], r["value"]["text"]) for r in t["predictions"][0]["result"]]
               for i, t in tasks.items()}
    assert ("Bank of Oslo", "Oslo") in _nested(regions["q0"]) and ("University of Lima", "Lima") in _nested(regions["q1"])
    drafts = root / "drafts.jsonl"
    assert run("label", "suggest", str(root), "--ids", "q0", "-o", str(drafts), "--state", str(state)).exit_code == 0
    [record] = [json.loads(line) for line in drafts.read_text().splitlines()]
    assert ("Bank of Oslo", "Oslo") in _nested([(s["start"], s["end"], TEXTS[0][s["start"]:s["end"]]) for s in record["spans"]])
