"""spaCy's binary ``.spacy`` files (``DocBin``): entities from ``doc.ents`` or ``doc.spans["sc"]``, classes from
``doc.cats``.

Overlapping and nested entities live in the span group ``SPANS_KEY`` (what the span categorizer of an
``overlapping: true`` project trains on, ``nerspec.kinds.spans``). Reading, a document that has that group takes
its entities from it, ``doc.ents`` ignored (a file that copies its entities into both must not count each twice,
and the group is what ``spancat`` would train on); a document without it, or with an empty one (any pipeline with
a span categorizer writes the group, empty where it found nothing), takes ``doc.ents``. Other span groups are
not read. Writing, an overlapping project's documents get the group and no ``doc.ents`` (a flat NER trained on
such a file would learn only the documents that happen not to overlap, and a reader would have two answers);
every other project's get ``doc.ents``, as before.

spaCy is imported only when such a source is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.formats.common import (
    MAX_SPANS_PER_DOCUMENT,
    ProjectInfo,
    fail,
    read_bytes,
    record_id,
    shown,
    span,
)
from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError, Problem

if TYPE_CHECKING:
    from spacy.tokens import Doc

# The span group of overlapping entities: spaCy's default key, the one ``nerspec.kinds.spans`` trains on (a
# test keeps the two equal; the kinds layer sits above this one).
SPANS_KEY = "sc"


def referenced_files(path: Path) -> list[Path]:
    return [path]


MAX_INFLATE_RATIO = 100  # serialized docs compress about 5-10x; far beyond that is a bomb
MIN_INFLATE_BUDGET = 256 * 1024**2


def _inflated_size(data: bytes) -> int | None:
    """What ``zlib.decompress`` would produce, counted in bounded steps (None: not zlib, spaCy names it)."""
    import zlib

    budget = max(MIN_INFLATE_BUDGET, MAX_INFLATE_RATIO * len(data))
    inflater = zlib.decompressobj()
    total = 0
    try:
        chunk = inflater.decompress(data, 1 << 20)
        while chunk:
            total += len(chunk)
            if total > budget:
                return total
            chunk = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
    except zlib.error:
        return None
    return total


def _docs(path: Path, data: bytes) -> list[Doc]:
    """The file's documents, or a ``DataError`` naming the file (or the first document spaCy cannot rebuild)."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    try:
        docbin = DocBin(store_user_data=True).from_bytes(data)
    except Exception as exc:  # spaCy raises ValueError/KeyError/zlib/msgpack errors for corrupt files
        raise fail(path, f"not a spaCy DocBin file: {exc}") from None
    docs: list[Doc] = []
    rebuilt = docbin.get_docs(Vocab())
    while True:
        try:  # a document's own arrays or span groups may be corrupt (struct/msgpack/index errors)
            doc = next(rebuilt, None)
        except Exception as exc:
            raise fail(path, f"not a spaCy DocBin document: {exc}", where=f"doc {len(docs) + 1}") from None
        if doc is None:
            return docs
        docs.append(doc)


def _group_spans(doc: Doc, problems: list[str]) -> list[Span]:
    """The spans of ``doc.spans[SPANS_KEY]``; what cannot be read is added to ``problems`` (one line each)."""
    group = doc.spans[SPANS_KEY]
    if len(group) > MAX_SPANS_PER_DOCUMENT:
        problems.append(f"{len(group)} spans in doc.spans[{SPANS_KEY!r}]; the limit is {MAX_SPANS_PER_DOCUMENT}")
        return []
    spans: list[Span] = []
    for index in range(len(group)):
        where = f"doc.spans[{SPANS_KEY!r}][{index}]"
        try:  # spaCy checks the token range when it builds the span
            found = group[index]
        except (IndexError, ValueError) as exc:
            problems.append(f"{where}: token range outside the document's {len(doc)} tokens ({exc})")
            continue
        try:  # a label is a hash into the file's strings
            label = found.label_
        except KeyError:
            problems.append(f"{where}: span {found.start_char}..{found.end_char}: label {found.label} is not a "
                            "string of this file")
            continue
        if not label:
            problems.append(f"{where}: span {found.start_char}..{found.end_char} has no label")
            continue
        try:  # character offsets are stored apart from the token range: bounded here, checked against the text later
            spans.append(span(found.start_char, found.end_char, label))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    return spans


def _spans(doc: Doc, problems: list[str]) -> list[Span]:
    """The group's spans when the document has a non-empty group, else its ``ents`` (see the module docstring)."""
    if SPANS_KEY in doc.spans and len(doc.spans[SPANS_KEY]):
        return _group_spans(doc, problems)
    try:  # an entity's label is a hash into the file's strings; spaCy raises E084 for one it cannot find
        return [Span(e.start_char, e.end_char, e.label_) for e in doc.ents]
    except (KeyError, ValueError) as exc:
        problems.append(f"doc.ents: an entity's label is not a string of this file ({exc})")
        return []


def _classes(cats: object, problems: list[str]) -> list[str]:
    """The classes of ``doc.cats`` scored 0.5 or more (``jsonl.cats``: names and numeric scores checked); what
    cannot be read is added to ``problems`` (a file's msgpack can hold any value: a string score was exit 70)."""
    from nerspec.corpus.formats.jsonl import cats as scored

    if not cats:
        return []
    try:
        return scored(cats)  # type: ignore[arg-type]  # checked there: an object of numbers
    except ValueError as exc:
        problems.append(f"doc.cats: {exc}")
        return []


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    data = read_bytes(path)
    inflated = _inflated_size(data)
    if inflated is not None and inflated > max(MIN_INFLATE_BUDGET, MAX_INFLATE_RATIO * len(data)):
        raise fail(path, f"inflates to more than {inflated} bytes ({inflated // max(len(data), 1)}x its size): "
                         "refused as a possible zlib bomb")
    where = shown(path)
    out: list[Document] = []
    problems: list[Problem] = []
    for n, doc in enumerate(_docs(path, data), start=1):
        user = doc.user_data if isinstance(doc.user_data, dict) else {}
        dataset = user.get("dataset")
        try:
            doc_id = record_id(user.get("id"), f"{path.name}#{n}")
        except ValueError as exc:
            raise fail(path, str(exc), where=f"doc {n}") from None
        unread: list[str] = []
        spans = _spans(doc, unread)
        labels = _classes(doc.cats, unread)
        problems.extend(Problem(where, 0, 0, f"doc {n}", message) for message in unread)
        out.append(
            Document(
                id=doc_id,
                text=doc.text,
                spans=spans,
                labels=labels,
                dataset=dataset if dataset in ("train", "test") else None,
                location=where,
            )
        )
    if problems:
        raise DataError(problems)
    return out


def _entities(doc: Doc, document: Document, info: ProjectInfo, target: Path) -> None:
    """``document``'s spans on ``doc``, widened to whole tokens: the span group of an overlapping project (each span
    and type once), else ``doc.ents``."""
    widened = [doc.char_span(s.start, s.end, s.label, alignment_mode="expand") for s in document.spans]
    found = [e for e in widened if e is not None and len(e)]
    if info.overlapping:
        unique = {(e.start, e.end, e.label_): e for e in found}
        doc.spans[SPANS_KEY] = [unique[key] for key in sorted(unique)]
        return
    try:
        doc.ents = found
    except ValueError:  # spaCy's entities cannot overlap (``export`` refuses overlapping spans before)
        raise fail(target, f"document `{document.id}` has overlapping spans (once widened to whole tokens), which "
                   "a DocBin's `ents` cannot hold; export as jsonl or labelstudio, or declare "
                   "`spec.overlapping: true`") from None


def write(documents: list[Document], out_dir: Path, info: ProjectInfo, name: str = "data.spacy") -> Path:
    import spacy
    from spacy.tokens import DocBin

    from nerspec.atomic import write_bytes

    target = out_dir / name
    code = info.language.split("-")[0]
    try:
        nlp = spacy.blank(code)
    except Exception:  # ImportError E048 (no such language), or one needing an extra package (Korean's mecab)
        raise fail(target, f"spaCy has no tokenizer for the language `{code}` (metadata.language `{info.language}`); "
                           "export as jsonl, or set a language spaCy knows") from None
    docbin = DocBin(store_user_data=True)
    for document in documents:
        doc = nlp.make_doc(document.text)
        if info.annotates_spans:
            _entities(doc, document, info, target)
        else:
            doc.cats = {c: float(c in document.labels) for c in info.labels}
        doc.user_data["id"] = document.id
        if document.dataset:
            doc.user_data["dataset"] = document.dataset
        docbin.add(doc)
    write_bytes(target, docbin.to_bytes())
    return target
