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


def choice(label: str) -> dict[str, object]:
    return {"type": "choices", "from_name": "class", "to_name": "text", "value": {"choices": [label]}}


def test_lint_agreement_on_label_studio_classification_reports_cohens_kappa(tmp_path: Path) -> None:
    project = tmp_path / "tickets"
    project.mkdir()
    given = {"ann@x": ["billing", "billing", "bug", "bug"], "bob@x": ["billing", "bug", "bug", "bug"]}
    tasks = [{"id": i, "data": {"text": f"ticket {i}"}, "annotations": [
        {"completed_by": who, "created_at": f"2024-01-0{n + 1}", "result": [choice(labels[i])]}
        for n, (who, labels) in enumerate(given.items())]} for i in range(4)]
    tasks[0]["annotations"].append({"completed_by": "cy@x", "created_at": "2024-01-05", "result": [choice("billing")]})
    (project / "ls.json").write_text(json.dumps(tasks))
    manifest = {"apiVersion": "nerspec/v1", "kind": "TextClassificationProject", "metadata": {"name": "tickets"},
                "spec": {"classes": [{"name": "billing"}, {"name": "bug"}],
                         "data": [{"name": "ls", "format": "labelstudio", "path": "ls.json"}],
                         "deployments": [{"name": "production"}]}}
    (project / "nerspec.yaml").write_text(yaml.safe_dump(manifest))
    result = CliRunner().invoke(cli, ["lint", str(project), "--agreement", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["agreement"]
    # ann vs bob: 3 of 4 agree, chance 0.5 (ann 2 billing / 2 bug, bob 1 / 3): kappa 0.5. cy agrees with both on
    # the one task it labeled (kappa 1.0); overall: the pairs' mean weighted by shared tasks.
    pairs = {(p["a"], p["b"]): (p["documents"], p["kappa"], p["f1"]) for p in found["pairs"]}
    assert pairs == {("ann@x", "bob@x"): (4, 0.5, None), ("ann@x", "cy@x"): (1, 1.0, None),
                     ("bob@x", "cy@x"): (1, 1.0, None)}
    assert found["kappa"] == round((0.5 * 4 + 1.0 + 1.0) / 6, 4) and found["f1"] is None
    assert [d["id"] for d in found["documents"]] == ["1"] and found["annotated"] == 4
    text = CliRunner().invoke(cli, ["lint", str(project), "--agreement"])
    assert text.exit_code == 0 and "kappa" in text.stdout


def test_doccano_1x_annotations_carry_their_user_per_span_or_class(tmp_path: Path) -> None:
    project = write_project(tmp_path, None)
    record = {"id": 11, "text": TEXT, "annotations": [
        {"label": "PER", "start_offset": 0, "end_offset": 3, "user": 1},
        {"label": "PER", "start_offset": 0, "end_offset": 3, "user": 2},
        {"label": "LOC", "start_offset": 15, "end_offset": 19, "user": 2}]}
    (project / "d.jsonl").write_text(json.dumps(record) + "\n")
    doc = load_corpus(load_project(project)).by_id()["11"]
    assert [(a.annotator, [TEXT[s.start:s.end] for s in a.spans]) for a in doc.annotations] == [
        ("1", ["Ann"]), ("2", ["Ann", "Oslo"])]
    assert [TEXT[s.start:s.end] for s in doc.spans] == ["Ann", "Oslo"]  # the latest user's, by default
    result = CliRunner().invoke(cli, ["lint", str(project), "--agreement", "--json"])
    assert result.exit_code == 0, result.output
    pairs = {(p["a"], p["b"]): p["f1"] for p in json.loads(result.stdout)["agreement"]["pairs"]}
    assert pairs[("1", "2")] == round(2 * 1 / 3, 4)
    # Classification: a class per item, each with its user.
    from nerspec.corpus.formats import doccano

    classes = tmp_path / "c.jsonl"
    classes.write_text(json.dumps({"id": 3, "text": "refund", "annotations": [
        {"label": "billing", "user": "ann"}, {"label": "bug", "user": "bob"}, {"label": 4, "user": "bob"}]}) + "\n")
    [read] = doccano.read(classes)
    assert [(a.annotator, a.labels) for a in read.annotations] == [("ann", ("billing",)), ("bob", ("bug", "4"))]


def test_records_of_one_id_with_different_texts_are_located_errors_not_merged(tmp_path: Path) -> None:
    project = write_project(tmp_path, None)
    records = [{"id": 9, "text": TEXT, "label": [[0, 3, "PER"]], "user": "ann@x"},
               {"id": 9, "text": "Bob went to Rome.", "label": [[0, 3, "PER"]], "user": "bob@x"}]
    (project / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = CliRunner().invoke(cli, ["validate", str(project)])
    # was: bob's [0:3] put on ann's text ("Ann"), valid, and `lint --agreement` compared spans of two texts
    assert result.exit_code == 1, result.output
    assert "d.jsonl:2:1: document '9': annotator `bob@x` labeled a different text than line 1 under the same id" in (
        result.output), result.output


def test_lint_agreement_prints_at_most_top_pairs_and_json_has_all(tmp_path: Path) -> None:
    project = write_project(tmp_path, None)
    crowd = [{"id": 50, "text": TEXT, "label": [[0, 3, "PER"]], "user": f"u{i:02d}"} for i in range(12)]
    (project / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in crowd))
    text = CliRunner().invoke(cli, ["lint", str(project), "--agreement", "--top", "5"])
    assert text.exit_code == 0, text.output
    pair_lines = [line for line in text.stdout.splitlines() if " / " in line]
    assert len(pair_lines) == 5 and "  ... and 65 more pairs (--json lists all)" in text.stdout  # was: all 70
    found = json.loads(CliRunner().invoke(cli, ["lint", str(project), "--agreement", "--json"]).stdout)["agreement"]
    assert len(found["pairs"]) == 70  # 66 pairs of the crowd, 3 of the Label Studio task, 1 of the Prodigy sessions
