"""``nerspec evaluate --gold --pred`` through the CLI, and one fixed Evaluation JSON (data_regression)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from nerspec.cli import cli

TEXT = "Ann met Bob and Cy in Rome, Oslo and Nice."
GOLD = [
    {"id": "d1", "text": TEXT, "spans": [
        {"start": 0, "end": 3, "label": "Person"}, {"start": 8, "end": 11, "label": "Person"},
        {"start": 16, "end": 18, "label": "Person"}, {"start": 22, "end": 26, "label": "City"},
        {"start": 28, "end": 32, "label": "City"}]},
    {"id": "d2", "text": "Nobody here.", "spans": []},
]
PRED = [
    {"id": "d2", "text": "Nobody here.", "spans": []},
    {"id": "d1", "text": TEXT, "spans": [
        {"start": 0, "end": 3, "label": "Person"}, {"start": 8, "end": 11, "label": "Person"},
        [37, 41, "Person"], {"start": 22, "end": 26, "label": "City"}, {"start": 16, "end": 18, "label": "City"}]},
]


def write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["evaluate", *args])


def test_gold_pred_json(tmp_path: Path, data_regression: Any) -> None:
    gold, pred = write(tmp_path / "g.jsonl", GOLD), write(tmp_path / "p.jsonl", PRED)
    result = run("--gold", str(gold), "--pred", str(pred), "--json", "--resamples", "200")
    assert result.exit_code == 0, result.output
    evaluation = json.loads(result.output)
    assert evaluation["micro"]["f1"] == 0.6
    assert set(evaluation) == {"kind", "micro", "macro", "per_entity", "confusion_matrix", "ci", "partial",
                               "guidance", "documents", "data"}
    data_regression.check(evaluation)


def test_gold_pred_text_and_mismatches(tmp_path: Path) -> None:
    gold, pred = write(tmp_path / "g.jsonl", GOLD), write(tmp_path / "p.jsonl", PRED)
    result = run("--gold", str(gold), "--pred", str(pred), "--mismatches-only")
    assert result.exit_code == 0, result.output
    out = result.output
    for part in ("micro", "macro", "Per entity type", "Confusion matrix", "$none", "SemEval", "Review: 1 document"):
        assert part in out, part
    assert "type confusion: predicted City" in out
    as_json = json.loads(run("--gold", str(gold), "--pred", str(pred), "--json", "--mismatches-only").output)
    assert [d["id"] for d in as_json["documents"]] == ["d1"]


def test_classification_files(tmp_path: Path) -> None:
    gold = write(tmp_path / "g.jsonl", [{"id": str(i), "text": "t", "labels": ls}
                                        for i, ls in enumerate([["a", "b"], ["a", "c"], ["b"], ["c"]])])
    pred = write(tmp_path / "p.jsonl", [
        {"id": "0", "text": "t", "cats": {"a": 0.9, "b": 0.8, "c": 0.1}},
        {"id": "1", "text": "t", "cats": {"a": 0.7, "b": 0.2, "c": 0.3}},
        {"id": "2", "text": "t", "cats": {"a": 0.1, "b": 0.9, "c": 0.6}},
        {"id": "3", "text": "t", "cats": {"a": 0.2, "b": 0.1, "c": 0.4}},
    ])
    result = run("--gold", str(gold), "--pred", str(pred), "--json", "--resamples", "50")
    assert result.exit_code == 0, result.output
    evaluation = json.loads(result.output)
    assert evaluation["kind"] == "TextClassificationProject"
    micro = evaluation["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (4, 1, 2)
    assert len(evaluation["threshold_sweep"]) == 9
    assert "Threshold sweep" in run("--gold", str(gold), "--pred", str(pred), "--resamples", "50").output
    single = write(tmp_path / "s.jsonl", [{"id": "0", "text": "t", "labels": ["a"]}])
    spred = write(tmp_path / "sp.jsonl", [{"id": "0", "text": "t", "cats": {"a": 0.4, "b": 0.3}}])
    evaluation = json.loads(run("--gold", str(single), "--pred", str(spred), "--json", "--resamples", "20").output)
    assert evaluation["micro"]["f1"] == 1.0 and "threshold_sweep" not in evaluation


def test_usage_and_data_errors(tmp_path: Path) -> None:
    gold = write(tmp_path / "g.jsonl", GOLD)
    # Usage errors exit 1 in nerspec (2 means "changes pending" for plan --detailed-exitcode).
    assert run("--gold", str(gold)).exit_code == 1
    assert run().exit_code == 1
    assert run("proj", "--gold", str(gold), "--pred", str(gold)).exit_code == 1
    result = run("proj", "--multilabel")
    assert result.exit_code == 1 and "go with --gold/--pred" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "d1", "text": "x"}\nnot json\n', encoding="utf-8")
    result = run("--gold", str(gold), "--pred", str(bad))
    assert result.exit_code == 1 and "bad.jsonl:2" in result.output
    short = write(tmp_path / "short.jsonl", PRED[:1])
    result = run("--gold", str(gold), "--pred", str(short))
    assert result.exit_code == 1 and "no prediction for d1" in result.output
    mixed = write(tmp_path / "mixed.jsonl", [{"id": "d1", "text": TEXT, "labels": ["a"]}, PRED[0]])
    assert run("--gold", str(gold), "--pred", str(mixed)).exit_code == 1


# One class per gold document: the guess says single-label, although the project is multi-label.
ONE_CLASS_GOLD = [{"id": str(i), "text": "t", "labels": [c]} for i, c in enumerate(["a", "b", "a", "b"])]
SCORED = [
    {"id": "0", "text": "t", "cats": {"a": 0.9, "b": 0.35}},
    {"id": "1", "text": "t", "cats": {"a": 0.2, "b": 0.6}},
    {"id": "2", "text": "t", "cats": {"a": 0.4, "b": 0.1}},
    {"id": "3", "text": "t", "cats": {"a": 0.1, "b": 0.45}},
]
MANIFEST = """apiVersion: nerspec/v1
kind: TextClassificationProject
metadata: {name: tags, language: en}
spec:
  classes: [{name: a}, {name: b}]
  multilabel: %s
  data: [{name: labeled, format: jsonl, path: data.jsonl}]
  training: {threshold: 0.3}
"""


def _files(tmp_path: Path) -> list[str]:
    gold, pred = write(tmp_path / "g.jsonl", ONE_CLASS_GOLD), write(tmp_path / "p.jsonl", SCORED)
    return ["--gold", str(gold), "--pred", str(pred), "--json", "--resamples", "20"]


def test_multilabel_flag_overrides_the_guess(tmp_path: Path) -> None:
    args = _files(tmp_path)
    guessed = json.loads(run(*args).output)
    assert "threshold_sweep" not in guessed  # one class per document: guessed single-label (argmax)
    assert guessed["micro"]["f1"] == 1.0
    forced = json.loads(run(*args, "--multilabel").output)
    assert forced["threshold"] == 0.5 and len(forced["threshold_sweep"]) == 9
    # At 0.5: doc 2 (a 0.4) and doc 3 (b 0.45) predict nothing.
    assert (forced["micro"]["tp"], forced["micro"]["fp"], forced["micro"]["fn"]) == (2, 0, 2)
    assert json.loads(run(*args, "--single-label").output) == guessed


def test_single_label_flag_rejects_documents_with_several_classes(tmp_path: Path) -> None:
    gold = write(tmp_path / "g.jsonl", [{"id": "0", "text": "t", "labels": ["a", "b"]},
                                        {"id": "1", "text": "t", "labels": ["a"]}])
    pred = write(tmp_path / "p.jsonl", [{"id": str(i), "text": "t", "labels": ["a"]} for i in range(2)])
    result = run("--gold", str(gold), "--pred", str(pred), "--single-label")
    assert result.exit_code == 1
    assert "g.jsonl:1:1" in result.output and "document '0' has 2 classes" in result.output
    ner = write(tmp_path / "ner.jsonl", GOLD)
    result = run("--gold", str(ner), "--pred", str(ner), "--multilabel")
    assert result.exit_code == 1 and "classification only" in result.output


def test_project_manifest_decides(tmp_path: Path) -> None:
    args = _files(tmp_path)
    (tmp_path / "multi").mkdir()
    (tmp_path / "multi" / "nerspec.yaml").write_text(MANIFEST % "true", encoding="utf-8")
    evaluation = json.loads(run(*args, "--project", str(tmp_path / "multi")).output)
    # multi-label and the manifest's threshold 0.3: doc 0 also predicts b (0.35).
    assert evaluation["threshold"] == 0.3
    assert (evaluation["micro"]["tp"], evaluation["micro"]["fp"], evaluation["micro"]["fn"]) == (4, 1, 0)
    # An explicit --threshold still wins over the manifest's.
    assert json.loads(run(*args, "--project", str(tmp_path / "multi"), "--threshold", "0.5").output)["threshold"] == 0.5
    (tmp_path / "single").mkdir()
    (tmp_path / "single" / "nerspec.yaml").write_text(MANIFEST % "false", encoding="utf-8")
    assert "threshold_sweep" not in json.loads(run(*args, "--project", str(tmp_path / "single")).output)
    result = run(*args, "--project", str(tmp_path / "single"), "--multilabel")
    assert result.exit_code == 1 and "--multilabel contradicts spec.multilabel: false" in result.output
    ner = write(tmp_path / "ner.jsonl", GOLD)
    result = run("--gold", str(ner), "--pred", str(ner), "--project", str(tmp_path / "multi"))
    assert result.exit_code == 1 and "the project is a TextClassificationProject" in result.output
