"""Fuzzing extract's input: every hostile line becomes a row with text or an error record, never an exception
that would abort the whole extract, and every id can be written back as UTF-8."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nerspec.extract.partitions import plan_partitions
from nerspec.extract.rows import read_rows
from tests.fuzz_strategies import document, json_values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(json_values(), document,
                                st.binary(max_size=20).map(lambda b: b.decode("latin-1"))), min_size=1, max_size=5))
def test_every_line_is_a_row_or_an_error_record(tmp_path: Path, lines: list[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / "docs.jsonl").write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
    rows = [row for p in plan_partitions(folder, 3) for row in read_rows(p)]
    for row in rows:
        assert row.skip or (row.text is None) != (row.error is None), row
        row.id.encode("utf-8")  # the id of a row with text is written back as is
        if row.text is not None:
            row.text.encode("utf-8")
