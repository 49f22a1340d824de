"""What a format cannot hold, refused before anything is written: overlapping spans in a format of flat tags.

How the ``overlaps`` and ``span_groups`` capabilities of ``nerspec.corpus.formats.FORMATS`` are enforced
(``formats.write`` asks ``formats.holders`` which formats hold a project's overlaps, and refuses here); exporters
stay ignorant of them (a flat project's DocBin would otherwise fail half-way on its ``ents``,
and CoNLL would silently keep one span of each overlap). A ``span_groups`` format (``spacy``) holds the overlaps of
an ``overlapping: true`` project only: there they go to the span group the span categorizer trains on, while a
flat project's DocBin keeps ``doc.ents``, which cannot overlap.
"""

from __future__ import annotations

from collections.abc import Sequence

from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError, Problem

MAX_LISTED = 50  # documents named in full; the summary counts the rest


def first_overlap(spans: Sequence[Span]) -> tuple[Span, Span] | None:
    """The first two spans (in order of start) that share a character, or None when the spans are flat."""
    widest = None
    for span in sorted(spans):  # a long span can overlap one that is not its neighbour: track the furthest end
        if widest is not None and span.start < widest.end:
            return widest, span
        if widest is None or span.end > widest.end:
            widest = span
    return None


def refuse_overlaps(fmt: str, documents: Sequence[Document], holders: Sequence[str]) -> None:
    """``DataError`` naming every document with overlapping spans, which ``fmt`` cannot hold (``holders``:
    the formats that can)."""
    from nerspec.corpus.findings import position

    problems: list[Problem] = []
    count = 0
    for doc in documents:
        pair = first_overlap(doc.spans)
        if pair is None:
            continue
        count += 1
        if len(problems) < MAX_LISTED:
            earlier, later = pair
            line, col = position(doc, later.start)
            problems.append(Problem(
                doc.location, line, col, f"{doc.id}[{later.start}:{later.end}]",
                f"`{fmt}` cannot hold overlapping spans: {later.label} {later.start}..{later.end} overlaps "
                f"{earlier.label} {earlier.start}..{earlier.end}; export as {', '.join(holders)}",
            ))
    if problems:
        more = f" ({count - len(problems)} more not listed)" if count > len(problems) else ""
        raise DataError(problems, summary=f"{count} document{'s' if count != 1 else ''} with overlapping spans "
                                          f"cannot be written as `{fmt}`{more}")
