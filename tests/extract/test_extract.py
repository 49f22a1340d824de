"""``nerspec extract`` with the local engine: the same records as ``nerspec predict``, errors, resume, formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.predictions import to_json
from tests.extract.conftest import write_input
from tests.trained_models import calibrated_copy

pytestmark = pytest.mark.slow


def _outputs(out: Path, suffix: str = ".jsonl") -> list[str]:
    lines: list[str] = []
    for file in sorted(out.glob(f"*{suffix}")):
        if not file.name.endswith(".errors.jsonl"):
            lines.extend(file.read_text(encoding="utf-8").splitlines(keepends=True))
    return lines


def _errors(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for f in sorted(out.glob("*.errors.jsonl")) for line in f.read_text().splitlines()]


def _predict_lines(project: Path, state: Path, source: Path, *extra: str) -> list[str]:
    result = CliRunner().invoke(cli, ["predict", str(project), "--state", str(state), "-f", str(source), *extra])
    assert result.exit_code == 0, result.output
    return result.output.splitlines(keepends=True)


def test_local_records_are_predicts_records_plus_fingerprint_and_bad_records_go_to_errors(
    ner_model: Any, tmp_path: Path
) -> None:
    project, state, artifact = ner_model
    source = tmp_path / "in" / "docs.jsonl"
    source.parent.mkdir()
    good = write_input(source)
    clean = tmp_path / "clean.jsonl"
    write_input(clean, bad=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["extract", str(project), "--state", str(state), "--input", str(source.parent),
                                      "--output", str(out), "--partition-size", "7", "--workers", "2",
                                      "--max-chars", "500", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["documents"] == len(good) and summary["errors"] == 4
    lines = _outputs(out)
    expected = _predict_lines(project, state, clean)
    tail = f', "modelFingerprint": "{artifact.fingerprint}"}}\n'
    # Byte for byte: predict's line with the fingerprint appended as the last key.
    assert lines == [line[:-2] + tail for line in expected]
    reasons = {e["id"]: e["reason"] for e in _errors(out)}
    assert reasons["no-text"].startswith("missing text")
    assert reasons["docs.jsonl:6"].startswith("invalid JSON")
    assert reasons["docs.jsonl:7"].startswith("invalid UTF-8")
    assert reasons["huge"].startswith("over the size limit")
    on_disk = json.loads((out / "_summary.json").read_text())
    assert on_disk["fingerprint"] == artifact.fingerprint and on_disk["failures"]["invalid JSON"] == 1


def test_rerun_skips_finished_partitions_and_a_new_model_or_setting_redoes_them(
    ner_model: Any, textcat_model: Any, tmp_path: Path
) -> None:
    import nerspec

    project, state, artifact = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=20, bad=False)
    out = tmp_path / "out"
    first = nerspec.extract(project, state=state, input=source, output=out, partition_size=10, workers=1)
    assert first.partitions == 3 and first.partitions_run == 3 and first.notes == []
    before = {f.name: f.stat().st_mtime_ns for f in out.glob("*.jsonl")}
    first_s0 = next(json.loads(x) for x in _outputs(out) if json.loads(x)["id"] == "s0")["entities"]
    again = nerspec.extract(project, state=state, input=source, output=out, partition_size=10, workers=1)
    assert again.partitions_skipped == 3 and again.partitions_run == 0 and again.documents == first.documents
    assert {f.name: f.stat().st_mtime_ns for f in out.glob("*.jsonl")} == before
    # A damaged output is redone, not trusted.
    damaged = sorted(out.glob("*.jsonl"))[0]
    damaged.write_text(damaged.read_text()[:-5])
    third = nerspec.extract(project, state=state, input=source, output=out, partition_size=10, workers=1)
    assert third.partitions_run == 1
    units = nerspec.extract(project, state=state, input=source, output=out, partition_size=10, workers=1,
                            string_index_type="Utf16CodeUnit")
    assert units.partitions_run == 3
    emoji = next(json.loads(x) for x in _outputs(out) if json.loads(x)["id"] == "s0")
    cut = len("Grace Smith 😀")  # the emoji is 1 code point and 2 UTF-16 units
    for entity, before_units in zip(emoji["entities"], first_s0):
        assert entity["offset"] == before_units["offset"] + (1 if before_units["offset"] >= cut else 0)
    tc_project, tc_state, tc_artifact = textcat_model
    other = nerspec.extract(tc_artifact.path, input=source, output=out, partition_size=10, workers=1)
    assert other.partitions_run == 3 and other.fingerprint == tc_artifact.fingerprint
    assert all('"classes"' in line and tc_artifact.fingerprint in line for line in _outputs(out))


def test_a_beam_the_calibration_was_not_fitted_on_is_a_warning_and_a_note_in_the_summary(
    ner_model: Any, tmp_path: Path
) -> None:
    _, _, fixture = ner_model
    artifact = calibrated_copy(fixture, tmp_path)
    source = tmp_path / "docs.jsonl"
    records = write_input(source, n=4, bad=False)
    result = CliRunner().invoke(cli, ["extract", str(artifact), "--input", str(source), "--output",
                                      str(tmp_path / "out"), "--workers", "1", "--beam-width", "4"])
    assert result.exit_code == 0, result.output
    assert "warning: confidence scores are raw, not calibrated probabilities" in result.stderr
    summary = json.loads((tmp_path / "out" / "_summary.json").read_text())
    (note,) = summary["notes"]
    assert "not on a beam of 4" in note and summary["documents"] == len(records)


def test_txt_files_use_relative_paths_as_ids_and_parquet_in_gives_parquet_out(ner_model: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import nerspec

    project, state, artifact = ner_model
    texts = tmp_path / "texts"
    (texts / "a").mkdir(parents=True)
    (texts / "a" / "one.txt").write_text("Alice Smith lives in Paris.")
    (texts / "two.txt").write_text("Bob Jones flew to Berlin.")
    (texts / "bad.txt").write_bytes(b"\xff\xfe broken")
    out = tmp_path / "out-txt"
    summary = nerspec.extract(project, state=state, input=texts, output=out, workers=1)
    assert summary.documents == 2 and summary.errors == 1
    assert sorted(json.loads(x)["id"] for x in _outputs(out)) == ["a/one.txt", "two.txt"]
    table = pa.table({"doc": ["p1", "p2", "p3"], "body": ["Carla Diaz met Hugo Lee in Lima.", None, "Erin Rao."]})
    pq.write_table(table, tmp_path / "rows.parquet", row_group_size=2)
    out_pq = tmp_path / "out-pq"
    summary = nerspec.extract(project, state=state, input=tmp_path / "rows.parquet", output=out_pq,
                              text_column="body", id_column="doc", partition_size=2, workers=1)
    assert summary.documents == 2 and summary.errors == 1 and summary.partitions == 2
    rows = [r for f in sorted(out_pq.glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    predictor = nerspec.load(artifact.path)
    assert [r["id"] for r in rows] == ["p1", "p3"]
    assert [json.loads(r["entities"]) for r in rows] == [to_json(p) for p in predictor.predict(
        ["Carla Diaz met Hugo Lee in Lima.", "Erin Rao."])]
    assert {r["modelFingerprint"] for r in rows} == {artifact.fingerprint}


def test_input_errors_are_clear(ner_model: Any, tmp_path: Path) -> None:
    project, state, _ = ner_model
    runner = CliRunner()
    result = runner.invoke(cli, ["extract", str(project), "--state", str(state), "--input", str(tmp_path / "nope"),
                                 "--output", str(tmp_path / "out")])
    assert result.exit_code == 1 and "no such file or directory" in result.output
    (tmp_path / "rows.parquet").write_bytes(b"not parquet")
    result = runner.invoke(cli, ["extract", str(project), "--state", str(state), "--input",
                                 str(tmp_path / "rows.parquet"), "--output", str(tmp_path / "out")])
    assert result.exit_code == 1 and "not a readable Parquet file" in result.output


@pytest.mark.parametrize("unit", ["Utf16CodeUnit", "TextElement_v8"])
def test_offsets_in_another_string_index_type_match_predict_byte_for_byte(
    ner_model: Any, tmp_path: Path, unit: str
) -> None:
    import nerspec

    project, state, artifact = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=6, bad=False)
    out = tmp_path / "out"
    nerspec.extract(project, state=state, input=source, output=out, workers=1, string_index_type=unit)
    expected = _predict_lines(project, state, source, "--string-index-type", unit)
    tail = f', "modelFingerprint": "{artifact.fingerprint}"}}\n'
    assert _outputs(out) == [line[:-2] + tail for line in expected]


def test_huge_lines_and_files_become_errors_without_being_read_whole(tmp_path: Path) -> None:
    from nerspec.extract.partitions import plan_partitions
    from nerspec.extract.rows import read_rows

    source = tmp_path / "in" / "docs.jsonl"
    source.parent.mkdir()
    huge = json.dumps({"id": "huge", "text": "x" * 200_000})
    source.write_text(f'{{"id": "a", "text": "short"}}\n{huge}\n{{"id": "b", "text": "after"}}\n')
    (tmp_path / "in" / "big.txt").write_text("y" * 50)
    partitions = plan_partitions(tmp_path / "in", 2)
    rows = [row for p in partitions for row in read_rows(p, max_chars=10)]
    assert [(r.id, r.text, (r.error or "")[:19]) for r in rows] == [
        ("a", "short", ""),
        ("docs.jsonl:2", None, "over the size limit"),  # the line is skipped in bounded chunks
        ("b", "after", ""),
        ("big.txt", None, "over the size limit"),  # the file is never read
    ]


def test_one_run_per_output_directory_and_a_killed_runs_temporary_files_are_removed(
    ner_model: Any, tmp_path: Path
) -> None:
    import fcntl
    import os

    import nerspec
    from nerspec.errors import NerspecError

    project, state, _artifact = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=20, bad=False)
    out = tmp_path / "out"
    first = nerspec.extract(project, state=state, input=source, output=out, partition_size=10, workers=1)
    # What a run SIGKILLed in the middle of nerspec.atomic's writes leaves behind, plus a file that is not ours.
    partition = sorted(p.stem for p in (out / "_parts").glob("*.json"))[0]
    left = [out / f".{partition}.jsonl.abc123.tmp", out / "_parts" / f".{partition}.json.def456.tmp",
            out / "._summary.json.x1.tmp"]
    for file in left:
        file.write_text("half")
    foreign = out / ".notes.txt.tmp"
    foreign.write_text("someone else's")
    holder = os.open(out / "_lock", os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)  # a live run holds the directory
    try:
        with pytest.raises(NerspecError, match="another `nerspec extract` is writing"):
            nerspec.extract(project, state=state, input=source, output=out, partition_size=10, workers=1)
        assert all(file.exists() for file in left), "nothing is removed while another run may be writing"
    finally:
        os.close(holder)
    again = nerspec.extract(project, state=state, input=source, output=out, partition_size=10, workers=1)
    assert again.partitions_run == 0 and again.partitions_skipped == first.partitions
    assert not any(file.exists() for file in left) and foreign.exists()
