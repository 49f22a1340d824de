"""Gold and prediction files for ``nerspec evaluate`` and inputs of ``nerspec predict``: offsets and ids are read
with the data formats' rules (``nerspec.values``), never truncated or coerced."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.errors import DataError, NerspecError
from nerspec.evaluate.io import read_jsonl
from nerspec.prediction_inputs import read_records


@pytest.mark.parametrize("line, message", [
    ('{"id": "a", "text": "Alice", "spans": [[0.5, 5, "PER"]]}', "`start` must be an integer, not 0.5"),
    ('{"id": "a", "text": "Alice", "spans": [["0", "5", "PER"]]}', "not '0'"),
    ('{"id": "a", "text": "Alice", "spans": [[false, true, "PER"]]}', "not false"),
    ('{"id": "a", "text": "Alice", "spans": [[0, Infinity, "PER"]]}', "`Infinity` is not a JSON number"),
    ('{"id": ["a"], "text": "Alice", "spans": []}', "`id` must be a string or an integer"),
    ('{"id": "", "text": "Alice", "spans": []}', "`id` must not be empty"),
])
def test_evaluate_files_refuse_what_the_formats_refuse(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_jsonl(path)
    assert message in str(caught.value.problems[0])


@pytest.mark.parametrize("line, message", [
    ('{"id": ["a"], "text": "x"}', "line 1: `id` must be a string or an integer, not a list"),
    ('{"id": "", "text": "x"}', "line 1: `id` must not be empty"),
    ('{"id": "\\ud800", "text": "x"}', "line 1: `id` contains an unpaired surrogate"),
    ('{"id": "a", "text": "x", "language": "\\ud800"}', "line 1: `language` contains an unpaired surrogate"),
    ('{"id": 1e400, "text": "x"}', "out of range"),
])
def test_predict_inputs_refuse_unusable_ids(line: str, message: str) -> None:
    with pytest.raises(NerspecError, match="line 1") as caught:
        list(read_records([line], jsonl=True))
    assert message in str(caught.value)


def test_predict_inputs_keep_integer_ids() -> None:
    assert list(read_records(['{"id": 7, "text": "x"}'], jsonl=True)) == [("7", "x", None)]
