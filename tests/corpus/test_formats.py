"""Importers per format, exporters, and import -> export -> import without loss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerspec.corpus.formats import azure, conll, docbin, folders, jsonl
from nerspec.corpus.formats.common import ProjectInfo
from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError
from corpus_fixtures import SAMPLE, write_azure, write_jsonl

NER = ProjectInfo(name="p", kind="NERProject", labels=("Person", "City"))


def _expected(docs=SAMPLE):
    return [(i, t, [Span(s, e, l) for s, e, l in spans], d) for i, t, spans, d in docs]


@pytest.mark.parametrize("spelling", ["camel", "dash"])
def test_azure_import_converts_utf16_offsets(tmp_path: Path, spelling: str) -> None:
    labels = write_azure(tmp_path, SAMPLE, spelling=spelling)
    docs = azure.read(labels, tmp_path)
    assert [(d.id, d.text, d.spans, d.dataset) for d in docs] == _expected()
    assert docs[1].spans[2].text(docs[1].text) == "北京"
    assert docs[3].spans[2].text(docs[3].text) == "𝔸𝕓𝕔 City"


def test_azure_region_is_honoured(tmp_path: Path) -> None:
    text = "HEADER 😀 | Alice lives in Oslo."
    (tmp_path / "r.txt").write_text(text, encoding="utf-8")
    region_start = len(text[: text.index("Alice")].encode("utf-16-le")) // 2
    alice = region_start
    oslo = region_start + text[text.index("Alice"):].index("Oslo")
    raw = {"stringIndexType": "Utf16CodeUnit", "assets": {"projectKind": "CustomEntityRecognition", "documents": [
        {"location": "r.txt", "dataset": "Test", "entities": [{"regionOffset": region_start, "regionLength": 21, "labels": [
            {"category": "Person", "offset": alice, "length": 5}, {"category": "City", "offset": oslo, "length": 4}]}]}]}}
    (tmp_path / "labels.json").write_text(json.dumps(raw))
    [doc] = azure.read(tmp_path / "labels.json", tmp_path)
    assert doc.text == "Alice lives in Oslo."
    assert [s.text(doc.text) for s in doc.spans] == ["Alice", "Oslo"]
    assert doc.offset == text.index("Alice") and doc.dataset == "test"


def test_azure_classification_kinds(tmp_path: Path) -> None:
    for name, text in (("a.txt", "Goal!"), ("b.txt", "Vote.")):
        (tmp_path / name).write_text(text)
    single = {"assets": {"projectKind": "CustomSingleLabelClassification", "documents": [
        {"location": "a.txt", "dataset": "Train", "class": {"category": "Sports"}}]}}
    multi = {"assets": {"projectKind": "CustomMultiLabelClassification", "documents": [
        {"location": "b.txt", "classes": [{"category": "Politics"}, {"category": "News"}]}]}}
    (tmp_path / "s.json").write_text(json.dumps(single))
    (tmp_path / "m.json").write_text(json.dumps(multi))
    assert [(d.id, d.labels, d.dataset) for d in azure.read(tmp_path / "s.json")] == [("a.txt", ["Sports"], "train")]
    assert [d.labels for d in azure.read(tmp_path / "m.json")] == [["Politics", "News"]]


def test_azure_refuses_locations_outside_the_project(tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text(json.dumps({"assets": {"documents": [{"location": "../secret.txt"}]}}))
    with pytest.raises(DataError, match=r"leaves the project"):
        azure.read(tmp_path / "labels.json", tmp_path)


def test_undecodable_document_names_file_and_byte_offset(tmp_path: Path) -> None:
    write_azure(tmp_path, SAMPLE[:1])
    (tmp_path / "a.txt").write_bytes(b"ok\nbad \xff byte")
    with pytest.raises(DataError) as info:
        azure.read(tmp_path / "labels.json", tmp_path)
    [problem] = info.value.problems
    assert problem.file.endswith("a.txt") and (problem.line, problem.col) == (2, 5)
    assert "byte offset 7" in problem.message


def test_invalid_labels_json_is_located(tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text('{"assets": {"documents": [}\n')
    with pytest.raises(DataError) as info:
        azure.read(tmp_path / "labels.json", tmp_path)
    assert info.value.problems[0].line == 1 and "invalid JSON at byte offset" in info.value.problems[0].message


def test_azure_referenced_files(tmp_path: Path) -> None:
    labels = write_azure(tmp_path, SAMPLE)
    assert sorted(p.name for p in azure.referenced_files(labels)) == ["a.txt", "b.txt", "c.txt", "d.txt", "labels.json"]


def test_jsonl_shapes(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "1", "text": "Alice in Paris", "spans": [{"start": 0, "end": 5, "label": "Person"}], "dataset": "Test"},
        {"id": "2", "text": "Bob in Rome", "label": [[0, 3, "Person"], [7, 11, "City"]]},
        {"id": "3", "text": "goal", "labels": ["Sports"]},
        {"id": "4", "text": "vote", "cats": {"Politics": 1.0, "Sports": 0.0}},
        {"id": "5", "text": "chip", "label": ["Tech", "Business"]},
        {"text": "no id \u2028 here"},
    ])
    docs = jsonl.read(path)
    assert docs[0].spans == [Span(0, 5, "Person")] and docs[0].dataset == "test"
    assert docs[1].spans == [Span(0, 3, "Person"), Span(7, 11, "City")]
    assert [d.labels for d in docs[2:5]] == [["Sports"], ["Politics"], ["Tech", "Business"]]
    assert docs[5].id == "d.jsonl:6" and docs[5].line == 6 and "\u2028" in docs[5].text


def test_jsonl_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "1", "text": "ok"}\n{"id": 2, "text": \n{"id": "3"}\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        jsonl.read(path)
    assert [(p.line, p.message.split(":")[0]) for p in info.value.problems] == [
        (2, "invalid JSON at byte offset 44"), (3, "missing `text` (a string)")]


CONLL = """-DOCSTART- -X- O O

Alice NNP B-PER
Smith NNP I-PER
visited VBD O
New NNP B-LOC
York NNP I-LOC

Paris NNP B-LOC
-DOCSTART- -X- O O

Bob NNP B-PER
"""


def test_conll_iob2_documents(tmp_path: Path) -> None:
    path = tmp_path / "d.conll"
    path.write_text(CONLL)
    first, second = conll.read(path)
    assert first.text == "Alice Smith visited New York\nParis"
    assert [(s.text(first.text), s.label) for s in first.spans] == [("Alice Smith", "PER"), ("New York", "LOC"), ("Paris", "LOC")]
    assert second.text == "Bob" and second.spans == [Span(0, 3, "PER")]


@pytest.mark.parametrize("tags", [
    ["I-PER", "I-PER", "O", "I-LOC", "B-LOC"],      # IOB1: B only between two entities of one type
    ["B-PER", "I-PER", "O", "B-LOC", "B-LOC"],      # IOB2
    ["B-PER", "L-PER", "O", "U-LOC", "U-LOC"],      # BILOU
    ["B-PER", "E-PER", "O", "S-LOC", "S-LOC"],      # IOBES spelling
])
def test_conll_schemes(tmp_path: Path, tags: list[str]) -> None:
    tokens = ["Ann", "Lee", "in", "Oslo", "Bergen"]
    path = tmp_path / "d.conll"
    path.write_text("\n".join(f"{t}\t{g}" for t, g in zip(tokens, tags)) + "\n")
    [doc] = conll.read(path)
    assert [(s.text(doc.text), s.label) for s in doc.spans] == [("Ann Lee", "PER"), ("Oslo", "LOC"), ("Bergen", "LOC")]


def test_conll_bad_tag(tmp_path: Path) -> None:
    path = tmp_path / "d.conll"
    path.write_text("Ann X-PER\n")
    with pytest.raises(DataError, match="unknown tag `X-PER`"):
        conll.read(path)


def test_conll_tags_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "d.conll"
    path.write_text(CONLL)
    first = conll.read(path)[0]
    rows = conll.tags(first, "BILOU")
    assert rows[0] == [("Alice", "B-PER"), ("Smith", "L-PER"), ("visited", "O"), ("New", "B-LOC"), ("York", "L-LOC")]
    assert rows[1] == [("Paris", "U-LOC")]


def test_docbin_round_trip(tmp_path: Path) -> None:
    docs = [Document("x", "Alice lives in Paris.", [Span(0, 5, "Person"), Span(15, 20, "City")], dataset="test"),
            Document("y", "Nothing here.")]
    path = docbin.write(docs, tmp_path, NER)
    back = docbin.read(path)
    assert [(d.id, d.text, d.spans, d.dataset) for d in back] == [(d.id, d.text, d.spans, d.dataset) for d in docs]


def test_docbin_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / "bad.spacy").write_bytes(b"not a docbin")
    with pytest.raises(DataError, match="not a spaCy DocBin"):
        docbin.read(tmp_path / "bad.spacy")


def test_folders_layout(tmp_path: Path) -> None:
    for rel, text in (("Sports/a.txt", "goal"), ("Tech/b.txt", "chip"), ("test/Sports/c.txt", "match")):
        (tmp_path / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / rel).write_text(text)
    docs = folders.read(tmp_path / "data", tmp_path)
    assert sorted((d.id, d.labels, d.dataset) for d in docs) == [
        ("Sports/a.txt", ["Sports"], None), ("Tech/b.txt", ["Tech"], None), ("test/Sports/c.txt", ["Sports"], "test")]
    assert len(folders.referenced_files(tmp_path / "data")) == 3


def _strip(docs: list[Document]) -> list[tuple]:
    return [(d.id, d.text, d.spans, d.labels, d.dataset) for d in docs]


def test_azure_jsonl_round_trips_are_lossless(tmp_path: Path) -> None:
    original = azure.read(write_azure(tmp_path / "in", SAMPLE), tmp_path / "in")
    again = azure.read(azure.write(original, tmp_path / "out", NER), tmp_path / "out")
    assert _strip(again) == _strip(original)
    via_jsonl = jsonl.read(jsonl.write(original, tmp_path / "j", NER))
    assert _strip(via_jsonl) == _strip(original)
    back = azure.read(azure.write(via_jsonl, tmp_path / "out2", NER), tmp_path / "out2")
    assert _strip(back) == _strip(original)


@pytest.mark.parametrize("multilabel", [False, True])
def test_classification_round_trip(tmp_path: Path, multilabel: bool) -> None:
    info = ProjectInfo(name="c", kind="TextClassificationProject", labels=("A", "B"), multilabel=multilabel)
    docs = [Document("1.txt", "one 😀", labels=["A", "B"] if multilabel else ["A"], dataset="train"),
            Document("2.txt", "two", labels=["B"])]
    assert _strip(azure.read(azure.write(docs, tmp_path / "a", info))) == _strip(docs)
    assert _strip(jsonl.read(jsonl.write(docs, tmp_path / "j", info))) == _strip(docs)


TEXT = st.lists(st.sampled_from(list("ab cé") + ["😀", "北", "\u0301", "𝔸", "\n", "👩‍👧"]), min_size=1, max_size=30).map("".join)


@st.composite
def ner_documents(draw: st.DrawFn) -> list[Document]:
    docs = []
    for n in range(draw(st.integers(1, 4))):
        text = draw(TEXT)
        cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=6, unique=True)))
        spans = [Span(a, b, draw(st.sampled_from(["Person", "City"]))) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
        docs.append(Document(f"d{n}.txt", text, spans, dataset=draw(st.sampled_from([None, "train", "test"]))))
    return docs


@given(ner_documents())
@settings(max_examples=40, deadline=None)
def test_export_import_is_lossless_for_any_text(docs: list[Document]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        assert _strip(azure.read(azure.write(docs, out / "a", NER))) == _strip(docs)
        assert _strip(jsonl.read(jsonl.write(docs, out / "j", NER))) == _strip(docs)
