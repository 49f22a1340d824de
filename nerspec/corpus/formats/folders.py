"""Folder per class: ``<path>/<class>/*.txt`` (single-label classification, common for public corpora).

A document id is its path relative to ``<path>``; ``<path>/train/<class>/`` and ``<path>/test/<class>/``
also set the dataset.
"""

from __future__ import annotations

from pathlib import Path

from nerspec.corpus.formats.common import ProjectInfo, fail, read_text, safe_file_name, shown
from nerspec.corpus.model import Document

SIDES = ("train", "test")


def referenced_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*.txt") if p.is_file())


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    if not path.is_dir():
        raise fail(path, "a `folders` source is a directory with one sub-directory per class")
    root = (project_dir or path).resolve()
    documents: list[Document] = []
    for file in referenced_files(path):
        resolved = file.resolve()
        if root not in resolved.parents:
            raise fail(file, "resolves outside the project directory (through a symbolic link)")
        parts = file.relative_to(path).parts
        dataset = None
        if len(parts) == 3 and parts[0] in SIDES:
            dataset, label = parts[0], parts[1]
        elif len(parts) == 2:
            label = parts[0]
        else:
            raise fail(file, "expected <class>/<file>.txt or train|test/<class>/<file>.txt")
        documents.append(
            Document(
                id="/".join(parts), text=read_text(file), labels=[label], dataset=dataset, location=shown(file)  # type: ignore[arg-type]
            )
        )
    return documents


def write(documents: list[Document], out_dir: Path, info: ProjectInfo) -> Path:
    for doc in documents:
        label = doc.labels[0] if doc.labels else "_unlabeled"
        side = f"{doc.dataset}/" if doc.dataset else ""
        target = out_dir / f"{side}{label}" / safe_file_name(doc.id.split("/")[-1])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(doc.text, encoding="utf-8")
    return out_dir
