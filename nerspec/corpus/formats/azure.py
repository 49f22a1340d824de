"""The reference product's labels JSON, with one ``.txt`` file per document beside it.

Covers custom NER (``CustomEntityRecognition``) and both classification kinds. Field names are
matched case- and separator-insensitively, because the portal export spells them in camelCase
(``projectFileVersion``) and the 2022-05-01 REST spec with dashes (``project-file-version``).
Offsets are UTF-16 code units unless ``stringIndexType`` says otherwise.

Document ids: a document's id is its ``location`` (``location#N`` for the N-th of several regions),
unless the entry has an ``id`` string, which nerspec's exporter writes whenever the id is not the file
name it chose: file names must be portable and unique, ids are free-form (jsonl ids, conll ``file#N``,
regions). The random split hashes ids, so an export -> import that changed them would move documents
between train and test. The reference ignores fields it does not know, so such a file still imports there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from nerspec.corpus.formats.common import (
    LOAD_PROGRESS_MIN,
    MAX_PROBLEMS,
    ProjectInfo,
    at,
    decode,
    fail,
    lexical_escape,
    link_escape,
    parse_json,
    read_text,
    shown,
    source_encoding_of,
    unique_file_names,
)
from nerspec.corpus.formats.jsonl import SIDES
from nerspec.corpus.model import Dataset, Document, Span
from nerspec.corpus.offsets import GraphemeIndex, OffsetError, Utf16Index, one_element_per_code_point
from nerspec.errors import DataError, Problem
from nerspec.languages import base, normalize
from nerspec.progress import track
from nerspec.strict_json import duplicate_note
from nerspec.strict_json import items_of as _each
from nerspec.values import integer

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject, JsonValue

NER_KINDS = {"customentityrecognition", "customnamedentityrecognition"}
SINGLE_KINDS = {"customsinglelabelclassification", "customsingleclassification"}
MULTI_KINDS = {"custommultilabelclassification", "custommulticlassification"}
FILE_VERSION = "2022-05-01"


def _norm(key: str) -> str:
    return key.replace("-", "").replace("_", "").lower()


def _get(obj: JsonValue, name: str, default: JsonValue = None) -> JsonValue:
    if not isinstance(obj, dict):
        return default
    if name in obj:
        return obj[name]
    wanted = _norm(name)
    for key, value in obj.items():
        if _norm(key) == wanted:
            return value
    return default


def referenced_files(path: Path) -> list[Path]:
    """The labels file and every document file it names (missing ones are left to the importer)."""
    files = [path]
    from nerspec.safeio import read_bytes as read_regular

    try:
        raw = json.loads(read_regular(path).decode("utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return files  # the importer (or the fingerprint of `files`) names the problem
    documents = _get(_get(raw, "assets", {}), "documents", [])
    for doc in documents if isinstance(documents, list) else []:  # `plan` hashes before the importer checks
        location = _get(doc, "location")
        if isinstance(location, str) and location and lexical_escape(location) is None:
            files.append(path.parent / location)
    return files


def detect_kind(raw: JsonValue) -> str:
    """``ner``, ``single`` or ``multi``."""
    assets = _get(raw, "assets", {})
    kind = _norm(str(_get(assets, "projectKind") or _get(_get(raw, "metadata", {}), "projectKind") or ""))
    if kind in SINGLE_KINDS:
        return "single"
    if kind in MULTI_KINDS:
        return "multi"
    if kind in NER_KINDS:
        return "ner"
    for doc in _each(_get(assets, "documents", []) or []):
        if _get(doc, "class") is not None:
            return "single"
        if _get(doc, "classes") is not None:
            return "multi"
    return "ner"


class _Converter:
    """Offsets in the file's string index type -> code points of one text."""

    def __init__(self, text: str, index_type: str) -> None:
        self.length = len(text)
        self._index: Utf16Index | GraphemeIndex | None = None
        self._size = self.length
        if index_type == "utf16codeunit" and not text.isascii():
            utf16 = Utf16Index(text)
            if utf16.length16 != self.length:
                self._index, self._size = utf16, utf16.length16
        elif index_type == "textelementv8" and not one_element_per_code_point(text):
            self._index = GraphemeIndex(text)
            self._size = len(self._index)

    @property
    def identity(self) -> bool:
        """True when the file's offsets are code points already (all-BMP text: the common case)."""
        return self._index is None

    def __call__(self, offset: int) -> int:
        if self._index is None or offset < 0:
            return offset
        if offset > self._size:  # keep it out of range, so the checks report it with the document
            return self.length + (offset - self._size)
        return self._index.to_codepoint(offset)


class _Entry(NamedTuple):
    """What every document read from one entry shares."""

    dataset: Dataset | None
    location: str
    language: str | None


def _spans(labels: JsonValue, convert: _Converter, base: int) -> list[Span]:
    spans = []
    for label in _each(labels):
        try:  # the exact spelling first: _get's normalised lookup is the slow path
            offset, size, category = at(label, "offset"), at(label, "length"), at(label, "category")
        except KeyError:
            offset, size, category = _get(label, "offset"), _get(label, "length"), _get(label, "category")
        if type(offset) is not int or type(size) is not int:  # 0.5, "5" and true are refused, never truncated
            offset, size = integer(offset, "offset"), integer(size, "length")
        if convert.identity:
            spans.append(Span(offset - base, offset + size - base, str(category)))
        else:
            spans.append(Span(convert(offset) - base, convert(offset + size) - base, str(category)))
    return spans


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    """Import a labels JSON; documents are read from ``location`` relative to the labels file."""
    parsed = parse_json(path)
    raw = parsed.value
    assets = _get(raw, "assets")
    if not isinstance(raw, dict) or not isinstance(assets, dict):
        raise fail(path, "not a labels file: expected an object with `assets`")
    documents = _get(assets, "documents")
    if not isinstance(documents, list):
        raise fail(path, "not a labels file: `assets.documents` must be a list")
    kind = detect_kind(raw)
    index_type = _norm(str(_get(raw, "stringIndexType") or "Utf16CodeUnit"))
    if index_type not in ("utf16codeunit", "unicodecodepoint", "textelementv8"):
        raise fail(path, f"unsupported stringIndexType `{_get(raw, 'stringIndexType')}`")
    base = path.parent
    # The hot loop over 100k documents works on strings: pathlib objects cost more than the reads.
    reading = _Reading(path, str(base), shown(base), project_dir or base, kind, index_type, {})
    out: list[Document] = []
    problems: list[Problem] = []
    # Reading 100,000 small files takes a while: show it (nothing for small projects).
    listed = track(documents, f"read {shown(path)}", len(documents), min_total=LOAD_PROGRESS_MIN)
    for n, doc in enumerate(listed):
        try:
            out.extend(_entry_documents(reading, n, doc))
        except DataError as exc:  # every entry's problem at once, as the JSON-lines formats report them
            problems.extend(exc.problems)
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise DataError(problems)
    if parsed.duplicates and out:  # JSON keeps no positions: the file's first document carries the warning
        out[0].warnings.append(duplicate_note(parsed.duplicates))
    return out


class _Reading(NamedTuple):  # what every entry of one labels file is read with
    path: Path  # the labels file
    base: str  # its directory, where locations start
    base_shown: str
    root: Path  # the project directory: no document file may resolve outside it
    kind: str  # ``ner``, ``single`` or ``multi``
    index_type: str
    inside_dirs: dict[str, bool]  # directories known to stay inside ``root``


def _entry_documents(reading: _Reading, n: int, doc: JsonValue) -> list[Document]:
    """The documents of entry ``n`` of ``assets.documents`` (several for an NER entry of several regions)."""
    path = reading.path
    location = doc.get("location") if type(doc) is dict else None
    if location is None:
        location = _get(doc, "location")
    where = f"assets.documents[{n}]"
    if not isinstance(location, str) or not location:
        raise fail(path, "document without `location`", where=where)
    file_name = os.path.join(reading.base, location)
    problem = lexical_escape(location) or link_escape(file_name, reading.root, reading.inside_dirs)
    if problem:
        raise fail(path, problem, where=f"{where}.location")
    try:
        text = _read_document(file_name)
    except DataError as exc:  # a missing or unreadable file: named where the labels file names it
        located = [fail(path, f"`{location}`: {p.message}", where=f"{where}.location").problems[0] if not p.line else p
                   for p in exc.problems]
        raise DataError(located) from None
    dataset = _dataset(_get(doc, "dataset"))
    doc_id = _document_id(path, doc, location, where)
    shown_location = f"{reading.base_shown}/{location}" if reading.base_shown != "." else location
    common = _Entry(dataset, shown_location, _language(doc))
    if reading.kind != "ner":
        return [Document(id=doc_id, text=text, labels=_classes(doc, reading.kind), dataset=common.dataset,
                         location=common.location, language=common.language)]
    regions = _get(doc, "entities") or []
    if not isinstance(regions, list):
        raise fail(path, "`entities` must be a list of regions", where=f"{where}.entities")
    if not regions:
        return [Document(id=doc_id, text=text, dataset=common.dataset, location=common.location, language=common.language)]
    return _region_documents(path, location, where, doc_id, text, regions, reading.index_type, common)


def _region_documents(path: Path, location: str, where: str, doc_id: str, text: str, regions: JsonValue,
                      index_type: str, common: _Entry) -> list[Document]:
    """An NER document's labeled regions, one Document each (the whole text when one region covers it)."""
    out: list[Document] = []
    convert = _Converter(text, index_type)
    regions = list(_each(regions))
    for r, region in enumerate(regions):
        try:
            region_offset = integer(_get(region, "regionOffset", 0) or 0, "regionOffset")
            length = _get(region, "regionLength")
            start = convert(region_offset)
            end = convert(region_offset + integer(length, "regionLength")) if length is not None else len(text)
            spans = _spans(_get(region, "labels") or [], convert, start)
        except OffsetError as exc:
            raise fail(path, f"{location}: {exc}", where=f"{where}.entities[{r}]") from None
        except (TypeError, ValueError, KeyError):
            raise fail(
                path, "each label needs integer `offset` and `length` and a `category`", where=f"{where}.entities[{r}]"
            ) from None
        whole = start == 0 and end == len(text)
        out.append(
            Document(
                id=doc_id if len(regions) == 1 else f"{doc_id}#{r + 1}",
                text=text if whole else text[max(start, 0) : end],
                spans=spans,
                offset=max(start, 0),
                dataset=common.dataset,
                location=common.location,
                language=common.language,
            )
        )
    return out


def _document_id(path: Path, doc: JsonValue, location: str, where: str) -> str:
    """The entry's ``id`` when it has one (a non-empty string, as in every format), else its location."""
    value = doc.get("id") if type(doc) is dict else None
    if value is None:
        value = _get(doc, "id")
    if value is None:
        return location
    if not isinstance(value, str):
        # Guessing a spelling (str(1.0)? "True"?) could silently move the document to the other split side.
        raise fail(path, "`id` must be a string (the document id; leave it out to use `location`)", where=f"{where}.id")
    if not value:
        raise fail(path, "`id` must not be empty (leave it out to use `location`)", where=f"{where}.id")
    return value


def _read_document(file_name: str) -> str:
    from nerspec.safeio import read_bytes as read_regular

    try:
        data = read_regular(file_name)  # a FIFO or device is refused, never read
    except OSError:
        return read_text(Path(file_name))  # the slow path names the problem
    if source_encoding_of() is not None:
        return decode(Path(file_name), data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return decode(Path(file_name), data)
    return text[1:] if text.startswith("\ufeff") else text


def _language(doc: JsonValue) -> str | None:
    """The entry's own ``language`` (normalised; the reference writes one per document, e.g. ``en-us``)."""
    value = doc.get("language") if type(doc) is dict else _get(doc, "language")
    return normalize(value) if isinstance(value, str) and value.strip() else None


def _dataset(value: JsonValue) -> Dataset | None:
    return SIDES.get(value.lower()) if isinstance(value, str) else None


def _classes(doc: JsonValue, kind: str) -> list[str]:
    single = _get(doc, "class")
    many = _get(doc, "classes")
    labels: list[str] = []
    if isinstance(single, dict) and _get(single, "category") is not None:
        labels.append(str(_get(single, "category")))
    if isinstance(many, list):
        labels.extend(str(_get(c, "category")) for c in many if isinstance(c, dict))
    return labels


def _labels_of(doc: Document, info: ProjectInfo) -> JsonObject:
    """A document entry's labels: one region of entities covering the text, or its class(es)."""
    if info.annotates_spans:
        index = Utf16Index(doc.text)
        labels: list[JsonValue] = [
            {"category": s.label, "offset": index.to_utf16(s.start), "length": index.to_utf16(s.end) - index.to_utf16(s.start)}
            for s in doc.spans
        ]
        return {"entities": [{"regionOffset": 0, "regionLength": index.length16, "labels": labels}]}
    if info.multilabel:
        return {"classes": [{"category": c} for c in doc.labels]}
    return {"class": {"category": doc.labels[0]} if doc.labels else None}


def write(documents: list[Document], out_dir: Path, info: ProjectInfo, labels_name: str = "labels.json") -> Path:
    """Write ``labels.json`` and one ``.txt`` per document under ``out_dir``; returns the labels file.

    Each document is one entry with one region covering its text. ``location`` is a portable, unique
    file name derived from the id; when it differs from the id, the entry also gets ``"id"`` so the
    importer gives the document back its exact id (see the module docstring).
    """
    from nerspec.atomic import write_text

    if info.annotates_spans:
        project_kind = "CustomEntityRecognition"
    else:
        project_kind = "CustomMultiLabelClassification" if info.multilabel else "CustomSingleLabelClassification"
    entries: list[JsonValue] = []
    made: set[Path] = set()
    for doc, location in zip(documents, unique_file_names(doc.id for doc in documents)):
        target_txt = out_dir / location
        if target_txt.parent not in made:  # one mkdir per directory, not per document (100k files)
            target_txt.parent.mkdir(parents=True, exist_ok=True)
            made.add(target_txt.parent)
        # The importer drops one leading BOM (editors add it); a text that starts with U+FEFF keeps it
        # only when the file holds one more in front.
        prefix = "\ufeff" if doc.text.startswith("\ufeff") else ""
        target_txt.write_bytes((prefix + doc.text).encode("utf-8"))  # a fresh export dir: no need to fsync 100k files
        entry: JsonObject = {"location": location}
        if location != doc.id:
            entry["id"] = doc.id
        entry["language"] = doc.language or info.language
        if doc.dataset:
            entry["dataset"] = doc.dataset.capitalize()
        entry.update(_labels_of(doc, info))
        entries.append(entry)
    label_key = "entities" if info.annotates_spans else "classes"
    labels = list(info.labels) or sorted({s.label for d in documents for s in d.spans} | {c for d in documents for c in d.labels})
    payload: JsonObject = {
        "projectFileVersion": FILE_VERSION,
        "stringIndexType": "Utf16CodeUnit",
        "metadata": {
            "projectKind": project_kind,
            "projectName": info.name,
            "language": info.language,
            "multilingual": info.multilingual or any(base(d.language or info.language) != base(info.language) for d in documents),
            "description": info.description,
            "settings": {},
        },
        "assets": {"projectKind": project_kind, label_key: [{"category": n} for n in labels], "documents": entries},
    }
    target = out_dir / labels_name
    write_text(target, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return target
