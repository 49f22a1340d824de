"""Fixtures: tiny projects written into tmp_path (writers in corpus_fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nerspec.manifest.load import LoadedProject, load_project
from tests.corpus.corpus_fixtures import SAMPLE, NERDoc, ner_manifest, write_azure, write_jsonl, write_manifest


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., LoadedProject]:
    """``make_project(docs=..., manifest=...)`` -> LoadedProject of an azure-layout project in tmp_path."""
    counter = {"n": 0}

    def make(docs: list[NERDoc] | None = None, manifest: str | None = None, **manifest_args: Any) -> LoadedProject:
        counter["n"] += 1
        root = tmp_path / f"project{counter['n']}"
        write_azure(root / "data", SAMPLE if docs is None else docs)
        write_manifest(root, manifest or ner_manifest(**manifest_args))
        return load_project(root)

    return make


@pytest.fixture
def classification_project(tmp_path: Path) -> Callable[..., LoadedProject]:
    def make(records: list[dict[str, Any]], multilabel: bool = False, classes: tuple[str, ...] = ("Sports", "Politics", "Tech")) -> LoadedProject:
        root = tmp_path / f"textcat{'-multi' if multilabel else ''}"
        write_jsonl(root / "data" / "docs.jsonl", records)
        listed = "".join(f"    - {{name: {c}}}\n" for c in classes)
        write_manifest(
            root,
            "apiVersion: nerspec/v1\nkind: TextClassificationProject\nmetadata: {name: textcat, language: en}\n"
            f"spec:\n  classes:\n{listed}  multilabel: {str(multilabel).lower()}\n"
            "  data:\n    - {name: docs, format: jsonl, path: data/docs.jsonl}\n",
        )
        return load_project(root)

    return make
