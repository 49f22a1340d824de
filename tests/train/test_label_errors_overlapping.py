"""Label errors of an overlapping project (`overlapping: true`): span-categorizer folds, nested findings, the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.train.cross_fit import SCORINGS, scores_path
from tests.nested_models import TINY_TRAINING, nested_project, nested_records

FIELDS = {"id", "start", "end", "text", "label", "suggested", "kind", "score"}


@pytest.mark.slow
def test_label_errors_find_a_flipped_nested_place_and_an_untagged_one(tmp_path: Path) -> None:
    records = nested_records(40)
    flipped = next(s for s in records[3]["spans"] if s["label"] == "LOC")
    flipped["label"] = "PERSON"  # the place inside "the Madrid Museum" tagged as a person
    records[6]["spans"] = [s for s in records[6]["spans"] if s["label"] != "LOC"]  # Paris in the Bank of Paris
    root = nested_project(tmp_path / "nested", records, TINY_TRAINING)
    state = tmp_path / "state"
    args = ["lint", str(root), "--label-errors", "--folds", "2", "--state", str(state)]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"label_errors", "folds", "fingerprint"} and report["folds"] == 2
    assert all(set(e) == FIELDS for e in report["label_errors"])
    top = [(e["id"], e["kind"], e["text"], e["label"], e["suggested"]) for e in report["label_errors"][:3]]
    # The flipped tag nests in a tagged organisation; the untagged place nests in one too: both are found.
    assert ("n003", "wrong_type", "Madrid", "PERSON", "LOC") in top
    assert ("n006", "missing", "Paris", None, "LOC") in top
    scores = [e["score"] for e in report["label_errors"]]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.5
    (cached,) = (state / "cache" / "cross-fit").iterdir()
    assert {"fold-0", "fold-1", scores_path(cached, SCORINGS["candidates"].name).name} <= {p.name for p in cached.iterdir()}
    again = CliRunner().invoke(cli, args)  # text output, from the cache
    assert again.exit_code == 0, again.output
    assert "cached folds" in again.stdout and f"fingerprint {report['fingerprint']}" in again.stdout
    assert "n006[32:37]: warning: untagged `Paris`: likely LOC" in again.stdout
    # Review tasks: the nested place is added inside the organisation, which stays.
    out = tmp_path / "review.json"
    review = CliRunner().invoke(cli, ["label", "review", str(root), "-o", str(out), "--folds", "2", "--state",
                                      str(state), "--top", "3"])
    assert review.exit_code == 0, review.output
    tasks = {t["data"]["id"]: t for t in json.loads(out.read_text())}
    bank = sorted((r["value"]["text"], r["value"]["labels"][0]) for r in tasks["n006"]["predictions"][0]["result"])
    assert bank == [("Bank of Paris", "ORG"), ("Ines Walsh", "PERSON"), ("Paris", "LOC")]
    # apply (nothing deployed: every document is new) reads the cached findings into the run result.
    applied = CliRunner().invoke(cli, ["apply", str(root), "--no-deploy", "--state", str(state)])
    assert applied.exit_code in (0, 3), applied.output
    entry = json.loads((state / "reports" / "last-run.json").read_text())["projects"][0]["label_errors"]
    assert entry["fingerprint"] == report["fingerprint"] and entry["documents"] == "all"
    assert {(f["id"], f["kind"]) for f in entry["findings"]} >= {("n003", "wrong_type"), ("n006", "missing")}
