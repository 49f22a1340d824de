"""The one JSON Lines reader: records numbered from 1, blank lines skipped, bad lines described (never raised)."""

from __future__ import annotations

from nerspec.json_lines import json_lines


def test_records_bad_lines_and_their_byte_offsets() -> None:
    text = '{"a": 1}\n\n  \n{"é": "x", oops}\n' + "[" * 100_000 + "\n{\"b\": \"x\u2028y\"}"
    lines = list(json_lines(text.split("\n")))
    assert [line.number for line in lines] == [1, 4, 5, 6]
    assert lines[0].record == {"a": 1} and lines[0].error is None
    bad = lines[1]
    assert bad.error == "Expecting property name enclosed in double quotes" and bad.column == 12
    assert bad.start_byte == len('{"a": 1}\n\n  \n') and bad.error_byte == bad.start_byte + len('{"é": "x", '.encode())
    assert lines[2].too_deep and lines[2].error == "JSON nested too deeply"
    assert lines[3].record == {"b": "x\u2028y"}  # U+2028 inside a string does not end the line


def test_lines_of_an_open_file_lose_their_newline(tmp_path: object) -> None:
    assert [(line.number, line.text) for line in json_lines(['{"a": 1}\n', "\n", "[1]\n"])] == [(1, '{"a": 1}'), (3, "[1]")]
