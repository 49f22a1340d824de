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
from tests.corpus.corpus_fixtures import SAMPLE, write_azure, write_jsonl

NER = ProjectInfo(name="p", kind="NERProject", annotates_spans=True, labels=("Person", "City"))


def _expected(docs=SAMPLE):
    return [(i, t, [Span(s, e, l) for s, e, l in spans], d) for i, t, spans, d in docs]  # noqa: E741


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


def test_azure_text_element_offsets_count_an_ascii_cr_lf_as_one(tmp_path: Path) -> None:
    """An ASCII text took the code-point shortcut, so every offset after a CR LF was one character early."""
    (tmp_path / "w.txt").write_bytes(b"Hi\r\nBob Smith")
    raw = {"stringIndexType": "TextElement_v8", "assets": {"projectKind": "CustomEntityRecognition", "documents": [
        {"location": "w.txt", "entities": [{"labels": [{"category": "Person", "offset": 3, "length": 9}]}]}]}}
    (tmp_path / "labels.json").write_text(json.dumps(raw))
    [doc] = azure.read(tmp_path / "labels.json", tmp_path)
    assert [s.text(doc.text) for s in doc.spans] == ["Bob Smith"]


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



@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "lone cr"])
def test_conll_with_windows_or_classic_mac_line_ends_reads_the_same(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "d.conll"
    path.write_bytes(CONLL.replace("\n", newline).encode("utf-8"))  # a lone CR used to hide all after -DOCSTART-
    assert [(d.id, d.text, d.spans, d.line) for d in conll.read(path)] == [
        (d.id, d.text, d.spans, d.line) for d in conll.read(_written(tmp_path / "lf" / "d.conll", CONLL))]


def _written(path: Path, text: str) -> Path:
    path.parent.mkdir()
    path.write_bytes(text.encode("utf-8"))
    return path

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
    info = ProjectInfo(name="c", kind="TextClassificationProject", annotates_spans=False, labels=("A", "B"), multilabel=multilabel)
    docs = [Document("1.txt", "one 😀", labels=["A", "B"] if multilabel else ["A"], dataset="train"),
            Document("2.txt", "two", labels=["B"])]
    assert _strip(azure.read(azure.write(docs, tmp_path / "a", info))) == _strip(docs)
    assert _strip(jsonl.read(jsonl.write(docs, tmp_path / "j", info))) == _strip(docs)


# Texts with what tends to break exporters: astral characters (2 UTF-16 units), combining marks, ZWJ
# sequences, CRLF, U+2028 (a line end to str.splitlines) and a leading U+FEFF (a BOM to the importer).
TEXT = st.lists(
    st.sampled_from(list("ab cé") + ["😀", "北", "\u0301", "𝔸", "\n", "\r\n", "👩‍👧", "\u2028", "\ufeff"]),
    min_size=1,
    max_size=30,
).map("".join)
# Any id an importer can produce: st.text() without control characters (and lone surrogates, which
# cannot be written as UTF-8), up to well past file-name limits, plus shapes known to collide when
# made into file names: separators, `#N` suffixes, case, `.txt`, a file where another id needs a folder.
TRICKY_IDS = ["d1", "d1.txt", "D1.TXT", "b.txt#1", "b.txt_1.txt", "a/b", "a_b", "a b", "a\\b", "a", "a.txt/b",
              "../x", "/abs", ".", "CON", "nul.txt", "é", "e\u0301", "x" * 300, "é" * 200, "dir/" * 80 + "f"]
# Any non-empty id (an empty id is refused on import: nerspec.values.document_id).
ANY_ID = st.one_of(st.sampled_from(TRICKY_IDS),
                   st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=300))


@st.composite
def ner_documents(draw: st.DrawFn, ids: st.SearchStrategy[str] = ANY_ID) -> list[Document]:
    docs = []
    for _ in range(draw(st.integers(1, 6))):
        text = draw(TEXT)
        cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=6, unique=True)))
        spans = [Span(a, b, draw(st.sampled_from(["Person", "City"]))) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
        docs.append(Document(draw(ids), text, spans, dataset=draw(st.sampled_from([None, "train", "test"]))))
    return docs


def _regions_source(docs: list[Document], directory: Path) -> Path:
    """One ``multi.txt`` holding every text as one region (UTF-16 offsets), as the reference allows."""
    directory.mkdir(parents=True, exist_ok=True)
    whole, regions = "HEADER\n", []
    for doc in docs:
        units = lambda s: len(s.encode("utf-16-le")) // 2  # noqa: E731
        base = units(whole)
        labels = [{"category": s.label, "offset": base + units(doc.text[: s.start]), "length": units(s.text(doc.text))}
                  for s in doc.spans]
        regions.append({"regionOffset": base, "regionLength": units(doc.text), "labels": labels})
        whole += doc.text + "\n--\n"
    (directory / "multi.txt").write_bytes(whole.encode("utf-8"))
    raw = {"stringIndexType": "Utf16CodeUnit", "assets": {"projectKind": "CustomEntityRecognition", "documents": [
        {"location": "multi.txt", "dataset": "Train", "entities": regions}]}}
    (directory / "labels.json").write_text(json.dumps(raw), encoding="utf-8")
    return directory / "labels.json"


def _conll_source(docs: list[list[list[tuple[str, str]]]], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "my data é #1.conll"  # ids `my data é #1.conll#N`: spaces, unicode, two `#`
    body = "".join("-DOCSTART- O\n\n" + "\n\n".join("\n".join(f"{t} {g}" for t, g in s) for s in doc) + "\n\n"
                   for doc in docs)
    path.write_text(body, encoding="utf-8")
    return path


TOKEN = st.text(st.sampled_from(list("abé北😀𝔸#/")), min_size=1, max_size=4)
CONLL_DOCS = st.lists(st.lists(st.lists(st.tuples(TOKEN, st.sampled_from(["O", "B-Person", "I-Person", "B-City"])),
                                        min_size=1, max_size=5), min_size=1, max_size=3), min_size=1, max_size=3)


def _round_trips(docs: list[Document], out: Path, info: ProjectInfo = NER) -> None:
    """export -> import through every exporting format keeps ids, texts, spans/labels and datasets, in order."""
    assert _strip(azure.read(azure.write(docs, out / "a", info), out / "a")) == _strip(docs)
    assert _strip(jsonl.read(jsonl.write(docs, out / "j", info))) == _strip(docs)


@given(ner_documents(), ner_documents(), CONLL_DOCS)
@settings(max_examples=60, deadline=None)
def test_export_import_is_lossless_for_any_id_and_text(
    docs: list[Document], regions: list[Document], conll_docs: list[list[list[tuple[str, str]]]]
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        _round_trips(docs, out / "plain")
        # Ids the importers make themselves: Azure regions `multi.txt#N`, CoNLL `file#N`.
        from_regions = azure.read(_regions_source(regions, out / "regions"), out / "regions")
        assert [d.id for d in from_regions] == ([f"multi.txt#{n + 1}" for n in range(len(regions))] if len(regions) > 1
                                                else ["multi.txt"])
        assert [(d.text, d.spans) for d in from_regions] == [(d.text, d.spans) for d in regions]
        from_conll = conll.read(_conll_source(conll_docs, out / "conll"))
        assert [d.id for d in from_conll] == [f"my data é #1.conll#{n + 1}" for n in range(len(conll_docs))]
        _round_trips(from_regions + from_conll + docs, out / "mixed")
        # Azure -> jsonl -> Azure: the chain `nerspec export` users run between tools.
        again = azure.read(azure.write(docs, out / "a1", NER), out / "a1")
        back = azure.read(azure.write(jsonl.read(jsonl.write(again, out / "j1", NER)), out / "a2", NER), out / "a2")
        assert _strip(back) == _strip(docs)


@given(st.lists(ANY_ID, min_size=1, max_size=8), st.booleans())
@settings(max_examples=40, deadline=None)
def test_classification_ids_round_trip(ids: list[str], multilabel: bool) -> None:
    import tempfile

    info = ProjectInfo(name="c", kind="TextClassificationProject", annotates_spans=False, labels=("A", "B"), multilabel=multilabel)
    docs = [Document(i, f"text {n}", labels=["A", "B"] if multilabel else ["B"], dataset="test") for n, i in enumerate(ids)]
    with tempfile.TemporaryDirectory() as tmp:
        _round_trips(docs, Path(tmp), info)


def test_azure_export_names_files_safely_and_records_the_id(tmp_path: Path) -> None:
    docs = [Document(i, f"t{n}") for n, i in enumerate(["a.txt", "sub/b.txt", "b.txt#1", "A.TXT", "a.txt/c", "../up", "x" * 400])]
    labels = azure.write(docs, tmp_path, NER)
    entries = json.loads(labels.read_text(encoding="utf-8"))["assets"]["documents"]
    locations = [e["location"] for e in entries]
    # Ids that are already safe, unique file names stay the location and carry no extra field.
    assert entries[0] == {"location": "a.txt", "language": "en", "entities": [
        {"regionOffset": 0, "regionLength": 2, "labels": []}]}
    assert entries[1]["location"] == "sub/b.txt" and "id" not in entries[1]
    assert [e.get("id") for e in entries[2:]] == ["b.txt#1", "A.TXT", "a.txt/c", "../up", "x" * 400]
    assert len({loc.casefold() for loc in locations}) == len(locations)  # distinct on case-insensitive disks too
    assert all(".." not in loc.split("/") and len(loc.encode()) <= 200 for loc in locations)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.txt")) == sorted(locations)
    assert [d.id for d in azure.read(labels, tmp_path)] == [d.id for d in docs]


def test_azure_import_prefers_id_and_falls_back_to_location(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("Alice | Bob", encoding="utf-8")
    regions = [{"regionOffset": 0, "regionLength": 5, "labels": []}, {"regionOffset": 8, "regionLength": 3, "labels": []}]
    raw = {"assets": {"projectKind": "CustomEntityRecognition", "documents": [
        {"location": "r.txt", "id": "doc 1/α", "entities": regions[:1]},
        {"location": "r.txt", "ID": "doc 2", "entities": regions[:1]},  # any spelling
        {"location": "r.txt", "id": "two", "entities": regions},
        {"location": "r.txt", "entities": regions},
        {"location": "r.txt", "unknownField": {"kept": "out of the way"}}]}}
    (tmp_path / "labels.json").write_text(json.dumps(raw), encoding="utf-8")
    docs = azure.read(tmp_path / "labels.json", tmp_path)
    assert [(d.id, d.text) for d in docs] == [
        ("doc 1/α", "Alice"), ("doc 2", "Alice"), ("two#1", "Alice"), ("two#2", "Bob"),
        ("r.txt#1", "Alice"), ("r.txt#2", "Bob"), ("r.txt", "Alice | Bob")]
    raw["assets"]["documents"] = [{"location": "r.txt", "id": 7}]
    (tmp_path / "labels.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(DataError, match=r"`id` must be a string"):
        azure.read(tmp_path / "labels.json", tmp_path)
    raw["assets"]["documents"] = [{"location": "r.txt", "id": ""}]  # as in every format: an id is never empty
    (tmp_path / "labels.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(DataError, match=r"`id` must not be empty"):
        azure.read(tmp_path / "labels.json", tmp_path)


def test_unique_file_names() -> None:
    from nerspec.corpus.formats.common import unique_file_names

    names = unique_file_names(["a", "a.txt", "A.txt", "a.txt/b", "a/b", "a/b/c", "é", "e\u0301", "con", "a b", "a_b"])
    assert names[:2] == ["a.txt", "a_2.txt"] and names[4] == "a/b.txt"
    assert names[3] != "a.txt/b.txt"  # `a.txt` is a file already: no folder of that name
    folded = [n.casefold() for n in names]
    assert len(set(folded)) == len(names)
    dirs = {n[:i] for n in folded for i, c in enumerate(n) if c == "/"}
    assert not set(folded) & dirs  # no name is both a file and a folder
    assert "con.txt" not in folded and "_con.txt" in folded


def test_folders_export_keeps_documents_whose_names_collide(tmp_path: Path) -> None:
    docs = [Document("x/a.txt", "one", labels=["Sports"]), Document("y/a.txt", "two", labels=["Sports"]),
            Document("Sports/b.txt", "three", labels=["Sports"], dataset="test")]
    folders.write(docs, tmp_path / "f", NER)
    back = folders.read(tmp_path / "f", tmp_path)
    assert sorted(d.text for d in back) == ["one", "three", "two"]
    assert "test/Sports/b.txt" in {d.id for d in back}
    with pytest.raises(DataError, match="cannot be a directory"):
        folders.write([Document("z", "t", labels=[".."])], tmp_path / "g", NER)


def test_docbin_keeps_any_id(tmp_path: Path) -> None:
    conll_path = tmp_path / "d é.conll"
    conll_path.write_text(CONLL)
    docs = conll.read(conll_path) + [Document(i, "Alice lives in Paris.", [Span(0, 5, "Person")]) for i in TRICKY_IDS]
    back = docbin.read(docbin.write(docs, tmp_path, NER))
    assert _strip(back) == _strip(docs)


def _entities(docs: list[Document]) -> list[list[tuple[str, str]]]:
    return [[(s.text(d.text), s.label) for s in sorted(d.spans, key=lambda s: (s.start, s.end))] for d in docs]


def _conll_round_trip(docs: list[Document], directory: Path) -> list[Document]:
    return conll.read(conll.write(docs, directory, NER))


# WNUT-16-like tweets: handles, hashtags, URLs, emoji and entities glued to punctuation and to each other.
TWEETS = [
    ("@paulwalk It's the view from where I'm living for two weeks. Empire State Building = ESB.",
     [("Empire State Building", "facility"), ("ESB", "facility")]),
    ("Watching #Arsenal vs Spurs tonight!!! #COYG", [("Arsenal", "sportsteam"), ("Spurs", "sportsteam")]),
    ("RT @NYCBeat: (Brooklyn)-based band 'The Strokes' played http://t.co/x1 😍", [("Brooklyn", "geo-loc"),
                                                                                 ("The Strokes", "musicartist")]),
    ("iPhone6's battery... meh. Apple/Samsung?", [("iPhone6", "product"), ("Apple", "company"),
                                                   ("Samsung", "company")]),
]


def _tweet_docs() -> list[Document]:
    docs = []
    for n, (text, entities) in enumerate(TWEETS):
        spans, position = [], 0
        for value, label in entities:
            start = text.index(value, position)
            spans.append(Span(start, start + len(value), label))
            position = start + len(value)
        docs.append(Document(f"t{n}", text, spans))
    return docs


def test_conll_round_trip_keeps_spans_glued_to_punctuation(tmp_path: Path) -> None:
    text = "Loan to Prairie Wind Grain Cooperative, (Acme Bank) and O'Neil-Smith; $2,000,000.00 due 1/2/2025."
    values = [("Prairie Wind Grain Cooperative", "Borrower"), ("Acme Bank", "Lender"), ("O'Neil", "Person"),
              ("Smith", "Person"), ("$2,000,000.00", "Amount"), ("1/2/2025", "Date")]
    spans = [Span(text.index(v), text.index(v) + len(v), label) for v, label in values]
    docs = [Document("a", text, spans), *_tweet_docs()]
    back = _conll_round_trip(docs, tmp_path)
    assert _entities(back) == _entities(docs)
    rows = conll.tags(docs[0])[0]
    assert ("Cooperative", "I-Borrower") in rows and (",", "O") in rows  # cut at the entity's edge
    assert rows[rows.index(("O'Neil", "B-Person")) + 1] == ("-", "O")


def test_conll_round_trip_of_texts_with_crlf_tabs_and_unicode_spaces(tmp_path: Path) -> None:
    # Words were split at " " only: a CRLF text wrote `Bob\r` (the reader saw a line without a tag: the export
    # could not be read back), a no-break space or tab inside a word was cut by the reader, dropping the rest.
    text = "Hello Bob\r\nBye Ann\tx 10\u00a0000 \x1c a\u2028Rome"
    values = [("Bob", "Person"), ("Ann", "Person"), ("10\u00a0000", "City"), ("Rome", "City")]
    spans = [Span(text.index(v), text.index(v) + len(v), label) for v, label in values]
    back = _conll_round_trip([Document("a", text, spans), Document("b", "a\tBob", [Span(1, 5, "Person")])], tmp_path)
    assert back[0].text == "Hello Bob\nBye Ann x 10 000 a Rome"  # whitespace is what CoNLL loses, not words
    assert _entities(back) == [[("Bob", "Person"), ("Ann", "Person"), ("10 000", "City"), ("Rome", "City")],
                               [("Bob", "Person")]]  # a span starting on whitespace begins at its first word


def test_conll_round_trip_of_every_example_ner_project(tmp_path: Path) -> None:
    from nerspec.corpus.load import load_corpus
    from nerspec.manifest.load import load_projects

    projects = [p for p in load_projects([Path(__file__).parents[2] / "projects"]) if p.kind == "NERProject"]
    assert projects
    for project in projects:
        docs = load_corpus(project).documents
        back = _conll_round_trip(docs, tmp_path / project.name)
        assert _entities(back) == _entities(docs), project.name
        assert sum(len(d.spans) for d in back) == sum(len(d.spans) for d in docs) > 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Acme", "Bank", "N.Y.", "Jane", "Doe", "x"]),
                          st.sampled_from(["", ",", ".", ")", "(", "'s", "-", "!!"]),
                          st.booleans(), st.sampled_from([" ", " ", "\n"])), min_size=1, max_size=12))
def test_conll_round_trip_of_generated_glued_entities(parts: list[tuple[str, str, bool, str]]) -> None:
    import tempfile

    text, spans = "", []
    for word, glue, tagged, gap in parts:
        if tagged:
            spans.append(Span(len(text), len(text) + len(word), "E"))
        text += word + glue + gap
    doc = Document("g", text, spans)
    with tempfile.TemporaryDirectory() as tmp:
        back = _conll_round_trip([doc], Path(tmp))
    assert _entities(back) == _entities([doc])


def test_the_format_table_covers_the_manifest_and_says_what_each_format_can_do() -> None:
    from typing import get_args

    from nerspec.corpus.formats import FORMATS, names
    from nerspec.manifest.schema import DataFormat

    assert set(FORMATS) == set(get_args(DataFormat))
    assert names("pool") == ("folders", "jsonl", "labelstudio") and names("fixable") == ("azure", "jsonl")
    assert names("directory") == ("azure", "folders") and names("drafts") == ("jsonl", "labelstudio")
    for name, found in FORMATS.items():  # every module reads, lists its files and writes
        loaded = found.load()
        assert callable(loaded.read) and callable(loaded.referenced_files) and callable(loaded.write), name
