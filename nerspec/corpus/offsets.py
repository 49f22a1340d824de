"""Offset conversions at the borders: UTF-16 code units and grapheme clusters <-> code points.

The corpus counts Python string offsets (code points). The reference format counts UTF-16 code
units, where a character outside the Basic Multilingual Plane (most emoji, some CJK) counts 2.
Most documents are all-BMP, where both counts agree, so every converter first checks that cheaply
and only builds a lookup table for texts that need one.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from functools import lru_cache


class OffsetError(ValueError):
    """An offset outside the text or inside a character (half of a surrogate pair)."""


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def is_bmp(text: str) -> bool:
    return text.isascii() or _ASTRAL.search(text) is None


class Utf16Index:
    """Converts offsets of one text between UTF-16 code units and code points."""

    __slots__ = ("text", "_astral", "_astral16", "_length16")

    def __init__(self, text: str) -> None:
        self.text = text
        # Code-point indices of astral characters, sorted: each adds one extra code unit after it.
        # The encoder's length is a C-speed test for "no astral characters" (most non-ASCII text).
        if text.isascii() or len(text.encode("utf-16-le")) == 2 * len(text):
            self._astral: list[int] = []
        else:
            self._astral = [m.start() for m in _ASTRAL.finditer(text)]
        # The UTF-16 start of each astral character, for bisect in to_codepoint.
        self._astral16 = [index + k for k, index in enumerate(self._astral)]
        self._length16 = len(text) + len(self._astral)

    @property
    def length16(self) -> int:
        return self._length16

    def to_codepoint(self, unit: int) -> int:
        """The code-point index of UTF-16 offset ``unit``; raises OffsetError inside a surrogate pair."""
        if unit < 0 or unit > self._length16:
            raise OffsetError(f"offset {unit} is outside the text (0..{self._length16} UTF-16 code units)")
        if not self._astral:
            return unit
        before = bisect_left(self._astral16, unit)  # astral characters starting before `unit`
        if before and self._astral16[before - 1] == unit - 1:
            raise OffsetError(f"offset {unit} falls inside a surrogate pair (character {unit - before})")
        return unit - before

    def to_utf16(self, index: int) -> int:
        if index < 0 or index > len(self.text):
            raise OffsetError(f"index {index} is outside the text (0..{len(self.text)})")
        if not self._astral:
            return index
        return index + bisect_left(self._astral, index)


def utf16_to_codepoint(text: str, unit: int) -> int:
    return Utf16Index(text).to_codepoint(unit)


def codepoint_to_utf16(text: str, index: int) -> int:
    return Utf16Index(text).to_utf16(index)


# Grapheme clusters: a compact subset of UAX #29 that covers what labeled text actually contains
# (combining marks, ZWJ emoji sequences, skin-tone modifiers, variation selectors, flags, CRLF,
# Hangul syllable sequences). No third-party `regex` dependency.
_ZWJ = "\u200d"


@lru_cache(maxsize=4096)
def _extends(ch: str) -> bool:
    code = ord(ch)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    if 0x1F3FB <= code <= 0x1F3FF:  # emoji skin-tone modifiers
        return True
    if 0xE0020 <= code <= 0xE007F:  # emoji tag sequences (subdivision flags)
        return True
    return ch == _ZWJ or unicodedata.category(ch) in ("Mn", "Me", "Mc")


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _hangul_type(ch: str) -> str:
    code = ord(ch)
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return ""


_HANGUL_JOINS = {("L", "L"), ("L", "V"), ("L", "LV"), ("L", "LVT"), ("LV", "V"), ("LV", "T"), ("V", "V"),
                 ("V", "T"), ("LVT", "T"), ("T", "T")}


def one_element_per_code_point(text: str) -> bool:
    """Whether TextElement_v8 offsets are code points in ``text``: ASCII, and no CR LF (one cluster, even in ASCII)."""
    return text.isascii() and "\r\n" not in text


def grapheme_starts(text: str) -> list[int]:
    """Code-point indices where each grapheme cluster starts (plus ``len(text)`` at the end)."""
    if one_element_per_code_point(text):
        return list(range(len(text) + 1))
    starts = [0] if text else []
    regional_run = 0
    for i in range(1, len(text)):
        prev, ch = text[i - 1], text[i]
        regional_run = regional_run + 1 if _is_regional(prev) else 0
        if prev == "\r" and ch == "\n":
            continue
        if prev in "\r\n" or ch in "\r\n":
            starts.append(i)
            continue
        if _extends(ch):
            continue
        if prev == _ZWJ and i >= 2 and not text[i - 2].isspace():
            continue  # emoji ZWJ sequence: the next pictograph joins
        if _is_regional(ch) and regional_run % 2 == 1:
            continue  # second half of a flag
        hp, hc = _hangul_type(prev), _hangul_type(ch)
        if hp and hc and (hp, hc) in _HANGUL_JOINS:
            continue
        starts.append(i)
    starts.append(len(text))
    return starts


class GraphemeIndex:
    """Converts offsets of one text between grapheme clusters (text elements) and code points."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        self._starts = grapheme_starts(text)

    def __len__(self) -> int:
        return max(len(self._starts) - 1, 0)

    def to_codepoint(self, element: int) -> int:
        if element < 0 or element > len(self):
            raise OffsetError(f"offset {element} is outside the text (0..{len(self)} text elements)")
        return self._starts[element] if self._starts else 0

    def to_grapheme(self, index: int) -> int:
        position = bisect_right(self._starts, index) - 1
        if position < 0 or self._starts[position] != index:
            raise OffsetError(f"index {index} is inside a grapheme cluster")
        return position
