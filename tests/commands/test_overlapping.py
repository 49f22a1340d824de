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


def test_nested_data_validates_only_in_an_overlapping_project(tmp_path: Path) -> None:
    text = "The Bank of England raised rates in London."
    records = [{"id": f"d{i}", "text": text, "dataset": "test" if i < 3 else "train",
                "spans": [{"start": 4, "end": 19, "label": "ORG"}, {"start": 12, "end": 19, "label": "LOC"},
                          {"start": 36, "end": 42, "label": "LOC"}]} for i in range(10)]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    manifest = {"apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": "nested"},
                "spec": {"entities": [{"name": "ORG"}, {"name": "LOC"}], "overlapping": True,
                         "data": [{"name": "d", "format": "jsonl", "path": "data.jsonl"}], "split": {"policy": "manual"}}}
    (tmp_path / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    valid = run("validate", str(tmp_path))
    assert valid.exit_code == 0, valid.output
    assert "nested: 10 documents, valid" in valid.stdout
    records[5]["spans"].append({"start": 12, "end": 19, "label": "LOC"})  # the same span twice
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    twice = run("validate", str(tmp_path))
    assert twice.exit_code == 1
    assert "data.jsonl:6:1: d5[12:19]: LOC span 12..19 is given twice: The Bank of [England] raised rates in Lon…" \
        in twice.stderr
    del manifest["spec"]["overlapping"]  # without `overlapping`, nesting is an error as before
    (tmp_path / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    flat = run("validate", str(tmp_path))
    assert flat.exit_code == 1 and "LOC span overlaps ORG span 4..19" in flat.stderr


def test_scoring_files_for_an_overlapping_project_pairs_by_best_overlap(tmp_path: Path) -> None:
    text = "The Bank of England raised rates."
    gold = {"id": "d", "text": text, "spans": [[4, 19, "ORG"], [12, 19, "LOC"]]}
    pred = {"id": "d", "text": text, "spans": [[0, 19, "LOC"], [12, 19, "LOC"]]}  # "The Bank of England" as a place
    for name, record in (("gold", gold), ("pred", pred)):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps(record) + "\n")
    manifest = {"apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": "nested"},
                "spec": {"entities": [{"name": "ORG"}, {"name": "LOC"}], "overlapping": True,
                         "data": [{"name": "d", "format": "jsonl", "path": "gold.jsonl"}]}}
    (tmp_path / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    files = ("evaluate", "--gold", str(tmp_path / "gold.jsonl"), "--pred", str(tmp_path / "pred.jsonl"), "--resamples", "10")
    scored = run(*files, "--project", str(tmp_path), "--json")
    assert scored.exit_code == 0, scored.output
    matrix = json.loads(scored.stdout)["confusion_matrix"]
    assert matrix["pairing"] == BEST_OVERLAP and matrix["labels"] == ["LOC", "ORG", "$none"]
    assert matrix["matrix"] == [[1, 0, 0], [1, 0, 0], [0, 0, 0]]  # ORG -> LOC, not one missed and one spurious
    assert PAIRING_NOTES[BEST_OVERLAP] in run(*files, "--project", str(tmp_path)).stdout
    flat = json.loads(run(*files, "--json").stdout)["confusion_matrix"]  # no project: flat pairing, as before
    assert "pairing" not in flat and flat["matrix"] == [[1, 0, 0], [0, 0, 1], [1, 0, 0]]


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
    # The reviewed batch is a data source of the project again: its overlapping spans are valid data there.
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text())
    manifest["spec"]["data"].append({"name": "batch", "format": "labelstudio", "path": "batch.json", "allow_drafts": True})
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    checked = run("validate", str(root), "--json")
    assert checked.exit_code == 0, checked.output
    assert not [w for w in json.loads(checked.stdout)["projects"][0]["warnings"] if "overlap" in str(w)]
