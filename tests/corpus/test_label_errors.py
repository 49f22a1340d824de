"""Ranking of likely label errors from out-of-sample scores (no training: the scores are given)."""

from __future__ import annotations

from nerspec.corpus.label_errors import OutOfSample, class_label_errors, ner_label_errors
from nerspec.corpus.model import Document, Span

TEXT = "Alice moved to Paris in 1990."  # Alice 0-5, Paris 15-20, 1990 24-28


def doc(doc_id: str, *spans: Span, text: str = TEXT) -> Document:
    return Document(id=doc_id, text=text, spans=list(spans))


def test_each_kind_of_ner_error_is_found_and_ranked_by_the_models_confidence() -> None:
    docs = [
        doc("typed", Span(0, 5, "PER"), Span(15, 20, "PER")),  # Paris tagged PER
        doc("missing", Span(0, 5, "PER")),  # Paris untagged
        doc("bounds", Span(0, 5, "PER"), Span(14, 20, "LOC")),  # " Paris"
        doc("rejected", Span(0, 5, "PER"), Span(24, 28, "LOC")),  # 1990 tagged LOC
        doc("fine", Span(0, 5, "PER"), Span(15, 20, "LOC")),
    ]
    person = {(0, 5, "PER"): 0.99}
    scores = [
        OutOfSample({**person, (15, 20, "LOC"): 0.9, (15, 20, "PER"): 0.05}),
        OutOfSample({**person, (15, 20, "LOC"): 0.8}),
        OutOfSample({**person, (15, 20, "LOC"): 0.7}),
        OutOfSample(dict(person)),
        OutOfSample({**person, (15, 20, "LOC"): 0.95}),
    ]
    errors = ner_label_errors(docs, scores)
    as_tuples = [(e.id, e.start, e.end, e.text, e.label, e.suggested, e.kind) for e in errors]
    assert as_tuples[:3] == [
        ("typed", 15, 20, "Paris", "PER", "LOC", "wrong_type"),
        ("missing", 15, 20, "Paris", None, "LOC", "missing"),
        ("bounds", 14, 20, " Paris", "LOC", "LOC", "boundary"),
    ]
    assert [e.score for e in errors[:3]] == [0.9, 0.8, 0.7]
    assert errors[2].proposed == Span(15, 20, "LOC")
    # The model finds one LOC tag of three exactly (fine's): a rejection of a LOC tag is discounted to a third.
    rejected = [e for e in errors if e.kind == "rejected"]
    assert [(e.id, e.text) for e in rejected] == [("rejected", "1990")]
    assert abs(rejected[0].score - 1 / 3) < 1e-9
    assert all(e.id != "fine" for e in errors)
    assert errors[0].to_json() == {"id": "typed", "start": 15, "end": 20, "text": "Paris", "label": "PER",
                                   "suggested": "LOC", "kind": "wrong_type", "score": 0.9}


def test_offsets_are_code_points_and_min_score_filters() -> None:
    text = "😀 Zoë lives in Köln."
    start = text.index("Köln")
    docs = [Document(id="u", text=text, spans=[])]
    scores = [OutOfSample({(start, start + 4, "LOC"): 0.6, (2, 5, "PER"): 0.3})]
    errors = ner_label_errors(docs, scores, min_score=0.5)
    assert [(e.start, e.end, e.text, e.kind) for e in errors] == [(start, start + 4, "Köln", "missing")]


def test_classification_single_and_multi_label() -> None:
    docs = [Document(id="a", text="refund please", labels=["billing"]),
            Document(id="b", text="app crashes", labels=["billing"]),
            Document(id="c", text="invoice wrong", labels=["billing"])]
    single = [OutOfSample(classes={"billing": 0.9, "bug": 0.1}), OutOfSample(classes={"billing": 0.2, "bug": 0.8}),
              OutOfSample(classes={"billing": 0.7, "bug": 0.3})]
    errors = class_label_errors(docs, single, multilabel=False)
    assert [(e.id, e.label, e.suggested, e.kind, e.start, e.end) for e in errors] == [
        ("b", "billing", "bug", "wrong_type", 0, len("app crashes"))]
    multi = [OutOfSample(classes={"billing": 0.9, "bug": 0.7}), OutOfSample(classes={"billing": 0.1, "bug": 0.8}),
             OutOfSample(classes={"billing": 0.8, "bug": 0.1})]
    errors = class_label_errors(docs, multi, multilabel=True)
    kinds = sorted((e.id, e.kind, e.label, e.suggested) for e in errors)
    assert kinds == [("a", "missing", "billing", "bug"), ("b", "missing", "billing", "bug"),
                     ("b", "rejected", "billing", None)]
