"""Several annotations per document: Label Studio, doccano users, Prodigy sessions; the `annotator` rule."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.corpus.load import load_corpus
from nerspec.manifest.load import load_project

TEXT = "Ann met Bob in Oslo."


def region(start: int, end: int, label: str) -> dict[str, object]:
    return {"type": "labels", "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]}}


def write_project(root: Path, rule: str | None) -> Path:
    project = root / "people"
    project.mkdir(parents=True)
    tasks = [{"id": 1, "data": {"text": TEXT}, "annotations": [
        {"completed_by": "ann@x", "created_at": "2024-01-01", "result": [region(0, 3, "PER"), region(15, 19, "LOC")]},
        {"completed_by": "bob@x", "created_at": "2024-01-03", "result": [region(0, 3, "PER")]},
        {"completed_by": "cy@x", "created_at": "2024-01-02", "result": [region(0, 3, "PER"), region(15, 19, "LOC")]},
    ]}]
    (project / "ls.json").write_text(json.dumps(tasks))
    prodigy = [{"text": TEXT, "_input_hash": 7, "spans": [{"start": 8, "end": 11, "label": "PER"}],
                "answer": "accept", "_annotator_id": s} for s in ("s1", "s2")]
    prodigy[1]["spans"] = []
    (project / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in prodigy))
    doccano = [{"id": 9, "text": TEXT, "label": [[0, 3, "PER"]], "user": u} for u in ("ann@x", "bob@x")]
    (project / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in doccano))
    extra = {"annotator": rule} if rule else {}
    manifest = {"apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": "people"}, "spec": {
        "entities": [{"name": "PER"}, {"name": "LOC"}],
        "data": [{"name": "ls", "format": "labelstudio", "path": "ls.json", **extra},
                 {"name": "p", "format": "prodigy", "path": "p.jsonl", **extra},
                 {"name": "d", "format": "doccano", "path": "d.jsonl", **extra}],
        "deployments": [{"name": "production"}]}}
    (project / "nerspec.yaml").write_text(yaml.safe_dump(manifest))
    return project


def spans_by_id(project: Path) -> dict[str, list[str]]:
    corpus = load_corpus(load_project(project))
    return {d.id: [TEXT[s.start:s.end] for s in d.spans] for d in corpus}


def test_annotator_rules_latest_name_majority(tmp_path: Path) -> None:
    assert spans_by_id(write_project(tmp_path / "a", None)) == {"1": ["Ann"], "7": [], "9": ["Ann"]}
    assert spans_by_id(write_project(tmp_path / "b", "majority")) == {"1": ["Ann", "Oslo"], "7": [], "9": ["Ann"]}
    named = spans_by_id(write_project(tmp_path / "c", "ann@x"))
    assert named == {"1": ["Ann", "Oslo"], "7": [], "9": ["Ann"]}  # 7 has no ann@x: the latest
    corpus = load_corpus(load_project(tmp_path / "b" / "people"))
    assert "the majority vote is used" in corpus.by_id()["1"].disagreement


def test_lint_agreement_json_and_text(tmp_path: Path) -> None:
    project = write_project(tmp_path, None)
    result = CliRunner().invoke(cli, ["lint", str(project), "--agreement", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["agreement"]
    # ls: 3 annotators (ann 2 spans, bob 1, cy 2); prodigy: s1 1 span, s2 0; doccano: 2 equal spans.
    pairs = {(p["a"], p["b"]): p["f1"] for p in found["pairs"]}
    assert pairs[("ann@x", "cy@x")] == 1.0 and pairs[("s1", "s2")] == 0.0
    assert pairs[("ann@x", "bob@x")] == round(2 * 2 / (3 + 2), 4)  # ls 1 of 2+1, doccano 1 of 1+1
    assert found["per_label"]["LOC"] == round(2 * 1 / 4, 4)
    assert [d["id"] for d in found["documents"]] == ["1", "7"]
    text = CliRunner().invoke(cli, ["lint", str(project), "--agreement"])
    assert "people: annotators agree at strict span F1" in text.stdout and "2 documents to adjudicate:" in text.stdout
