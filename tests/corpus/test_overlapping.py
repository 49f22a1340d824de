"""Overlapping and nested spans (``spec.overlapping: true``): valid data for such a project, kept by the formats
that hold a list of spans, refused (located, before anything is written) by the formats of flat tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.corpus.checks import check_spans
from nerspec.corpus.formats import FORMATS, holders, names, write
from nerspec.corpus.formats.capacity import first_overlap
from nerspec.corpus.formats.common import ProjectInfo
from nerspec.corpus.load import load_corpus
from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError

NER = ProjectInfo(name="p", kind="NERProject", annotates_spans=True, labels=("ORG", "LOC"))
OVERLAPPING = ProjectInfo(name="p", kind="NERProject", annotates_spans=True, labels=("ORG", "LOC"), overlapping=True)
TEXT = "The Bank of England raised rates in London."
# "Bank of England" ORG holds "England" LOC; "England raised" crosses it (a partial overlap).
NESTED = [Span(4, 19, "ORG"), Span(12, 19, "LOC"), Span(36, 42, "LOC"), Span(12, 26, "LOC"), Span(4, 19, "LOC")]


def _nested_docs() -> list[Document]:
    return [Document("n1.txt", TEXT, list(NESTED), dataset="train"),
            Document("flat.txt", "Rates rose in Paris.", [Span(14, 19, "LOC")], dataset="test")]


def _codes(project, docs: list[Document], overlapping: bool) -> list[str]:
    from nerspec.corpus.model import Corpus

    return sorted(f.code for f in check_spans(project, Corpus(docs), ["ORG", "LOC"], overlapping=overlapping)
                  if f.severity == "error")


def test_nested_and_overlapping_spans_are_valid_in_an_overlapping_project(make_project) -> None:
    project = make_project(entities=("ORG", "LOC"))
    docs = _nested_docs()
    assert _codes(project, docs, overlapping=True) == []
    # Without `overlapping`, nothing changes: each overlap is an error, as before.
    assert _codes(project, docs, overlapping=False) == ["overlapping_spans"] * 3


def test_a_span_given_twice_stays_an_error(make_project) -> None:
    project = make_project(entities=("ORG", "LOC"))
    doc = Document("d.txt", TEXT, [Span(4, 19, "ORG"), Span(12, 19, "LOC"), Span(4, 19, "ORG")])
    from nerspec.corpus.model import Corpus

    found = [f for f in check_spans(project, Corpus([doc]), ["ORG", "LOC"], overlapping=True) if f.severity == "error"]
    assert [(f.code, f.start, f.end, f.excerpt) for f in found] == [
        ("duplicate_span", 4, 19, "The [Bank of England] raised rates in Lon…")]
    assert _codes(project, [doc], overlapping=False) == ["overlapping_spans", "overlapping_spans"]


def test_the_format_table_says_which_formats_hold_overlaps() -> None:
    assert names("overlaps") == ("azure", "doccano", "jsonl", "labelstudio", "prodigy")
    assert not FORMATS["conll"].overlaps and not FORMATS["spacy"].overlaps
    # A DocBin holds them as the span group of an overlapping project; a flat project's DocBin has `ents`.
    assert names("span_groups") == ("spacy",)
    assert holders(overlapping=False) == names("overlaps")
    assert holders(overlapping=True) == ("azure", "doccano", "jsonl", "labelstudio", "prodigy", "spacy")


@pytest.mark.parametrize("fmt", ["azure", "jsonl", "labelstudio", "doccano", "prodigy"])
def test_formats_that_hold_overlaps_round_trip_nested_spans(tmp_path: Path, fmt: str) -> None:
    docs = _nested_docs()
    written = write(fmt, docs, tmp_path / fmt, NER)
    back = FORMATS[fmt].load().read(written, tmp_path / fmt)
    assert [(d.id, d.text, sorted(d.spans)) for d in back] == [(d.id, d.text, sorted(d.spans)) for d in docs]


@pytest.mark.parametrize("fmt", ["conll", "spacy"])
def test_formats_of_flat_tags_refuse_overlaps_before_writing(make_project, tmp_path: Path, fmt: str) -> None:
    project = make_project([("n1.txt", TEXT, [(s.start, s.end, s.label) for s in NESTED], "train")],
                           entities=("ORG", "LOC"))
    docs = load_corpus(project).documents
    with pytest.raises(DataError) as raised:
        write(fmt, docs, tmp_path / fmt, NER)
    assert not (tmp_path / fmt).exists()
    [problem] = raised.value.problems
    assert str(problem).endswith(
        f"data/n1.txt:1:5: n1.txt[4:19]: `{fmt}` cannot hold overlapping spans: ORG 4..19 overlaps LOC 4..19; "
        "export as azure, doccano, jsonl, labelstudio, prodigy")
    assert raised.value.summary == f"1 document with overlapping spans cannot be written as `{fmt}`"
    flat = [d for d in _nested_docs() if d.id == "flat.txt"]
    assert write(fmt, flat, tmp_path / "flat", NER).is_file()  # flat data writes as before


def test_an_overlapping_project_writes_overlaps_to_spacy_and_conll_still_refuses(make_project, tmp_path: Path) -> None:
    project = make_project([("n1.txt", TEXT, [(s.start, s.end, s.label) for s in NESTED], "train")],
                           entities=("ORG", "LOC"))
    docs = load_corpus(project).documents
    back = FORMATS["spacy"].load().read(write("spacy", docs, tmp_path / "spacy", OVERLAPPING))
    assert [sorted(d.spans) for d in back] == [sorted(NESTED)]
    with pytest.raises(DataError) as raised:
        write("conll", docs, tmp_path / "conll", OVERLAPPING)
    assert not (tmp_path / "conll").exists()
    assert str(raised.value.problems[0]).endswith("export as azure, doccano, jsonl, labelstudio, prodigy, spacy")


def test_first_overlap_sees_a_long_span_over_a_later_one() -> None:
    assert first_overlap([Span(0, 30, "A"), Span(2, 5, "B"), Span(20, 25, "C")]) == (Span(0, 30, "A"), Span(2, 5, "B"))
    assert first_overlap([Span(0, 30, "A"), Span(0, 2, "A")]) == (Span(0, 2, "A"), Span(0, 30, "A"))
    assert first_overlap([Span(0, 2, "A"), Span(2, 5, "B"), Span(5, 9, "C")]) is None
    assert first_overlap([Span(0, 10, "A"), Span(1, 2, "B"), Span(3, 4, "C")]) == (Span(0, 10, "A"), Span(1, 2, "B"))


def test_lint_finds_a_nested_place_left_untagged_only_in_an_overlapping_project() -> None:
    from nerspec.corpus.lint import lint_ner
    from nerspec.corpus.model import Corpus

    text = "The Bank of England met the England team."
    docs = [
        Document("tagged", "The Bank of England raised rates.", [Span(4, 19, "ORG"), Span(12, 19, "LOC")]),
        Document("forgot", text, [Span(4, 19, "ORG"), Span(28, 35, "LOC")]),  # the England inside the bank
        Document("again", "England won.", [Span(0, 7, "LOC")]),
    ]
    untagged = [(f.doc_id, f.start, f.end) for f in lint_ner(Corpus(docs), overlapping=True) if f.code == "lint_untagged"]
    assert untagged == [("forgot", 12, 19)]
    # Flat lint masks the tagged organisation, and what is inside it, as before.
    assert [f for f in lint_ner(Corpus(docs)) if f.code == "lint_untagged"] == []
