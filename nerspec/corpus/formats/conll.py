"""CoNLL columns: the token first, the tag last; blank lines between sentences.

``-DOCSTART-`` starts a document; a file without it has one document per sentence. Tags may use
IOB2, IOB1 or BILOU (also IOBES spelling ``E-``/``S-``): the decoder is lenient in the way that
reads all of them correctly, because an ``I-`` after ``O`` or another type can only start an entity.
A document's text is its tokens joined by spaces, its sentences joined by newlines.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

from nerspec.corpus.formats.common import read_text, shown
from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError, Problem

BEGIN, INSIDE, LAST, UNIT = "B", "I", "L", "U"
_PREFIXES = {"B": BEGIN, "I": INSIDE, "L": LAST, "E": LAST, "U": UNIT, "S": UNIT}


def referenced_files(path: Path) -> list[Path]:
    return [path]


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    text = read_text(path)
    where = shown(path)
    documents: list[Document] = []
    explicit = "-DOCSTART-" in text
    sentences: list[list[tuple[str, str]]] = []
    sentence: list[tuple[str, str]] = []
    first_line = 0
    problems: list[Problem] = []

    def flush_sentence() -> None:
        nonlocal sentence
        if sentence:
            sentences.append(sentence)
            sentence = []

    def flush_document() -> None:
        nonlocal sentences
        flush_sentence()
        if sentences:
            n = len(documents) + 1
            documents.append(_document(f"{path.name}#{n}", sentences, where, first_line))
            sentences = []

    # Classic Mac line ends (a lone CR) end lines too: read as one line, the whole file would vanish after its
    # first -DOCSTART-. CRLF stays one line end, so line numbers match an editor's.
    for lineno, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if line.startswith("-DOCSTART-"):
            flush_document()
            first_line = lineno + 1
            continue
        if not line.strip():
            flush_sentence()
            if not explicit:
                flush_document()
                first_line = lineno + 1
            continue
        if not first_line:
            first_line = lineno
        columns = line.split()
        if len(columns) < 2:
            problems.append(Problem(where, lineno, 1, "", "expected a token and a tag separated by whitespace"))
            continue
        tag = columns[-1]
        if tag != "O" and (len(tag) < 3 or tag[1] not in "-_" or tag[0] not in _PREFIXES):
            problems.append(Problem(where, lineno, len(line) - len(tag) + 1, "", f"unknown tag `{tag}`"))
            continue
        sentence.append((columns[0], tag))
    flush_document()
    if problems:
        raise DataError(problems[:50])
    return documents


def _document(doc_id: str, sentences: list[list[tuple[str, str]]], where: str, line: int) -> Document:
    parts: list[str] = []
    spans: list[Span] = []
    position = 0
    for s, sentence in enumerate(sentences):
        if s:
            parts.append("\n")
            position += 1
        open_label: str | None = None
        open_start = 0
        last_end = position
        for t, (token, tag) in enumerate(sentence):
            if t:
                parts.append(" ")
                position += 1
            start, end = position, position + len(token)
            parts.append(token)
            position = end
            prefix, label = (tag[0], tag[2:]) if tag != "O" else ("O", "")
            kind = _PREFIXES.get(prefix, "O")
            continues = open_label == label and kind in (INSIDE, LAST)
            if open_label is not None and not continues:
                spans.append(Span(open_start, last_end, open_label))
                open_label = None
            if kind != "O" and not continues:
                open_label, open_start = label, start
            last_end = end
            if open_label is not None and kind in (LAST, UNIT):
                spans.append(Span(open_start, end, open_label))
                open_label = None
        if open_label is not None:
            spans.append(Span(open_start, last_end, open_label))
    return Document(id=doc_id, text="".join(parts), spans=spans, location=where, line=line)


def tokens(doc: Document) -> list[list[tuple[int, int]]]:
    """(start, end) of each token, per line: the text's words (runs of non-whitespace, as the reader splits its
    columns: a word holding a tab, CR or no-break space came back cut short or as a broken line), each cut again
    wherever an entity starts or ends inside it, so ``Cooperative,`` tagged up to the comma becomes ``Cooperative``
    + ``,`` and every entity boundary is a token boundary (the reference JSON keeps offsets; CoNLL can only keep
    tokens)."""
    cuts = sorted({s.start for s in doc.spans} | {s.end for s in doc.spans})
    lines: list[list[tuple[int, int]]] = []
    position = 0
    for line in doc.text.split("\n"):
        row: list[tuple[int, int]] = []
        for word in _WORD.finditer(line):
            start, end = position + word.start(), position + word.end()
            inner = cuts[bisect.bisect_right(cuts, start):bisect.bisect_left(cuts, end)]
            bounds = [start, *inner, end]
            row.extend(zip(bounds, bounds[1:]))
        position += len(line) + 1
        lines.append(row)
    return lines


_WORD = re.compile(r"\S+")  # what str.split() keeps: the reader's columns


def tags(doc: Document, scheme: str = "IOB2") -> list[list[tuple[str, str]]]:
    """Tokens of each line (``tokens``) with their tags (for export and metric cross-checks). Overlapping spans
    cannot be written: the earlier-starting (then longer) one is kept."""
    out: list[list[tuple[str, str]]] = []
    rows = tokens(doc)
    # A span that starts on whitespace begins at its first token (no token starts in whitespace).
    firsts = [start for row in rows for start, _ in row]
    starts: dict[int, Span] = {}
    for span in sorted(doc.spans, key=lambda s: (s.start, -s.end)):
        first = bisect.bisect_left(firsts, span.start)
        if first < len(firsts) and firsts[first] < span.end:
            starts.setdefault(firsts[first], span)
    current: Span | None = None
    for row in rows:
        tagged: list[tuple[str, str]] = []
        for start, end in row:
            token = doc.text[start:end]
            if start in starts and (current is None or start >= current.end):
                current = starts[start]
                inside = "B"
            elif current is not None and start < current.end:
                inside = "I"
            else:
                current = None
                tagged.append((token, "O"))
                continue
            last = end >= current.end
            if scheme == "BILOU":
                prefix = ("U" if last else "B") if inside == "B" else ("L" if last else "I")
            else:
                prefix = inside
            tagged.append((token, f"{prefix}-{current.label}"))
            if last:
                current = None
        out.append(tagged)
    return out


def write(documents: list[Document], out_dir: Path, info: object, name: str = "data.conll") -> Path:
    """``-DOCSTART-`` per document, one token (split at spaces) and IOB2 tag per line, lines as sentences.

    Entity spans survive exactly (their text and type; tokens are cut at entity edges). Lost by nature: ids
    become ``<file>#N`` on import, whitespace becomes single spaces (so offsets move), and of overlapping spans
    only one is written (``nerspec export`` refuses them first: ``nerspec.corpus.formats.write``).
    """
    from nerspec.atomic import write_text

    out: list[str] = []
    for doc in documents:
        out.append("-DOCSTART- O\n")
        for row in tags(doc):
            if row:
                out.extend(f"{token}\t{tag}" for token, tag in row)
                out.append("")
    target = out_dir / name
    write_text(target, "\n".join(out) + ("\n" if out else ""))
    return target
