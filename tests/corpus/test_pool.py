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
