"""Ranking of likely label errors from out-of-sample scores (no training: the scores are given)."""

from __future__ import annotations

import pytest

from nerspec.corpus.label_consistency import string_labels
from nerspec.corpus.label_errors import OutOfSample, class_label_errors, ner_label_errors
from nerspec.corpus.model import Document, Span

TEXT = "Alice moved to Paris in 1990."  # Alice 0-5, Paris 15-20, 1990 24-28


def doc(doc_id: str, *spans: Span, text: str = TEXT) -> Document:
    return Document(id=doc_id, text=text, spans=list(spans))


def test_each_kind_of_ner_error_is_found_and_ranked_by_the_models_weighted_confidence() -> None:
    # A city and a year of their own per document: the corpus has no second opinion, only the model speaks.
    def moved(doc_id: str, city: str, year: int, *spans: Span) -> Document:
        return doc(doc_id, Span(0, 5, "PER"), *spans, text=f"Alice moved to {city} in {year}.")

    docs = [
        moved("typed", "Paris", 1990, Span(15, 20, "PER")),  # Paris tagged PER
        moved("missing", "Turin", 1991),  # Turin untagged
        moved("bounds", "Lyons", 1992, Span(14, 20, "LOC")),  # " Lyons"
        moved("rejected", "Omaha", 1993, Span(24, 28, "LOC")),  # 1993 tagged LOC
        moved("fine", "Tokyo", 1994, Span(15, 20, "LOC")),
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
    assert as_tuples == [
        ("typed", 15, 20, "Paris", "PER", "LOC", "wrong_type"),
        ("missing", 15, 20, "Turin", None, "LOC", "missing"),
        ("bounds", 14, 20, " Lyons", "LOC", "LOC", "boundary"),
        ("rejected", 24, 28, "1993", "LOC", None, "rejected"),
    ]
    # Each kind's probability, weighted: confident wrong types and missing tags count most.
    assert [e.score for e in errors] == pytest.approx([0.9 * 0.9, 0.8 * 0.9, 0.7 * 0.3, 0.5 / 3])
    assert errors[2].proposed == Span(15, 20, "LOC")
    # The model finds one LOC tag of three exactly (fine's): a rejection of a LOC tag is discounted to a third.
    assert errors[0].to_json() == {"id": "typed", "start": 15, "end": 20, "text": "Paris", "label": "PER",
                                   "suggested": "LOC", "kind": "wrong_type", "score": 0.81}


def test_the_corpus_labels_of_the_same_string_elsewhere_are_a_second_witness() -> None:
    text = "We flew to Paris today."  # Paris 11-16
    paris = Span(11, 16, "LOC")
    docs = [doc(f"loc{i}", paris, text=text) for i in range(3)]
    docs += [doc("untagged", text=text), doc("person", Span(11, 16, "PER"), text=text),
             doc("parisian", text="A Parisian cafe."), doc("lower", text="paris , again")]
    nothing = [OutOfSample() for _ in docs]
    found = {(e.id, e.kind, e.suggested): round(e.score, 4) for e in ner_label_errors(docs, nothing)}
    # Four of six occurrences of "paris" are tagged (case-insensitive, on token boundaries: not "Parisian").
    assert found[("untagged", "missing", "LOC")] == found[("lower", "missing", "LOC")] == round(4 / 6, 4)
    assert found[("person", "wrong_type", "LOC")] == 0.75  # the other tags: 3 LOC (+1 for this one's type)
    assert found[("loc0", "wrong_type", "PER")] == 0.25
    assert not any(key[0] == "parisian" for key in found)
    # The model's own reading of the given tag outweighs the other documents'.
    sure = [*nothing[:4], OutOfSample({(11, 16, "PER"): 0.9}), *nothing[5:]]
    person = [e for e in ner_label_errors(docs, sure) if e.id == "person"]
    assert [(e.kind, round(e.score, 4)) for e in person] == [("wrong_type", 0.075)]
    assert string_labels(docs).other_type("PARIS", "LOC") == (0.25, "PER")


def test_the_words_of_a_tag_witness_its_type_too() -> None:
    docs = [doc(f"p{i}", Span(0, 13, "PER"), text=f"Lindsay Lohan said {i}.") for i in range(3)]
    docs.append(doc("team", Span(6, 11, "TEAM"), text="Miss. Lohan won."))
    nothing = [OutOfSample() for _ in docs]
    found = {(e.id, e.kind, e.suggested): round(e.score, 4) for e in ner_label_errors(docs, nothing)}
    # "lohan" is part of 4 tags, 3 of them PER: the TEAM tag is likely a person; each PER tag a little TEAM.
    assert found == {("team", "wrong_type", "PER"): 0.75, **{(f"p{i}", "wrong_type", "TEAM"): 0.25 for i in range(3)}}
    assert string_labels(docs).other_type("x", "PER") == (0.0, None)


def test_overlapping_missing_candidates_are_one_finding_with_both_witnesses() -> None:
    text = "We flew to Paris today."
    docs = [doc("tagged", Span(11, 16, "LOC"), text=text), doc("untagged", text=text)]
    beam = {(11, 16, "LOC"): 0.8, (11, 16, "PER"): 0.1, (8, 16, "LOC"): 0.05}
    scores = [OutOfSample(), OutOfSample(beam, untagged={(11, 22, "LOC"): 0.95, (0, 2, "PER"): 0.3})]
    errors = [e for e in ner_label_errors(docs, scores) if e.id == "untagged"]
    # The group shows the beam's entity (an untagged run's boundaries are only where its tokens lean to an entity).
    assert [(e.start, e.end, e.suggested, e.kind) for e in errors] == [(11, 16, "LOC", "missing"),
                                                                      (0, 2, "PER", "missing")]
    assert errors[0].score == pytest.approx(1 - (1 - 0.9 * 0.95) * (1 - 1 / 2))
    assert errors[1].score == pytest.approx(0.9 * 0.3)  # the model's untagged run alone
    assert OutOfSample.from_json(scores[1].to_json()) == scores[1]


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
