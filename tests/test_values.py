"""Checked readers for input values: nothing is truncated, coerced or silently changed."""

from __future__ import annotations

import unicodedata

import pytest

from nerspec.values import document_id, integer, label_name, offsets, strings_problem, text


@pytest.mark.parametrize("bad", [0.5, 5.0, "5", "0", True, False, None, [1], {"a": 1}, 2**31, 10**4000])
def test_an_offset_is_an_integer_and_nothing_else(bad: object) -> None:
    with pytest.raises(ValueError, match="`start` must be an integer"):
        offsets(bad, 5)


def test_integers_pass_unchanged() -> None:
    assert offsets(0, 5) == (0, 5) and offsets(-1, 3) == (-1, 3)  # order and range are the data checks' to judge
    assert integer(7, "n") == 7
    with pytest.raises(ValueError, match="from 0 to"):
        integer(-1, "n")


@pytest.mark.parametrize("value, expected", [("a", "a"), (" a", " a"), (12, "12"), (0, "0")])
def test_ids_are_non_empty_strings_or_integers(value: object, expected: str) -> None:
    assert document_id(value) == expected


@pytest.mark.parametrize("bad, message", [("", "must not be empty"), (["a"], "a list"), ({"a": 1}, "an object"),
                                          (1.5, "1.5"), (True, "true"), (None, "null")])
def test_other_ids_are_refused(bad: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        document_id(bad)


def test_label_names_are_nfc_and_visible() -> None:
    assert label_name(unicodedata.normalize("NFD", "Café")) == unicodedata.normalize("NFC", "Café")
    for bad, message in [("   ", "blank"), ("", "blank"), ("P\u200bER", "U+200B"), ("PER\u2060", "U+2060"),
                         (" PER", "start or end"), ("P\ud800", "surrogate"), (5, "a string")]:
        with pytest.raises(ValueError) as caught:
            label_name(bad)
        assert message in str(caught.value)


def test_surrogates_anywhere_in_a_request_are_found() -> None:
    assert strings_problem({"a": ["ok", {"b": "x"}]}) is None
    assert "`language` contains an unpaired surrogate (U+D800)" in (strings_problem({"language": "\ud800"}) or "")
    assert "U+DC00" in (strings_problem({"docs": [{"id": "1", "text": "a\udc00"}]}) or "")
    assert strings_problem({"\ud800": 1}) is not None  # keys too
    assert text("fine é", "x") == "fine é"
