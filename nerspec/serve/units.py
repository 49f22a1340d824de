"""String index types of the reference API: entity offsets in the unit the client asked for.

Predictions carry code-point offsets (Python string indices). The reference API can answer in
``Utf16CodeUnit`` (its REST default for the native endpoint and what JavaScript/.NET/Java strings count),
``UnicodeCodePoint`` (Python) or ``TextElement_v8`` (extended grapheme clusters). The per-text lookup
tables come from ``nerspec.corpus.offsets`` (shared with the importers); this module only adapts them to
whole entities, including the one case the corpus never meets: a predicted boundary that falls inside a
grapheme cluster (for example between an emoji and its skin-tone modifier), which is widened to the
enclosing cluster so that the span stays addressable in text elements.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from typing import Literal

from nerspec.corpus.offsets import Utf16Index, grapheme_starts, is_bmp
from nerspec.predictions import Prediction

StringIndexType = Literal["Utf16CodeUnit", "UnicodeCodePoint", "TextElement_v8"]
STRING_INDEX_TYPES: tuple[str, ...] = ("Utf16CodeUnit", "UnicodeCodePoint", "TextElement_v8")
# The REST spec spells it both ways across versions; the client sends "TextElement_v8".
_ALIASES = {"textelements_v8": "TextElement_v8", "textelement_v8": "TextElement_v8",
            "utf16codeunit": "Utf16CodeUnit", "unicodecodepoint": "UnicodeCodePoint"}


def normalize(value: str) -> str | None:
    """The canonical spelling of a string index type, or None when it is not one."""
    return _ALIASES.get(value.lower())


def length_in(text: str, unit: str) -> int:
    if unit == "UnicodeCodePoint":
        return len(text)
    if unit == "Utf16CodeUnit":
        return Utf16Index(text).length16
    return max(len(grapheme_starts(text)) - 1, 0)


def convert_entities(text: str, entities: Prediction, unit: str) -> Prediction:
    """Entities with code-point ``offset``/``length`` -> the same entities counted in ``unit``.

    ``text`` of each entity is the covered substring (widened with the span for text elements).
    """
    if unit == "UnicodeCodePoint" or not entities:
        return entities
    if unit == "Utf16CodeUnit":
        if is_bmp(text):  # the common case: both counts agree, no table needed
            return entities
        index = Utf16Index(text)
        out = []
        for entity in entities:
            begin16 = index.to_utf16(entity.start)
            out.append(replace(entity, offset=begin16, length=index.to_utf16(entity.end) - begin16))
        return out
    if text.isascii() and "\r\n" not in text:  # one text element per character (CR LF is one element)
        return entities
    starts = grapheme_starts(text)
    out = []
    for entity in entities:
        first = bisect_right(starts, entity.start) - 1  # cluster containing the start
        last = bisect_left(starts, entity.end)  # first cluster boundary at or after the end
        cp_start, cp_end = starts[first], starts[min(last, len(starts) - 1)]
        out.append(replace(entity, offset=first, length=last - first, text=text[cp_start:cp_end]))
    return out
