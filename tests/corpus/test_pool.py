"""Unlabeled sources (pools) are validated like data: a missing file is named where the manifest names it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.corpus.pool import check_pools, load_pool
from nerspec.errors import DataError
from nerspec.manifest.load import load_project
from tests.corpus.corpus_fixtures import ner_manifest, write_jsonl, write_manifest


def test_a_missing_pool_file_is_located_at_its_manifest_path(tmp_path: Path) -> None:
    data = ("{name: main, format: jsonl, path: data/docs.jsonl}\n"
            "    - {name: raw, format: jsonl, path: data/nope.jsonl, unlabeled: true}")
    write_manifest(tmp_path, ner_manifest(data=data))
    write_jsonl(tmp_path / "data" / "docs.jsonl", [{"id": "a", "text": "Alice", "spans": [[0, 5, "Person"]]}])
    [finding] = check_pools(load_project(tmp_path))
    problem = finding.problem()
    assert problem.file.endswith("nerspec.yaml") and problem.line == 10
    assert problem.message == "spec.data[1].path: `data/nope.jsonl` does not exist"


def _project_and_pool(tmp_path: Path) -> Path:
    """A labeled project and a jsonl pool file repeating `a` once and `b` twice."""
    write_manifest(tmp_path, ner_manifest(data="{name: main, format: jsonl, path: data/docs.jsonl}"))
    write_jsonl(tmp_path / "data" / "docs.jsonl", [{"id": "l1", "text": "Alice", "spans": [[0, 5, "Person"]]}])
    pool = tmp_path / "pool.jsonl"
    write_jsonl(pool, [{"id": "a", "text": "one"}, {"id": "b", "text": "two"}, {"id": "a", "text": "three"},
                       {"id": "b", "text": "four"}, {"id": "c", "text": "five"}, {"id": "b", "text": "six"}])
    return pool


def test_repeated_ids_in_a_pool_file_are_all_located_errors(tmp_path: Path) -> None:
    pool = _project_and_pool(tmp_path)
    with pytest.raises(DataError) as raised:
        load_pool(load_project(tmp_path), None, str(pool))
    shown = [str(problem) for problem in raised.value.problems]
    assert shown == [f"{pool}:3:1: a: duplicate pool document id (first at line 1): three",
                     f"{pool}:4:1: b: duplicate pool document id (first at line 2): four",
                     f"{pool}:6:1: b: duplicate pool document id (first at line 2): six"], shown


def test_label_next_with_a_pool_repeating_ids_is_exit_1_naming_each_repeat(tmp_path: Path) -> None:
    pool = _project_and_pool(tmp_path)
    result = CliRunner().invoke(cli, ["label", "next", str(tmp_path), "--pool", str(pool), "--strategy", "random",
                                      "-n", "2"])
    assert result.exit_code == 1, result.output
    assert "pool.jsonl:3:1: a: duplicate pool document id (first at line 1)" in result.output
    assert "pool.jsonl:6:1: b: duplicate pool document id (first at line 2)" in result.output
    assert "error: 3 errors" in result.output and "Traceback" not in result.output


def test_a_lone_surrogate_in_a_pool_is_a_located_error_in_validate_and_label_next(tmp_path: Path) -> None:
    data = ("{name: main, format: jsonl, path: data/docs.jsonl}\n"
            "    - {name: raw, format: jsonl, path: data/pool.jsonl, unlabeled: true}")
    write_manifest(tmp_path, ner_manifest(data=data))
    write_jsonl(tmp_path / "data" / "docs.jsonl", [{"id": f"l{i}", "text": "Alice", "spans": [[0, 5, "Person"]]}
                                                   for i in range(12)])
    (tmp_path / "data" / "pool.jsonl").write_text('{"id": "ok", "text": "fine"}\n{"id": "\\udc00", "text": "b"}\n'
                                                   '{"id": "t", "text": "a\\ud800"}\n', encoding="utf-8")
    expected = [("data/pool.jsonl:2:1: ", "`id` has a lone surrogate U+DC00 at character 0"),
                ("data/pool.jsonl:3:1: ", "`text` has a lone surrogate U+D800 at character 1")]
    for command in (["validate"], ["label", "next", "--strategy", "random"]):  # was: valid, then exit 70 printing it
        result = CliRunner().invoke(cli, [*command, str(tmp_path)])
        assert result.exit_code == 1, result.output
        lines = result.stderr.splitlines()
        assert all(any(at in line and what in line for line in lines) for at, what in expected), result.stderr


def test_every_bad_file_of_a_folders_pool_is_reported_at_once(tmp_path: Path) -> None:
    write_manifest(tmp_path, ner_manifest(data="{name: main, format: jsonl, path: data/docs.jsonl}"))
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.txt").write_bytes(b"\xff")
    (tmp_path / "raw" / "b.txt").write_bytes(b"fine")
    (tmp_path / "raw" / "c.txt").symlink_to("/etc/hostname")
    with pytest.raises(DataError) as raised:  # was: only the first
        load_pool(load_project(tmp_path), None, pool=str(tmp_path / "raw"))
    messages = [(Path(p.file).name, p.message[:20]) for p in raised.value.problems]
    assert messages == [("a.txt", "not valid UTF-8 at b"), ("c.txt", "resolves outside the")], messages
