"""Unlabeled sources (pools) are validated like data: a missing file is named where the manifest names it."""

from __future__ import annotations

from pathlib import Path

from nerspec.corpus.pool import check_pools
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
