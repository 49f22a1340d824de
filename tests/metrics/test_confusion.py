"""The NER confusion matrix of a project whose entities overlap or nest: spans pair by best overlap."""

from __future__ import annotations

from nerspec.corpus.model import Document, Span
from nerspec.metrics.confusion import BEST_OVERLAP, NONE, ner_confusion

TEXT = "The Bank of England and the Bank of France met in Paris."
LABELS = ["ORG", "LOC"]


def _cells(cm: dict) -> dict[tuple[str, str], int]:
    names = cm["labels"]
    return {(names[i], names[j]): v for i, row in enumerate(cm["matrix"]) for j, v in enumerate(row) if v}


def test_nested_spans_pair_by_best_overlap() -> None:
    gold = Document("d", TEXT, [
        Span(4, 19, "ORG"), Span(12, 19, "LOC"),  # Bank of England ⊃ England
        Span(28, 42, "ORG"), Span(36, 42, "LOC"),  # Bank of France ⊃ France
        Span(50, 55, "LOC"),  # Paris
    ])
    pred = Document("d", TEXT, [
        Span(4, 19, "ORG"), Span(12, 19, "LOC"),  # both nested entities right
        Span(28, 42, "LOC"),  # the outer organisation read as a place: its best overlap is the gold ORG, not France
        Span(36, 42, "LOC"),
        Span(46, 55, "ORG"),  # "in Paris" as an organisation: the gold LOC Paris is its only overlap
    ])
    cm = ner_confusion([gold], [pred], LABELS, overlapping=True)
    assert cm["pairing"] == BEST_OVERLAP
    assert _cells(cm) == {("ORG", "ORG"): 1, ("LOC", "LOC"): 2, ("ORG", "LOC"): 1, ("LOC", "ORG"): 1}
    # Row sums stay the gold counts, column sums the predicted ones.
    assert [sum(row) for row in cm["matrix"]] == [2, 3, 0]
    assert [sum(col) for col in zip(*cm["matrix"], strict=True)] == [2, 3, 0]


def test_a_nested_span_is_not_taken_for_its_outer_spans_confusion() -> None:
    gold = Document("d", TEXT, [Span(4, 19, "ORG"), Span(12, 19, "LOC")])
    # The outer ORG is read as a place (the same span: the best overlap); the nested LOC "England" is predicted
    # as "of England", a boundary error of its own type, not a confusion with the outer organisation.
    pred = Document("d", TEXT, [Span(4, 19, "LOC"), Span(9, 19, "LOC")])
    cm = ner_confusion([gold], [pred], LABELS, overlapping=True)
    assert _cells(cm) == {("ORG", "LOC"): 1, ("LOC", NONE): 1, (NONE, "LOC"): 1}
    assert cm["boundary_errors"] == {"LOC": 1}


def test_without_overlapping_nothing_changes() -> None:
    gold = Document("d", TEXT, [Span(4, 19, "ORG"), Span(50, 55, "LOC")])
    pred = Document("d", TEXT, [Span(12, 19, "LOC"), Span(50, 55, "ORG")])
    flat = ner_confusion([gold], [pred], LABELS)
    assert "pairing" not in flat
    # Flat: only the same span pairs across types; the nested LOC is a miss and a spurious entity.
    assert _cells(flat) == {("LOC", "ORG"): 1, ("ORG", NONE): 1, (NONE, "LOC"): 1}
    assert _cells(ner_confusion([gold], [pred], LABELS, overlapping=True)) == {("LOC", "ORG"): 1, ("ORG", "LOC"): 1}
