"""Texts read for `nerspec predict -f`: a byte order mark an editor put first is neither JSON nor text."""

from __future__ import annotations

import pytest

from nerspec.errors import NerspecError
from nerspec.prediction_inputs import read_records


def test_a_leading_byte_order_mark_is_dropped() -> None:
    jsonl = ['\ufeff{"id": "1", "text": "Alice"}\n', '{"id": "2", "text": "\\ufeffBob"}\n']
    assert list(read_records(jsonl, jsonl=True)) == [("1", "Alice", None), ("2", "\ufeffBob", None)]
    text = ["\ufeffAlice in Paris\n", "\ufeffBob\n"]
    assert list(read_records(text, jsonl=False, language="en")) == [("1", "Alice in Paris", "en"),
                                                                   ("2", "\ufeffBob", "en")]


def test_other_bad_first_lines_are_still_errors() -> None:
    with pytest.raises(NerspecError, match="line 1: invalid JSON"):
        list(read_records(["\ufeff\ufeff{}\n"], jsonl=True))
