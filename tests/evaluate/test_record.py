"""The Evaluation record's one JSON boundary: what ``evaluate`` writes, and what older nerspec versions recorded,
parse and dump back to the same bytes; absent fields read as defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nerspec.corpus.model import Document, Span
from nerspec.evaluate import evaluate
from nerspec.evaluate.record import Calibration, Evaluation
from tests.report.runs import load_fixture


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _recorded() -> list[dict[str, Any]]:
    """Evaluations as the report fixtures hold them (hand-written after older run results, keys in their order)."""
    found = []
    for name in ("ner_baseline", "ner_no_baseline", "ner_failed_gates", "textcat"):
        for project in load_fixture(name)["projects"]:
            found.extend(e for e in (project.get("evaluation"), (project.get("baseline") or {}).get("evaluation")) if e)
    return found


@pytest.mark.parametrize("kind", ["NERProject", "TextClassificationProject"])
def test_a_real_evaluation_round_trips_byte_for_byte(kind: str) -> None:
    if kind == "NERProject":
        gold = [Document(str(i), "Alice met Bob in Paris.", spans=[Span(0, 5, "PER"), Span(17, 22, "LOC")],
                         language="en" if i % 2 else "de") for i in range(6)]
        pred = [Document(str(i), "Alice met Bob in Paris.", spans=[Span(0, 5, "PER")] if i % 3 else [])
                for i in range(6)]
    else:
        gold = [Document(str(i), f"text {i}", labels=["sports" if i % 2 else "tech"]) for i in range(6)]
        pred = [Document(str(i), f"text {i}", labels=["sports"]) for i in range(6)]
    evaluation = evaluate(kind, gold, pred, train_docs=gold, ci_resamples=20)
    evaluation.label_map = {"Person": "PER"}
    evaluation.calibration = Calibration.from_json({"ece": 0.1, "sampling_noise": 0.05, "items": 4, "bins": [],
                                                    "method": "none"})
    written = _dump(evaluation.to_json())
    assert _dump(Evaluation.from_json(json.loads(written)).to_json()) == written
    assert list(json.loads(written))[:3] == ["kind", "micro", "macro"]


@pytest.mark.parametrize("index", range(len(_recorded())))
def test_recorded_evaluations_round_trip_in_their_own_key_order(index: int) -> None:
    original = _recorded()[index]
    assert _dump(Evaluation.from_json(original).to_json()) == _dump(original)


def test_an_older_evaluation_reads_with_defaults_and_writes_back_unchanged() -> None:
    # Before calibration, reference, per-language scores and the kind's extras were recorded.
    older = {"kind": "NERProject", "micro": {"precision": 1, "recall": 0.5, "f1": 0.6667, "tp": 1, "fp": 0, "fn": 1},
             "macro": {"precision": 1, "recall": 0.5, "f1": 0.6667},
             "per_entity": {"PER": {"precision": 1, "recall": 0.5, "f1": 0.6667, "support": 2}},
             "a_key_from_elsewhere": {"kept": True}}
    evaluation = Evaluation.from_json(older)
    assert evaluation.calibration is None and evaluation.per_language is None and evaluation.changes is None
    assert evaluation.guidance == [] and evaluation.documents == [] and evaluation.ci.level is None
    assert evaluation.per_label()["PER"].support == 2 and evaluation.micro.precision == 1
    assert _dump(evaluation.to_json()) == _dump(older)  # ``1`` stays ``1``; unknown keys survive


def test_a_field_set_after_reading_comes_last() -> None:
    from nerspec.evaluate.record import Changes

    recorded = _recorded()[2]
    evaluation = Evaluation.from_json({k: v for k, v in recorded.items() if k != "changes"})
    evaluation.changes = Changes(against={"deployment": "production"}, newly_wrong=1)
    assert list(evaluation.to_json())[-1] == "changes"
    assert evaluation.to_json()["changes"] == {"against": {"deployment": "production"}, "newly_wrong": 1}
