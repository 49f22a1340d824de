"""Confusion matrix invariants, bootstrap intervals and the paired bootstrap test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerspec.corpus.model import Document, Span
from nerspec.evaluate import Evaluation, evaluate
from nerspec.metrics.bootstrap import bootstrap_ci, paired_bootstrap, resampled_totals, significance_test
from nerspec.metrics.confusion import NONE, ner_confusion
from nerspec.metrics.ner import score_ner
from tests.evaluate.evaluate_helpers import docs_from_tags, tagged_pair


def test_confusion_cells_and_boundary_errors() -> None:
    text = "John Smith flew to Paris from Rome with Acme."
    gold = [Document("1", text, [Span(0, 10, "PER"), Span(19, 24, "LOC"), Span(30, 34, "LOC"), Span(40, 44, "ORG")])]
    pred = [Document("1", text, [Span(0, 4, "PER"), Span(19, 24, "LOC"), Span(30, 34, "ORG"), Span(11, 15, "ORG")])]
    cm = ner_confusion(gold, pred, ["PER", "LOC", "ORG"])
    assert cm["labels"] == ["PER", "LOC", "ORG", NONE]
    assert cm["matrix"] == [
        [0, 0, 0, 1],  # John Smith: boundary error -> missed ...
        [0, 1, 1, 0],  # Paris TP; Rome tagged LOC, predicted ORG
        [0, 0, 0, 1],  # Acme missed
        [1, 0, 1, 0],  # ... and spurious "John"; "flew" spurious ORG
    ]
    assert cm["boundary_errors"] == {"PER": 1}


@settings(max_examples=100, deadline=None)
@given(st.lists(tagged_pair(), min_size=1, max_size=5))
def test_confusion_rows_and_columns_match_strict_counts(batch: list[tuple[list[str], list[str], list[str]]]) -> None:
    gold, pred = docs_from_tags(batch)
    scores = score_ner(gold, pred)
    cm = ner_confusion(gold, pred, scores.labels)
    m = np.array(cm["matrix"])
    for i, label in enumerate(scores.labels):
        s = scores.per_label[label]
        assert m[i, i] == s.tp
        assert m[i, :].sum() - m[i, i] == s.fn
        assert m[:, i].sum() - m[i, i] == s.fp
    assert m[-1, -1] == 0


def _docs(n: int, seed: int) -> tuple[list[Document], list[Document]]:
    """A test set where the model finds about 70% of entities and adds some false ones."""
    rng = np.random.default_rng(seed)
    gold, pred = [], []
    for k in range(n):
        g = [Span(10 * j, 10 * j + 5, "AB"[j % 2]) for j in range(3)]
        p = [s for s in g if rng.random() < 0.7] + ([Span(40, 45, "A")] if rng.random() < 0.3 else [])
        gold.append(Document(str(k), "x" * 50, g))
        pred.append(Document(str(k), "x" * 50, p))
    return gold, pred


def test_smaller_test_set_gives_wider_interval() -> None:
    small = evaluate("NERProject", *_docs(20, 1), ci_resamples=500)
    large = evaluate("NERProject", *_docs(500, 1), ci_resamples=500)

    def width(e: Evaluation, key: str = "f1") -> float:
        lo, hi = e.ci.micro[key]
        return hi - lo

    assert width(small) > 2 * width(large)
    as_json = large.to_json()
    lo, hi = as_json["ci"]["micro"]["f1"]
    assert lo <= as_json["micro"]["f1"] <= hi
    assert as_json["ci"]["per_label_f1"]["A"][0] <= as_json["per_entity"]["A"]["f1"] <= as_json["ci"]["per_label_f1"]["A"][1]


def test_bootstrap_is_deterministic_with_seed() -> None:
    gold, pred = _docs(50, 2)
    counts = score_ner(gold, pred).counts_array(["A", "B"])
    a = bootstrap_ci(counts, ["A", "B"], resamples=300, seed=7)
    b = bootstrap_ci(counts, ["A", "B"], resamples=300, seed=7)
    c = bootstrap_ci(counts, ["A", "B"], resamples=300, seed=8)
    assert a == b
    assert a != c
    assert a["resamples"] == 300 and a["seed"] == 7 and a["level"] == 0.95


def test_resampled_totals_equal_index_resampling() -> None:
    """The weight-matrix shortcut gives the same sums as drawing document indices."""
    counts = np.arange(5 * 2 * 3).reshape(5, 2, 3)
    totals = resampled_totals(counts, resamples=4, seed=3)
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 5, size=(4, 5))
    assert np.array_equal(totals, counts[idx].sum(axis=1))


def test_bootstrap_ci_of_many_documents_brackets_the_observed_score() -> None:
    """A wide input gives an interval per type around its observed F1 (its speed is bench/core_speed.py's)."""
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 3, size=(500, 30, 3))
    intervals = bootstrap_ci(counts, [str(i) for i in range(30)], resamples=200)
    assert len(intervals["per_label_f1"]) == 30 and intervals["resamples"] == 200
    for interval in [intervals["micro"]["f1"], *intervals["per_label_f1"].values()]:
        assert 0.0 <= interval[0] <= interval[1] <= 1.0


def test_paired_bootstrap() -> None:
    gold, good = _docs(200, 3)
    rng = np.random.default_rng(4)
    worse = [Document(d.id, d.text, [s for s in d.spans if rng.random() < 0.6]) for d in good]
    new_bad = score_ner(gold, worse).counts_array(["A", "B"])
    old = score_ner(gold, good).counts_array(["A", "B"])
    assert paired_bootstrap(new_bad, old, "micro_f1", resamples=500) < 0.01
    assert paired_bootstrap(old, new_bad, "micro_f1", resamples=500) > 0.9
    assert paired_bootstrap(old, old, "macro_f1", resamples=200) == 1.0
    assert paired_bootstrap(new_bad, old, "f1", label_index=0, resamples=200) < 0.05
    assert paired_bootstrap(old.sum(axis=1), old.sum(axis=1), "micro_precision", resamples=50) == 1.0
    with pytest.raises(ValueError):
        paired_bootstrap(old, old, "accuracy")


def test_significance_test_from_evaluation_json() -> None:
    gold, good = _docs(150, 5)
    rng = np.random.default_rng(6)
    worse = [Document(d.id, d.text, [s for s in d.spans if rng.random() < 0.6]) for d in good]
    new = evaluate("NERProject", gold, worse, ci_resamples=20)
    old = evaluate("NERProject", gold, good, ci_resamples=20)
    test = significance_test(new.documents, old.documents, resamples=300)
    assert test("micro_f1", None) < 0.01
    assert test("f1", "A") < 0.05
    assert test("f1", "UNKNOWN") is None
    assert significance_test(new.documents, [])("micro_f1", None) is None
