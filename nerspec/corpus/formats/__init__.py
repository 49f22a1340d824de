"""Importers and exporters, one module per format; the manifest's ``format:`` names the module.

Each module has ``read(path, project_dir) -> list[Document]`` and ``referenced_files(path) -> list[Path]``;
``azure``, ``jsonl`` (and ``docbin``, ``folders``) also ``write(documents, out_dir, info) -> Path``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

MODULES = {
    "azure": "azure",
    "jsonl": "jsonl",
    "conll": "conll",
    "spacy": "docbin",
    "folders": "folders",
    "labelstudio": "labelstudio",
    "doccano": "doccano",
    "prodigy": "prodigy",
}


def module(fmt: str) -> ModuleType:
    """The format module for a manifest ``format:`` value (imported on demand)."""
    return import_module(f"nerspec.corpus.formats.{MODULES[fmt]}")


def referencing_module(fmt: str) -> ModuleType | None:
    """The format module when it can list the files a source reads (``referenced_files``), else None."""
    if fmt not in MODULES:
        return None
    found = module(fmt)
    return found if hasattr(found, "referenced_files") else None
