"""The one parser for JSON nerspec did not write: every unusable number is a located JSONDecodeError."""

from __future__ import annotations

import json

import pytest

from nerspec.strict_json import TOO_DEEP, duplicate_note, loads, parse


@pytest.mark.parametrize("text, reason", [
    ('{"a": Infinity}', "`Infinity` is not a JSON number"),
    ('{"a": -Infinity}', "`-Infinity` is not a JSON number"),
    ('{"a": NaN}', "`NaN` is not a JSON number"),
    ('{"a": 1e400}', "the number 1e400 is out of range"),
    ('{"a": -1e400}', "out of range"),
    ('{"a": 1' + "0" * 5000 + "}", "an integer of 5001 digits"),
])
def test_unusable_numbers_are_decode_errors_with_a_position(text: str, reason: str) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        loads(text)
    assert reason in caught.value.msg
    assert caught.value.colno == 7  # where the number starts


def test_deep_nesting_is_a_decode_error_not_a_recursion_error() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        loads("[" * 100_000 + "]" * 100_000)
    assert caught.value.msg == TOO_DEEP


def test_ordinary_values_and_duplicate_keys() -> None:
    parsed = parse('{"id": "a", "n": 12345678901234567890, "f": 0.5, "id": "b", "x": {"k": 1, "k": 2}}')
    assert parsed.value == {"id": "b", "n": 12345678901234567890, "f": 0.5, "x": {"k": 2}}
    assert sorted(parsed.duplicates) == ["id", "k"]  # inner objects are built first
    assert duplicate_note(["id", "k"]) == "duplicate JSON key `id`, `k`: the last value is used"
    assert parse('{"a": 1}').duplicates == [] and duplicate_note([]) == ""



def test_items_of_and_float_of_fail_as_python_does() -> None:
    from nerspec.strict_json import float_of, items_of

    assert list(items_of([1, "a"])) == [1, "a"] and list(items_of({"k": 1})) == ["k"] and list(items_of("ab")) == ["a", "b"]
    assert float_of(1) == 1.0 and float_of("0.5") == 0.5
    for value in (5, 0.5, True, None):
        with pytest.raises(TypeError) as python:
            iter(value)  # type: ignore[call-overload]
        with pytest.raises(TypeError) as ours:
            items_of(value)
        assert str(ours.value) == str(python.value)
    for bad in (None, [1], {"a": 1}):
        with pytest.raises(TypeError) as python:
            float(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError) as ours:
            float_of(bad)
        assert str(ours.value) == str(python.value)
    with pytest.raises(ValueError):
        float_of("x")
