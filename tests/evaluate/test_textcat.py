"""Classification scores cross-checked against scikit-learn; the reference's multi-label example."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerspec.corpus.model import Document
from nerspec.evaluate import Evaluation, per_label
from nerspec.metrics.textcat import SWEEP, score_classes, threshold_sweep
from tests.evaluate.evaluate_helpers import evaluation_json

CLASSES = ("sports", "politics", "tech", "food")


def docs(label_sets: list[list[str]]) -> list[Document]:
    return [Document(str(i), f"doc {i}", labels=list(ls)) for i, ls in enumerate(label_sets)]


def test_multilabel_reference_example() -> None:
    """TP 4, FP 1, FN 2 -> P 0.8, R 0.67, F1 0.73."""
    gold = docs([["a", "b"], ["a", "c"], ["b"], ["c"]])
    pred = docs([["a", "b"], ["a"], ["b", "c"], []])
    result = evaluation_json("TextClassificationProject", gold, pred, multilabel=True, ci_resamples=50)
    micro = result["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (4, 1, 2)
    assert micro["precision"] == pytest.approx(0.8)
    assert round(micro["recall"], 2) == 0.67
    assert round(micro["f1"], 2) == 0.73
    assert result["threshold"] == 0.5 and result["threshold_sweep"] == []
    assert "partial" not in result and "per_entity" not in result
    evaluation = Evaluation.from_json(result)
    assert per_label(evaluation) is evaluation.per_class


def test_single_label_micro_is_accuracy_and_confusion_matrix() -> None:
    gold = docs([["a"], ["a"], ["b"], ["c"], ["b"]])
    pred = docs([["a"], ["b"], ["b"], ["a"], ["b"]])
    result = evaluation_json("TextClassificationProject", gold, pred, ci_resamples=50)
    m = result["micro"]
    assert m["precision"] == m["recall"] == m["f1"] == pytest.approx(3 / 5)
    cm = result["confusion_matrix"]
    assert cm["labels"] == ["a", "b", "c", "$none"]
    assert cm["matrix"] == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert "threshold_sweep" not in result
    assert result["documents"][1]["gold"][0]["error"] == "predicted instead: b"


def test_threshold_from_scores_and_sweep() -> None:
    gold = docs([["a"], ["a", "b"], ["b"]])
    scores = [{"a": 0.9, "b": 0.3}, {"a": 0.6, "b": 0.45}, {"a": 0.2, "b": 0.95}]
    pred = docs([[], [], []])  # ignored: with scores, the threshold decides
    result = evaluation_json("TextClassificationProject", gold, pred, scores=scores, multilabel=True, threshold=0.4,
                      ci_resamples=20)
    assert result["micro"]["tp"] == 4 and result["micro"]["fp"] == 0
    sweep = result["threshold_sweep"]
    assert [s["threshold"] for s in sweep] == list(SWEEP)
    at = {s["threshold"]: s for s in sweep}
    assert at[0.1]["recall"] == 1.0 and at[0.1]["precision"] == pytest.approx(4 / 6)
    assert at[0.5]["recall"] == pytest.approx(3 / 4) and at[0.5]["precision"] == 1.0
    expected = [{"threshold": 0.9, "precision": 1.0, "recall": 1.0, "f1": 1.0}]
    assert threshold_sweep([{"a"}], [{"a": 0.95}], [0.9]) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CLASSES), st.sampled_from(CLASSES)), min_size=1, max_size=40))
def test_single_label_matches_sklearn(pairs: list[tuple[str, str]]) -> None:
    from sklearn.metrics import precision_recall_fscore_support

    y_true, y_pred = [g for g, _ in pairs], [p for _, p in pairs]
    ours = score_classes([{g} for g in y_true], [{p} for p in y_pred])
    labels = sorted(set(y_true) | set(y_pred))
    assert sorted(ours.labels) == labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
        micro = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
        macro = precision_recall_fscore_support(y_true, y_pred, average="macro", zero_division=0)
    for i, label in enumerate(labels):
        s = ours.per_label[label]
        assert (s.precision, s.recall, s.f1, s.support) == pytest.approx((p[i], r[i], f[i], support[i]))
    assert (ours.micro.precision, ours.micro.recall, ours.micro.f1) == pytest.approx(micro[:3])
    m = ours.macro()
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx(macro[:3])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sets(st.sampled_from(CLASSES)), st.sets(st.sampled_from(CLASSES))), min_size=1,
                max_size=30))
def test_multi_label_matches_sklearn(pairs: list[tuple[set[str], set[str]]]) -> None:
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
    ours = score_classes(gold, pred)
    labels = sorted(set().union(*gold, *pred))
    if not labels:
        assert ours.micro.f1 == 0.0 and ours.macro()["f1"] == 0.0
        return
    # An always-empty extra column keeps sklearn from reading a one-column indicator matrix as binary targets;
    # ``labels=`` then scores only the real columns.
    mlb = MultiLabelBinarizer(classes=[*labels, "~unused"])
    yt, yp = mlb.fit_transform(gold), mlb.transform(pred)
    cols = list(range(len(labels)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, support = precision_recall_fscore_support(yt, yp, labels=cols, zero_division=0)
        micro = precision_recall_fscore_support(yt, yp, labels=cols, average="micro", zero_division=0)
        macro = precision_recall_fscore_support(yt, yp, labels=cols, average="macro", zero_division=0)
    for i, label in enumerate(labels):
        s = ours.per_label[label]
        assert (s.precision, s.recall, s.f1, s.support) == pytest.approx((p[i], r[i], f[i], support[i]))
    assert (ours.micro.precision, ours.micro.recall, ours.micro.f1) == pytest.approx(micro[:3])
    m = ours.macro()
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx(macro[:3])
