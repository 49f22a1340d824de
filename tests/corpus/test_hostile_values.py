"""Numbers, offsets, ids, labels and duplicate keys in every JSON data format: refused with their line, never
truncated, coerced or exit 70 (``nerspec.strict_json``, ``nerspec.values``)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from nerspec.corpus.checks import MAX_FINDINGS_PER_SOURCE, capped
from nerspec.corpus.findings import Finding
from nerspec.corpus.formats import azure, doccano, jsonl, labelstudio, prodigy
from nerspec.corpus.formats.common import MAX_SPANS_PER_DOCUMENT
from nerspec.errors import DataError

HUGE = "1" + "0" * 5000
# (raw JSON for a start offset, what the error says)
BAD_NUMBERS = [("Infinity", "`Infinity` is not a JSON number"), ("1e400", "out of range"),
               (HUGE, "an integer of 5001 digits")]
BAD_OFFSETS = [("0.5", "not 0.5"), ('"0"', "not '0'"), ("false", "not false"), ("null", "not null")]


def _jsonl_like(tmp_path: Path, start: str, shape: str) -> Path:
    text = "Alice went home."
    record = {
        "jsonl": '{"id": "x", "text": "%s", "spans": [[%s, 5, "PER"]]}',
        "jsonl-dict": '{"id": "x", "text": "%s", "spans": [{"start": %s, "end": 5, "label": "PER"}]}',
        "doccano": '{"id": 1, "text": "%s", "label": [[%s, 5, "PER"]]}',
        "doccano-entities": '{"id": 1, "text": "%s", "entities": [{"start_offset": %s, "end_offset": 5, "label": "PER"}]}',
        "prodigy": '{"text": "%s", "spans": [{"start": %s, "end": 5, "label": "PER"}], "answer": "accept"}',
    }[shape] % (text, start)
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "ok", "text": text, "spans": []}) + "\n" + record + "\n", encoding="utf-8")
    return path


READERS = {"jsonl": jsonl.read, "jsonl-dict": jsonl.read, "doccano": doccano.read, "doccano-entities": doccano.read,
           "prodigy": prodigy.read}


def _refused(read: Any, path: Path) -> str:
    with pytest.raises(DataError) as caught:
        read(path)
    problems = caught.value.problems
    assert len(problems) == 1
    return str(problems[0])


@pytest.mark.parametrize("shape", list(READERS))
@pytest.mark.parametrize("start, message", BAD_NUMBERS + BAD_OFFSETS)
def test_jsonl_formats_refuse_unusable_offsets_with_their_line(tmp_path: Path, shape: str, start: str,
                                                               message: str) -> None:
    problem = _refused(READERS[shape], _jsonl_like(tmp_path, start, shape))
    assert ":2:" in problem and message in problem


def _labelstudio(tmp_path: Path, value: str) -> Path:
    region = {"start": "START", "end": 5, "text": "Alice", "labels": ["PER"]}
    body = json.dumps([{"id": 1, "data": {"text": "Alice went home."},
                        "annotations": [{"result": [{"type": "labels", "value": region}]}]}])
    path = tmp_path / "ls.json"
    path.write_text(body.replace('"START"', value), encoding="utf-8")
    return path


@pytest.mark.parametrize("start, message", BAD_NUMBERS + [("0.7", "not 0.7"), ('"0"', "not '0'"), ("true", "not true")])
def test_label_studio_refuses_unusable_offsets(tmp_path: Path, start: str, message: str) -> None:
    assert message in _refused(labelstudio.read, _labelstudio(tmp_path, start))


def test_label_studio_reads_integer_offsets(tmp_path: Path) -> None:
    docs = labelstudio.read(_labelstudio(tmp_path, "0"))
    assert [(s.start, s.end, s.label) for s in docs[0].spans] == [(0, 5, "PER")]


def test_azure_refuses_fractional_offsets(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Alice went home.", encoding="utf-8")
    labels = {"assets": {"projectKind": "CustomEntityRecognition", "documents": [{"location": "a.txt", "language": "en",
              "entities": [{"regionOffset": 0, "regionLength": 16,
                            "labels": [{"category": "PER", "offset": 0.5, "length": 5}]}]}]}}
    (tmp_path / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    assert "integer `offset` and `length`" in _refused(azure.read, tmp_path / "labels.json")


@pytest.mark.parametrize("value, message", [('["a"]', "`id` must be a string or an integer, not a list"),
                                            ('""', "`id` must not be empty"), ("1.5", "not 1.5"),
                                            ("true", "not true"), ("{}", "an object")])
def test_ids_are_non_empty_strings_or_integers(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": ' + value + ', "text": "Alice went home.", "spans": []}\n', encoding="utf-8")
    for read in (jsonl.read, doccano.read, prodigy.read):
        problem = _refused(read, path)
        assert ":1:" in problem and message in problem


def test_integer_ids_are_their_digits(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": 12345678901234567890, "text": "Alice went home.", "label": []}\n', encoding="utf-8")
    assert doccano.read(path)[0].id == "12345678901234567890"


def test_duplicate_keys_are_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "a", "id": "b", "text": "Alice went home.", "spans": []}\n', encoding="utf-8")
    doc = jsonl.read(path)[0]
    assert doc.id == "b" and doc.warnings == ["duplicate JSON key `id`: the last value is used"]
    ls = _labelstudio(tmp_path, "0")
    ls.write_text(ls.read_text().replace('"text": "Alice went home."', '"text": "x", "text": "Alice went home."'))
    assert labelstudio.read(ls)[0].warnings == ["duplicate JSON key `text`: the last value is used"]


def test_span_labels_are_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Café")
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "Alice went home.", "spans": [[0, 5, nfd]]}) + "\n", encoding="utf-8")
    assert jsonl.read(path)[0].spans[0].label == unicodedata.normalize("NFC", "Café")


def test_spans_per_document_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    spans = [[0, 5, "PER"]] * (MAX_SPANS_PER_DOCUMENT + 1)
    path.write_text(json.dumps({"id": "a", "text": "Alice went home.", "spans": spans}) + "\n", encoding="utf-8")
    assert f"{MAX_SPANS_PER_DOCUMENT + 1} spans in one document; the limit is" in _refused(jsonl.read, path)


def test_an_oversized_record_is_refused_before_it_is_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl, "MAX_RECORD_CHARS", 1000)
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x" * 2000}) + "\n", encoding="utf-8")
    assert "a record of 2023 characters; the limit is 1000" in _refused(jsonl.read, path)


def test_findings_are_capped_per_file_with_a_count() -> None:
    flood = (Finding("error", "e", "bad", "d", "a.jsonl", line=n) for n in range(3 * MAX_FINDINGS_PER_SOURCE))
    others = [Finding("error", "e", "bad", "d", "b.jsonl", line=1), Finding("warning", "w", "meh", "d", "a.jsonl")]
    kept = capped([*flood, *others])
    assert len([f for f in kept if f.location == "a.jsonl" and f.severity == "error"]) == MAX_FINDINGS_PER_SOURCE + 1
    summary = [f for f in kept if f.code == "more_findings"]
    assert [f.message for f in summary] == [f"{2 * MAX_FINDINGS_PER_SOURCE} more errors in this file "
                                            f"(the first {MAX_FINDINGS_PER_SOURCE} are shown)"]
    assert len(kept) == MAX_FINDINGS_PER_SOURCE + 3


def test_duplicate_keys_in_an_azure_labels_file_are_warned_about(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Alice went home.", encoding="utf-8")
    body = ('{"assets": {"projectKind": "CustomEntityRecognition", "projectKind": "CustomEntityRecognition", '
            '"documents": [{"location": "a.txt", "language": "en", "entities": []}]}}')
    (tmp_path / "labels.json").write_text(body, encoding="utf-8")
    assert azure.read(tmp_path / "labels.json")[0].warnings == [
        "duplicate JSON key `projectKind`: the last value is used"]


def test_a_docbin_id_that_is_not_a_string_or_integer_is_refused(tmp_path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    from nerspec.corpus.formats import docbin

    nlp = spacy.blank("en")
    doc = nlp("Alice went home.")
    doc.user_data["id"] = ["a"]
    DocBin(docs=[doc], store_user_data=True).to_disk(tmp_path / "d.spacy")
    assert "`id` must be a string or an integer, not a " in _refused(docbin.read, tmp_path / "d.spacy")  # msgpack: tuple


@pytest.mark.parametrize(
    ("shape", "spans", "message"),
    [
        ("jsonl", "[[0]]", "a span list needs three items: [start, end, label]"),
        ("jsonl", "[null]", "a span must be a list [start, end, label] or an object"),
        ("jsonl", '[{"start": 0, "end": 5}]', "missing key `label`"),
        ("doccano-entities", '[{"start_offset": 0, "label": "PER"}]', "missing key `end_offset`"),
        ("prodigy", "[[0, 5]]", "a span must be a list [start, end, label] or an object"),
    ],
)
def test_a_span_of_the_wrong_shape_is_named_in_the_files_words(tmp_path: Path, shape: str, spans: str,
                                                                message: str) -> None:
    key = {"jsonl": "spans", "doccano-entities": "entities", "prodigy": "spans"}[shape]
    record = json.dumps({"id": "x", "text": "Alice went home.", key: "SPANS"}).replace('"SPANS"', spans)
    path = tmp_path / "d.jsonl"
    path.write_text(record + "\n", encoding="utf-8")
    problem = _refused(READERS[shape], path)
    assert ":1:" in problem and message in problem and "subscriptable" not in problem, problem
