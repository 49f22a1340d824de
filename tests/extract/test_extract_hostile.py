"""Hostile extract inputs become error records, and outputs that cannot be written end with exit 1, never 70."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.extract.partitions import plan_partitions
from nerspec.extract.rows import read_rows
from tests.extract.conftest import write_input


def _rows(tmp_path: Path, lines: list[bytes]) -> list[Any]:
    source = tmp_path / "in" / "docs.jsonl"
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(b"".join(line + b"\n" for line in lines))
    return [row for p in plan_partitions(tmp_path / "in", 100) for row in read_rows(p)]


def test_hostile_records_become_error_rows(tmp_path: Path) -> None:
    rows = _rows(tmp_path, [
        b'{"id": "ok", "text": "fine"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"id": "\\ud800", "text": "x"}',
        b'{"id": "l", "text": "x", "language": "\\ud800"}',
        b'{"id": ["a"], "text": "x"}',
        b'{"id": "", "text": "x"}',
        b'{"id": "n", "text": "x", "n": 1e400}',
        b'{"id": 1' + b"0" * 5000 + b', "text": "x"}',
        b'{"id": 7, "text": "seven"}',
    ])
    assert [(r.id, r.text) for r in rows if r.error is None] == [("ok", "fine"), ("7", "seven")]
    errors = {r.location.split(":")[1]: r.error for r in rows if r.error}
    assert errors["2"] == "invalid JSON: JSON nested too deeply: line 1 column 1 (char 0)"
    assert errors["3"].startswith("invalid id: `id` contains an unpaired surrogate")
    assert errors["4"].startswith("invalid language: `language` contains an unpaired surrogate")
    assert errors["5"] == "invalid id: `id` must be a string or an integer, not a list"
    assert errors["6"] == "invalid id: `id` must not be empty"
    assert "out of range" in errors["7"] and "5001 digits" in errors["8"]




def _extract(project: Path, state: Path, source: Path, out: Path | str) -> Any:
    return CliRunner().invoke(cli, ["extract", str(project), "--state", str(state), "--input", str(source),
                                    "--output", str(out), "--workers", "1"])


@pytest.mark.slow
def test_hostile_records_do_not_stop_the_run(ner_model: Any, tmp_path: Path) -> None:
    project, state, _ = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=3, bad=False)
    with source.open("ab") as handle:
        handle.write(b"[" * 100_000 + b"]" * 100_000 + b"\n" + b'{"id": "\\ud800", "text": "x"}\n')
    result = _extract(project, state, source, tmp_path / "out")
    assert result.exit_code == 0, result.output
    errors = [json.loads(line) for f in (tmp_path / "out").glob("*.errors.jsonl") for line in f.read_text().splitlines()]
    assert len(errors) == 2


@pytest.mark.slow
def test_outputs_that_cannot_be_written_exit_1(ner_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, state, _ = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=3, bad=False)
    for out in ("/proc/nerspec-out", "/proc/self/status/out"):
        result = _extract(project, state, source, out)
        assert result.exit_code == 1, result.output
        assert "error:" in result.output and out.split("/")[1] in result.output
    # A full file system: the write that fails is the first output file.
    from nerspec import atomic

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "write_bytes", full)
    monkeypatch.setattr(atomic, "write_text", full)
    result = _extract(project, state, source, tmp_path / "full")
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output


@pytest.mark.slow
def test_a_symlinked_output_directory_is_refused(ner_model: Any, tmp_path: Path) -> None:
    project, state, _ = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=3, bad=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").symlink_to(elsewhere)
    result = _extract(project, state, source, tmp_path / "out")
    assert result.exit_code == 1 and "is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []
    real = tmp_path / "real"
    real.mkdir()
    (real / "_parts").symlink_to(elsewhere)
    result = _extract(project, state, source, real)
    assert result.exit_code == 1 and "is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []


def test_an_empty_input_or_one_inside_the_output_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--input ''` read the whole working directory (other runs' outputs included); `--output` equal to the input
    directory said 'no input files' beside the input files."""
    from nerspec.extract.partitions import InputError, list_inputs

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text('{"id": "1", "text": "Alice"}\n')
    monkeypatch.chdir(corpus)
    for empty in ("", "   "):
        with pytest.raises(InputError, match="--input is empty"):
            list_inputs(empty, exclude=tmp_path / "out")
    with pytest.raises(InputError, match="inside the output directory"):
        list_inputs(corpus, exclude=corpus)
    assert list_inputs(corpus, exclude=corpus / "out") == (corpus, [corpus / "a.jsonl"])


def test_a_byte_order_mark_is_neither_json_nor_text(tmp_path: Path) -> None:
    rows = _rows(tmp_path, [b'\xef\xbb\xbf{"id": "1", "text": "Alice"}', b'{"id": "2", "text": "Bob"}'])
    assert [(r.id, r.text, r.error) for r in rows] == [("1", "Alice", None), ("2", "Bob", None)]
    (tmp_path / "in" / "docs.jsonl").unlink()
    (tmp_path / "in" / "note.txt").write_bytes(b"\xef\xbb\xbfAlice in Paris\r\n")
    [row] = [row for p in plan_partitions(tmp_path / "in", 100) for row in read_rows(p)]
    assert row.text == "Alice in Paris\r\n" and row.error is None


def test_a_parquet_id_that_is_not_a_string_or_an_integer_is_the_rows_error(tmp_path: Path) -> None:
    """Python's text of a struct or of nan became the id (`"{'x': 1}"`, `"nan"`), where jsonl refuses them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "in").mkdir()
    for name, ids in (("structs", [{"x": 1}, {"x": 2}]), ("floats", [float("nan"), 2.5]), ("ints", [7, 8])):
        pq.write_table(pa.table({"id": ids, "text": ["Alice", "Bob"]}), tmp_path / "in" / f"{name}.parquet")
    partitions = plan_partitions(tmp_path / "in", 100, text_column="text", id_column="id")
    rows = {(row.location, row.id, row.error) for p in partitions for row in read_rows(p)}
    assert ("ints.parquet:row 0", "7", None) in rows and ("ints.parquet:row 1", "8", None) in rows
    refused = {location: error for location, _id, error in rows if not location.startswith("ints")}
    assert len(refused) == 4 and all(e and e.startswith("invalid id: `id` must be a string or an integer")
                                     for e in refused.values()), refused


@pytest.mark.slow
def test_a_hand_edited_partition_marker_reruns_its_partition(ner_model: Any, tmp_path: Path) -> None:
    """A marker whose result had a field of the wrong type (records "x", reasons a list) was exit 70 on resume."""
    project, state, _ = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=3, bad=False)
    out = tmp_path / "out"
    assert _extract(project, state, source, out).exit_code == 0
    [marker] = (out / "_parts").glob("*.json")
    for field, value in (("records", "x"), ("reasons", [1]), ("seconds", "slow"), ("first_errors", {"a": 1})):
        recorded = json.loads(marker.read_text())
        recorded["result"][field] = value
        marker.write_text(json.dumps(recorded))
        result = _extract(project, state, source, out)
        assert result.exit_code == 0, result.output
        assert json.loads((out / "_summary.json").read_text())["partitions_run"] == 1  # run again, not trusted
