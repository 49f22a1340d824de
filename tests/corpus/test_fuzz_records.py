"""Fuzzing data records of every JSON format: a hostile record is documents or a located ``DataError``, never any
other exception (exit 70), and ``nerspec validate`` exits 0 or 1 on it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nerspec.cli import cli
from nerspec.corpus.formats import doccano, jsonl, labelstudio, prodigy
from nerspec.errors import DataError
from tests.fuzz_strategies import json_values, labelstudio_task, records

READERS = {"jsonl": jsonl.read, "doccano": doccano.read, "prodigy": prodigy.read}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


def _read_or_refuse(read: object, path: Path) -> None:
    try:
        documents = read(path)  # type: ignore[operator]
    except DataError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return
    for doc in documents:  # what was accepted is what the formats promise: ids and offsets as given, no coercion
        assert isinstance(doc.id, str) and doc.id
        assert all(type(s.start) is int and type(s.end) is int and isinstance(s.label, str) for s in doc.spans)


@FUZZ
@given(fmt=st.sampled_from(sorted(READERS)), data=st.data())
def test_jsonl_formats_never_fail_other_than_with_a_data_error(tmp_path: Path, fmt: str, data: st.DataObject) -> None:
    lines = data.draw(st.lists(st.one_of(records[fmt], json_values()), min_size=1, max_size=4))
    path = tmp_path / f"fuzz.{fmt}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _read_or_refuse(READERS[fmt], path)


@FUZZ
@given(tasks=st.lists(st.one_of(labelstudio_task, json_values()), min_size=1, max_size=3))
def test_label_studio_never_fails_other_than_with_a_data_error(tmp_path: Path, tasks: list[str]) -> None:
    path = tmp_path / "fuzz.labelstudio.json"
    path.write_text("[" + ", ".join(tasks) + "]", encoding="utf-8")
    _read_or_refuse(labelstudio.read, path)


MANIFEST = """apiVersion: nerspec/v1
kind: NERProject
metadata: {{name: fuzz}}
spec:
  entities: [{{name: PER}}]
  data: [{{name: main, format: {fmt}, path: data.{suffix}}}]
"""


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(fmt=st.sampled_from(sorted(READERS)), data=st.data())
def test_validate_exits_0_or_1_on_hostile_records(tmp_path: Path, fmt: str, data: st.DataObject) -> None:
    lines = data.draw(st.lists(records[fmt], min_size=1, max_size=4))
    (tmp_path / "nerspec.yaml").write_text(MANIFEST.format(fmt=fmt, suffix="jsonl"), encoding="utf-8")
    (tmp_path / "data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code in (0, 1), (result.exit_code, result.output, lines)
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert "fuzz: 1 document" in result.output or "error:" in result.output or "fuzz: " in result.output, result.output
    if result.exit_code == 1:  # a located problem in the data file, not a usage error
        assert "data.jsonl" in result.output or "nerspec.yaml" in result.output, result.output
