"""UTF-16 and grapheme offsets: exact round trips, including astral characters and combining marks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerspec.corpus.offsets import GraphemeIndex, OffsetError, Utf16Index, grapheme_starts, utf16_length

ASTRAL_HEAVY = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(["😀", "👩‍👩‍👧", "𝔸", "北", "京", "e\u0301", "\u0301", "🇫🇷", "👍🏽", "\r\n"]),
    ),
    max_size=40,
).map("".join)


@given(ASTRAL_HEAVY)
@settings(max_examples=200, deadline=None)
def test_utf16_round_trip_matches_the_encoder(text: str) -> None:
    index = Utf16Index(text)
    assert index.length16 == len(text.encode("utf-16-le")) // 2 == utf16_length(text)
    for i in range(len(text) + 1):
        unit = index.to_utf16(i)
        assert unit == len(text[:i].encode("utf-16-le")) // 2
        assert index.to_codepoint(unit) == i


@given(ASTRAL_HEAVY)
@settings(max_examples=100, deadline=None)
def test_offsets_inside_a_surrogate_pair_are_refused(text: str) -> None:
    index = Utf16Index(text)
    valid = {index.to_utf16(i) for i in range(len(text) + 1)}
    for unit in range(index.length16 + 1):
        if unit not in valid:
            with pytest.raises(OffsetError, match="surrogate pair"):
                index.to_codepoint(unit)


def test_known_offsets() -> None:
    text = "a😀b北c"
    index = Utf16Index(text)
    assert [index.to_utf16(i) for i in range(6)] == [0, 1, 3, 4, 5, 6]
    with pytest.raises(OffsetError, match="outside"):
        index.to_codepoint(7)


def test_grapheme_clusters() -> None:
    text = "e\u0301👩‍👩‍👧🇫🇷👍🏽\r\nx"
    starts = grapheme_starts(text)
    clusters = [text[a:b] for a, b in zip(starts, starts[1:])]
    assert clusters == ["e\u0301", "👩‍👩‍👧", "🇫🇷", "👍🏽", "\r\n", "x"]
    index = GraphemeIndex(text)
    assert len(index) == 6
    assert index.to_codepoint(2) == text.index("🇫🇷")
    assert index.to_grapheme(text.index("x")) == 5
    with pytest.raises(OffsetError):
        index.to_grapheme(1)  # between e and its combining accent


@given(ASTRAL_HEAVY)
@settings(max_examples=100, deadline=None)
def test_grapheme_round_trip(text: str) -> None:
    index = GraphemeIndex(text)
    for element in range(len(index) + 1):
        assert index.to_grapheme(index.to_codepoint(element)) == element
