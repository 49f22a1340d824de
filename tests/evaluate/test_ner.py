"""Strict NER scores: the reference's worked example, and seqeval (strict, IOB2) on random sequences."""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerspec.corpus.model import Document, Span
from nerspec.metrics.ner import score_ner
from tests.evaluate.evaluate_helpers import docs_from_tags, evaluation_json, tagged_pair


def reference_docs() -> tuple[list[Document], list[Document]]:
    """Person TP 2 FP 1 FN 1, City TP 1 FP 1 FN 1 (azure-custom-ner.md, "Evaluation")."""
    text = "Ann met Bob and Cy in Rome, Oslo and Nice."
    #       0   4   8   12  16 19 22   27   32  37
    gold = Document("d1", text, spans=[
        Span(0, 3, "Person"), Span(8, 11, "Person"), Span(16, 18, "Person"),
        Span(22, 26, "City"), Span(28, 32, "City"),
    ])
    pred = Document("d1", text, spans=[
        Span(0, 3, "Person"), Span(8, 11, "Person"), Span(37, 41, "Person"),  # Nice: FP Person
        Span(22, 26, "City"), Span(16, 18, "City"),  # Cy: FP City, FN Person
    ])
    # Oslo is missed: FN City.
    return [gold], [pred]


def test_reference_worked_example() -> None:
    gold, pred = reference_docs()
    result = evaluation_json("NERProject", gold, pred, ci_resamples=50)
    person, city = result["per_entity"]["Person"], result["per_entity"]["City"]
    assert (person["tp"], person["fp"], person["fn"]) == (2, 1, 1)
    assert (city["tp"], city["fp"], city["fn"]) == (1, 1, 1)
    assert round(person["f1"], 2) == 0.67
    assert city["f1"] == pytest.approx(0.5)
    micro = result["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (3, 2, 2)
    assert micro["f1"] == pytest.approx(0.6)
    # Macro F1 is the mean of per-type F1, not 2PR/(P+R) of macro P and R.
    assert result["macro"]["f1"] == pytest.approx((2 / 3 + 0.5) / 2)


def test_right_span_wrong_type_is_fp_and_fn() -> None:
    text = "Paris"
    s = score_ner([Document("1", text, [Span(0, 5, "LOC")])], [Document("1", text, [Span(0, 5, "PER")])])
    assert (s.per_label["LOC"].tp, s.per_label["LOC"].fn, s.per_label["LOC"].fp) == (0, 1, 0)
    assert (s.per_label["PER"].tp, s.per_label["PER"].fp, s.per_label["PER"].fn) == (0, 1, 0)


def test_types_neither_tagged_nor_predicted_are_left_out() -> None:
    text = "Paris"
    gold = [Document("1", text, [Span(0, 5, "LOC")])]
    result = evaluation_json("NERProject", gold, gold, labels=["PER", "LOC", "ORG"], ci_resamples=20)
    assert list(result["per_entity"]) == ["LOC"]
    assert result["macro"]["f1"] == 1.0


def test_nothing_tagged_scores_zero() -> None:
    # seqeval returns NaN for the macro average here; JSON has no NaN and gates need a number: 0.0.
    docs = [Document("1", "x")]
    result = evaluation_json("NERProject", docs, [Document("1", "x")], ci_resamples=20)
    assert result["micro"]["f1"] == 0.0 and result["macro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


@settings(max_examples=150, deadline=None)
@given(st.lists(tagged_pair(), min_size=1, max_size=6))
def test_matches_seqeval_strict_iob2(batch: list[tuple[list[str], list[str], list[str]]]) -> None:
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    gold_docs, pred_docs = docs_from_tags(batch)
    y_true = [g for _, g, _ in batch]
    y_pred = [p for _, _, p in batch]
    ours = score_ner(gold_docs, pred_docs)
    kw = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = classification_report(y_true, y_pred, output_dict=True, **kw)
        p = precision_score(y_true, y_pred, **kw)
        r = recall_score(y_true, y_pred, **kw)
        f = f1_score(y_true, y_pred, **kw)
    assert ours.micro.precision == pytest.approx(p)
    assert ours.micro.recall == pytest.approx(r)
    assert ours.micro.f1 == pytest.approx(f)
    per_type = {k: v for k, v in report.items() if not k.endswith(" avg")}
    assert set(per_type) == set(ours.per_label)
    for label, row in per_type.items():
        mine = ours.per_label[label]
        assert mine.precision == pytest.approx(row["precision"])
        assert mine.recall == pytest.approx(row["recall"])
        assert mine.f1 == pytest.approx(row["f1-score"])
        assert mine.support == row["support"]
    macro = ours.macro()
    if per_type:
        for ours_key, theirs_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert macro[ours_key] == pytest.approx(report["macro avg"][theirs_key])
    else:
        assert math.isnan(report["macro avg"]["f1-score"]) and macro["f1"] == 0.0
