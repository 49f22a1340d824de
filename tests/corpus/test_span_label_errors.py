"""Ranking likely label errors of nested entities from a span categorizer's out-of-sample scores (given here)."""

from __future__ import annotations

import pytest

from nerspec.corpus.label_consistency import string_labels
from nerspec.corpus.label_errors import OutOfSample
from nerspec.corpus.model import Document, Span
from nerspec.corpus.span_label_errors import near_misses, span_label_errors

TEXT = "The Bank of Paris hired Ana Lima."  # Bank of Paris 4-17, of Paris 9-17, Paris 12-17, Ana Lima 24-32
ORG, OF_PARIS, PARIS, PERSON = Span(4, 17, "ORG"), Span(9, 17, "LOC"), Span(12, 17, "LOC"), Span(24, 32, "PER")
SURE = {(4, 17, "ORG"): 0.95, (12, 17, "LOC"): 0.9, (24, 32, "PER"): 0.97}  # the model reads the right tags


def doc(doc_id: str, *spans: Span, text: str = TEXT) -> Document:
    return Document(id=doc_id, text=text, spans=list(spans))


def found(docs: list[Document], scores: list[OutOfSample]) -> list[tuple[object, ...]]:
    return [(e.id, e.kind, e.text, e.label, e.suggested, round(e.score, 4))
            for e in span_label_errors(docs, scores)]


def test_nested_tags_the_model_reads_are_not_rivals() -> None:
    # The organisation holds the place; the model also gives the place's span a little ORG and the organisation's
    # a little LOC: neither is a wrong type (the tags are likelier), a boundary (another tag's span) or missing.
    readings = {**SURE, (12, 17, "ORG"): 0.4, (4, 17, "LOC"): 0.3}
    assert span_label_errors([doc("ok", ORG, PARIS, PERSON)], [OutOfSample(readings)]) == []


def test_each_kind_is_found_and_ranked() -> None:
    # Other strings at the same offsets in each document: only the model witnesses here (the corpus's labels
    # elsewhere are tested below).
    docs = [
        doc("typed", ORG, Span(12, 17, "PER"), PERSON, text="Our Bank of Lille hired Bo Silva."),  # a place as a person
        doc("untagged", ORG, PERSON, text="Our Bank of Dijon hired Eva Cruz."),  # the nested place left untagged
        doc("bounds", ORG, OF_PARIS, PERSON, text="Our Bank of Tours hired Ian Rosa."),  # the place tagged with "of"
        doc("rejected", ORG, PARIS, PERSON, Span(0, 3, "PER")),  # "The" tagged as a person
    ]
    scores = [
        OutOfSample({**SURE, (12, 17, "PER"): 0.2}),
        OutOfSample({**SURE, (9, 17, "LOC"): 0.2}),  # "of Paris" LOC: the same place at other boundaries
        OutOfSample({**SURE, (9, 17, "LOC"): 0.1}),
        OutOfSample({**SURE, (0, 3, "PER"): 0.02}),
    ]
    assert found(docs, scores) == [
        ("untagged", "missing", "Dijon", None, "LOC", 0.9),  # the best of the overlapping LOC readings
        # A retyped or moved tag: sure of the other reading (0.9) and against the given one (0.8, 0.9).
        ("typed", "wrong_type", "Lille", "PER", "LOC", round(0.9 * 0.8, 4)),
        # Four of the six PER tags are found (not "The", not the place): a rejection counts two thirds, then half.
        ("rejected", "rejected", "The", "PER", None, round(0.5 * 0.98 * 4 / 6, 4)),
        ("bounds", "boundary", "of Tours", "LOC", "LOC", round(0.3 * 0.9 * 0.9, 4)),  # boundaries count 0.3
    ]
    bounds = next(e for e in span_label_errors(docs, scores) if e.kind == "boundary")
    assert bounds.proposed == PARIS and bounds.to_json()["start"] == 9
    assert span_label_errors(docs, scores, min_score=0.5) == span_label_errors(docs, scores)[:2]


def test_a_missing_span_is_one_finding_per_span_and_type_run_and_its_types_are_or_ed() -> None:
    # Nothing tagged: the organisation and the place nested in it are two findings; the organisation's shorter
    # ORG reading is the same string at other boundaries (one finding); the place's PER reading adds to its LOC.
    readings = {(4, 17, "ORG"): 0.8, (9, 17, "ORG"): 0.5, (12, 17, "LOC"): 0.6, (12, 17, "PER"): 0.5}
    errors = span_label_errors([doc("bare")], [OutOfSample(readings)])
    assert [(e.start, e.end, e.suggested, round(e.score, 4)) for e in errors] == [
        (4, 17, "ORG", 0.8),
        (12, 17, "LOC", round(1 - 0.4 * 0.5, 4)),  # noisy-or: 0.8
    ]
    assert [e.kind for e in errors] == ["missing", "missing"]
    assert errors[0].score == errors[1].score == pytest.approx(0.8)  # ties in offset order


def test_a_same_type_reading_inside_another_entity_is_not_a_boundary_of_this_tag() -> None:
    text = "aa bb cc dd"  # aa bb 0-5, bb 3-5, bb cc 3-8
    tag, crossing = Span(0, 5, "X"), Span(3, 8, "Y")
    readings = {(0, 5, "X"): 0.7, (3, 8, "Y"): 0.9, (3, 5, "X"): 0.8}
    # "bb" X lies inside the Y tag, which does not hold the X tag: not that tag's other boundary, a missing tag.
    assert near_misses(tag, readings, [tag, crossing]) == []
    errors = span_label_errors([doc("cross", tag, crossing, text=text)], [OutOfSample(readings)])
    assert [(e.kind, e.text, e.suggested) for e in errors] == [("missing", "bb", "X")]
    # Without the Y tag, the same reading moves the X tag's boundary (the model prefers it: 0.8 > 0.7).
    assert near_misses(tag, readings, [tag]) == [(3, 5, "X")]
    alone = span_label_errors([doc("alone", tag, text=text)], [OutOfSample(readings)])
    assert [(e.kind, e.text, e.suggested, round(e.score, 4)) for e in alone] == [
        ("missing", "bb cc", "Y", 0.9), ("boundary", "aa bb", "X", round(0.3 * 0.8 * 0.3, 4))]


def test_a_span_tagged_with_two_types_is_not_a_wrong_type() -> None:
    both = [ORG, Span(4, 17, "LOC")]  # an organisation that is also read as a place, both tagged
    readings = {(4, 17, "ORG"): 0.6, (4, 17, "LOC"): 0.9}
    assert span_label_errors([doc("both", *both)], [OutOfSample(readings)]) == []


def test_a_nested_untagged_occurrence_of_a_string_tagged_elsewhere_is_a_missing_tag() -> None:
    docs = [doc("both", ORG, PARIS), doc("outer", ORG), doc("crossing", Span(9, 23, "X"))]
    # "Paris" is tagged once and untagged twice (inside the bank; inside a tag that crosses the bank): share
    # 1 / (1 + 2) each. The flat rule counts neither (they overlap tags); the nested one counts every occurrence
    # without a tag on exactly its span, also those crossing tags ("of Paris hired" in the first two).
    assert string_labels(docs).missing() == {}
    errors = span_label_errors(docs, [OutOfSample(), OutOfSample(), OutOfSample()])
    assert [(e.id, e.kind, e.text, e.suggested, round(e.score, 4)) for e in errors] == [
        ("crossing", "missing", "Bank of Paris", "ORG", round(2 / 3, 4)),  # tagged twice, untagged here
        ("both", "missing", "of Paris hired", "X", round(1 / 3, 4)),
        ("crossing", "missing", "Paris", "LOC", round(1 / 3, 4)),
        ("outer", "missing", "of Paris hired", "X", round(1 / 3, 4)),
        ("outer", "missing", "Paris", "LOC", round(1 / 3, 4)),
    ]  # the tagged "Paris" inside the tagged bank is no wrong type: a tag's words are no evidence when nested
    # The model's reading of the same place is or-ed with the corpus's share.
    with_model = span_label_errors(docs[:2], [OutOfSample(), OutOfSample({(12, 17, "LOC"): 0.6})])
    assert [(e.id, e.text, round(e.score, 4)) for e in with_model] == [("outer", "Paris", round(1 - 0.4 * 0.5, 4))]


def test_a_tag_whose_string_is_tagged_as_another_type_elsewhere_is_a_wrong_type() -> None:
    docs = [doc("a", PARIS), doc("b", PARIS), doc("person", Span(12, 17, "PER")),
            doc("both", PARIS, Span(12, 17, "PER"))]  # a span the data tags with two types
    scores = [OutOfSample(), OutOfSample(), OutOfSample({(12, 17, "PER"): 0.5}), OutOfSample({(12, 17, "PER"): 0.9})]
    errors = span_label_errors(docs, scores)
    # "Paris": 3 LOC and 2 PER tags. The person: 3/5 LOC, discounted by the model's 0.5 for the person; each place
    # 2/5 PER; "both" none (the other type of its span is its own, not a rival).
    assert [(e.id, e.kind, e.label, e.suggested, round(e.score, 4)) for e in errors] == [
        ("a", "wrong_type", "LOC", "PER", 0.4), ("b", "wrong_type", "LOC", "PER", 0.4),
        ("person", "wrong_type", "PER", "LOC", 0.3)]


def test_an_occurrence_at_other_boundaries_of_a_tag_of_its_type_is_that_tag_s_question_not_a_missing_tag() -> None:
    docs = [doc("place", PARIS), doc("bounds", OF_PARIS)]
    # Each string is untagged in the other document, but overlaps a tag of its type there (a near-miss, as the
    # model's readings at other boundaries are): no missing tag.
    assert sorted(string_labels(docs, nested=True).missing()) == [0, 1]
    assert span_label_errors(docs, [OutOfSample(), OutOfSample()]) == []
