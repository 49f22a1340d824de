"""Folder per class: ``<path>/<class>/*.txt`` (single-label classification, common for public corpora).

A document id is its path relative to ``<path>``; ``<path>/train/<class>/`` and ``<path>/test/<class>/``
also set the dataset.
"""

from __future__ import annotations

from pathlib import Path

from nerspec.corpus.formats.common import (
    LOAD_PROGRESS_MIN,
    MAX_PROBLEMS,
    ProjectInfo,
    fail,
    read_text,
    shown,
    unique_file_names,
)
from nerspec.corpus.model import Document
from nerspec.errors import DataError, Problem
from nerspec.progress import track

SIDES = ("train", "test")


def referenced_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*.txt") if p.is_file())


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    if not path.is_dir():
        raise fail(path, "a `folders` source is a directory with one sub-directory per class")
    root = (project_dir or path).resolve()
    documents: list[Document] = []
    problems: list[Problem] = []
    files = referenced_files(path)
    for file in track(files, f"read {path}", len(files), min_total=LOAD_PROGRESS_MIN):
        try:
            documents.append(_document(path, file, root))
        except DataError as exc:  # every file's problem at once
            problems.extend(exc.problems)
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise DataError(problems)
    return documents


def _document(path: Path, file: Path, root: Path) -> Document:
    if root not in file.resolve().parents:
        raise fail(file, "resolves outside the project directory (through a symbolic link)")
    parts = file.relative_to(path).parts
    dataset = None
    if len(parts) == 3 and parts[0] in SIDES:
        dataset, label = parts[0], parts[1]
    elif len(parts) == 2:
        label = parts[0]
    else:
        raise fail(file, "expected <class>/<file>.txt or train|test/<class>/<file>.txt")
    return Document(id="/".join(parts), text=read_text(file), labels=[label], dataset=dataset,  # type: ignore[arg-type]
                    location=shown(file))


def write(documents: list[Document], out_dir: Path, info: ProjectInfo) -> Path:
    """``[train|test/]<class>/<name>.txt``; the id is the path, so only ids in that shape come back.

    Names are made unique per directory: two documents whose ids end alike must not overwrite each other.
    """
    groups: dict[str, list[Document]] = {}
    for doc in documents:
        label = doc.labels[0] if doc.labels else "_unlabeled"
        if label in ("", ".", "..") or "/" in label or "\\" in label:
            raise fail(out_dir, f"class `{label}` cannot be a directory name; export as azure or jsonl instead")
        side = f"{doc.dataset}/" if doc.dataset else ""
        groups.setdefault(f"{side}{label}", []).append(doc)
    for directory, docs in groups.items():
        (out_dir / directory).mkdir(parents=True, exist_ok=True)
        names = unique_file_names(doc.id.split("/")[-1] for doc in docs)
        for doc, name in zip(docs, names):
            (out_dir / directory / name).write_text(doc.text, encoding="utf-8", newline="")
    return out_dir
