"""`nerspec lint --label-errors`: real cross-fitted tiny trainings, the JSON shape, and the fold cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.train.cross_fit import scores_path
from tests.tiny import PEOPLE, TinyProject, manifest

CITIES = ["Paris", "Berlin", "Lisbon", "Oslo", "Rome", "Vienna", "Dublin", "Prague"]


def docs(n: int) -> list[dict[str, object]]:
    out = []
    for i in range(n):
        person, city = PEOPLE[i % len(PEOPLE)], CITIES[(i * 3) % len(CITIES)]
        text = f"{person} moved to {city} in {1990 + i % 30}."
        start = text.index(city)
        out.append({"id": f"d{i:03d}", "text": text,
                    "spans": [[0, len(person), "PER"], [start, start + len(city), "LOC"]]})
    return out


@pytest.mark.slow
def test_label_errors_find_a_flipped_and_a_removed_label_and_reuse_the_folds(tmp_path: Path) -> None:
    project = TinyProject(tmp_path)
    records = docs(40)
    records[5]["spans"][1][2] = "PER"  # type: ignore[index]  # a city tagged as a person
    del records[7]["spans"][1]  # type: ignore[attr-defined]  # a city left untagged
    project.write_docs(records)
    project.write_manifest(manifest(training={"max_steps": 60, "eval_frequency": 30, "patience": 0}))
    args = ["lint", str(project.dir), "--label-errors", "--folds", "2", "--state", str(tmp_path / "state")]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"label_errors", "folds", "fingerprint"} and report["folds"] == 2
    top = {(e["id"], e["kind"], e["text"], e["label"], e["suggested"]) for e in report["label_errors"][:2]}
    assert top == {("d005", "wrong_type", records[5]["text"][records[5]["spans"][1][0]:records[5]["spans"][1][1]],  # type: ignore[index]
                    "PER", "LOC"),
                   ("d007", "missing", "Vienna", None, "LOC")}
    assert all(set(e) == {"id", "start", "end", "text", "label", "suggested", "kind", "score"}
               for e in report["label_errors"])
    scores = [e["score"] for e in report["label_errors"]]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.5
    cached = list((tmp_path / "state" / "cache" / "cross-fit").iterdir())
    assert len(cached) == 1 and {p.name for p in cached[0].iterdir()} >= {"fold-0", "fold-1", scores_path(cached[0]).name}
    again = CliRunner().invoke(cli, args)  # text output, from the cache
    assert again.exit_code == 0, again.output
    assert "cached folds" in again.stdout and f"fingerprint {report['fingerprint']}" in again.stdout
    assert "d007[15:21]: warning: untagged `Vienna`: likely LOC" in again.stdout
    # The same findings as Label Studio review tasks (cached folds): the fix is the pre-annotation.
    out = tmp_path / "review.json"
    review = CliRunner().invoke(cli, ["label", "review", str(project.dir), "-o", str(out), "--folds", "2",
                                      "--state", str(tmp_path / "state"), "--top", "2"])
    assert review.exit_code == 0, review.output
    tasks = {t["data"]["id"]: t for t in json.loads(out.read_text())}
    assert set(tasks) == {"d005", "d007"}
    vienna = tasks["d007"]["predictions"][0]
    assert vienna["model_version"] == f"label-errors-{report['fingerprint']}"
    assert sorted((r["value"]["text"], r["value"]["labels"][0]) for r in vienna["result"]) == [
        ("Heidi", "PER"), ("Vienna", "LOC")]
    assert vienna["score"] == next(e["score"] for e in report["label_errors"] if e["id"] == "d007")
    retyped = [r["value"]["labels"][0] for r in tasks["d005"]["predictions"][0]["result"]]
    assert retyped == ["PER", "LOC"]
    # apply (nothing deployed yet, so every document is new) puts the cached findings into the run result.
    applied = CliRunner().invoke(cli, ["apply", str(project.dir), "--no-deploy", "--state", str(tmp_path / "state")])
    assert applied.exit_code in (0, 3), applied.output
    last = json.loads((tmp_path / "state" / "reports" / "last-run.json").read_text())
    entry = last["projects"][0]["label_errors"]
    assert entry["documents"] == "all" and entry["fingerprint"] == report["fingerprint"]
    assert {(f["id"], f["kind"]) for f in entry["findings"][:2]} == {("d005", "wrong_type"), ("d007", "missing")}
    assert entry["findings"][0]["context"].count("[") == 1
