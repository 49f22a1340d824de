"""The `encoding:` option of data sources: strict UTF-8 by default, any Python text codec when set."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.corpus.load import load_corpus
from nerspec.errors import DataError, ManifestError
from nerspec.fingerprints.data import data_fingerprint
from nerspec.manifest.load import load_project
from tests.corpus.corpus_fixtures import write_azure, write_manifest

CAFE_LATIN1 = "Caf\u00e9 prices rose".encode("latin-1")


def _folders_project(root: Path, encoding: str | None) -> Path:
    (root / "data" / "business").mkdir(parents=True)
    (root / "data" / "sport").mkdir(parents=True)
    (root / "data" / "business" / "001.txt").write_bytes(CAFE_LATIN1)
    (root / "data" / "sport" / "002.txt").write_bytes("Match won".encode("latin-1"))
    extra = f", encoding: {encoding}" if encoding else ""
    write_manifest(
        root,
        "apiVersion: nerspec/v1\nkind: TextClassificationProject\nmetadata: {name: news}\nspec:\n"
        "  classes: [{name: business}, {name: sport}]\n"
        f"  data:\n    - {{name: articles, format: folders, path: data{extra}}}\n",
    )
    return root


def test_default_is_strict_utf8_with_a_located_hint(tmp_path: Path) -> None:
    project = load_project(_folders_project(tmp_path, None))
    with pytest.raises(DataError) as info:
        load_corpus(project)
    [problem] = info.value.problems
    assert problem.file.endswith("business/001.txt") and (problem.line, problem.col) == (1, 4)
    assert "not valid UTF-8 at byte offset 3" in problem.message and "`encoding:`" in problem.message


def test_latin1_source_reads_the_text(tmp_path: Path) -> None:
    corpus = load_corpus(load_project(_folders_project(tmp_path, "latin-1")))
    texts = {doc.id: doc.text for doc in corpus}
    assert texts["business/001.txt"] == "Caf\u00e9 prices rose"


def test_encoding_applies_to_jsonl_and_azure_documents(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.jsonl").write_bytes(b'{"id": "a", "text": "Z\xfcrich", "spans": [[0, 6, "City"]]}\n')
    write_azure(tmp_path / "data", [("a.txt", "M\u00fcnchen", [(0, 7, "City")], None)])
    (tmp_path / "data" / "a.txt").write_bytes("M\u00fcnchen".encode("latin-1"))  # the labels file stays UTF-8
    write_manifest(
        tmp_path,
        "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: cities}\nspec:\n  entities: [{name: City}]\n"
        "  data:\n    - {name: j, format: jsonl, path: data/d.jsonl, encoding: cp1252}\n"
        "    - {name: z, format: azure, path: data/labels.json, encoding: latin-1}\n",
    )
    corpus = load_corpus(load_project(tmp_path))
    assert sorted(doc.text for doc in corpus) == ["M\u00fcnchen", "Z\u00fcrich"]


def test_a_wrong_encoding_is_located_and_named(tmp_path: Path) -> None:
    root = _folders_project(tmp_path, "ascii")
    with pytest.raises(DataError) as info:
        load_corpus(load_project(root))
    assert "not valid ascii at byte offset 3" in info.value.problems[0].message


@pytest.mark.parametrize("codec", ["klingon-8", "undefined", "base64"])
def test_unknown_codec_is_a_manifest_error_at_its_line(tmp_path: Path, codec: str) -> None:
    root = _folders_project(tmp_path, codec)  # `undefined` is a Python codec that refuses every input
    with pytest.raises(ManifestError) as info:
        load_project(root)
    [problem] = info.value.problems
    assert problem.where == "spec.data[0].encoding" and problem.line == 7
    assert f"unknown text encoding `{codec}`" in problem.message


def test_changing_the_encoding_changes_the_data_fingerprint(tmp_path: Path) -> None:
    root = _folders_project(tmp_path / "p", "latin-1")
    before = data_fingerprint(load_project(root), None).sha256
    manifest = root / "nerspec.yaml"
    manifest.write_text(manifest.read_text().replace("latin-1", "cp437"))  # 0xE9 is a different letter there
    assert data_fingerprint(load_project(root), None).sha256 != before
