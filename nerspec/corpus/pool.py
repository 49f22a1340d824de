"""Unlabeled pools: raw text a project declares for labeling (and pretraining), never for supervised training.

A pool is a data source with ``unlabeled: true``::

    data:
      - {name: pool, format: folders, path: raw/, unlabeled: true}        # every .txt below raw/ (id: relative path)
      - {name: tickets, format: jsonl, path: raw.jsonl, unlabeled: true}  # {"id", "text"} per line
      - {name: inbox, format: labelstudio, path: tasks.json, unlabeled: true}  # Label Studio tasks

Labels in a pool file are ignored. Pool documents whose id or text (whitespace-normalised) is already
labeled in the project are excluded automatically, so labeling a document takes it out of the pool.
``load_corpus`` skips pools and fingerprints ignore them: adding raw text never retrains anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.findings import Finding, at_document
from nerspec.corpus.formats import FORMATS, names
from nerspec.corpus.formats.common import MAX_PROBLEMS, fail, read_text, shown
from nerspec.corpus.model import Corpus, Document
from nerspec.errors import DataError, NerspecError, Problem

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.manifest.schema import DataSource

_SPACE = re.compile(r"\s+")


@dataclass
class Pool:
    documents: list[Document] = field(default_factory=list)
    already_labeled: int = 0  # excluded because the project labels the same id or text
    sources: list[str] = field(default_factory=list)


def normalised(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def pool_sources(project: LoadedProject) -> list[tuple[int, DataSource]]:
    return [(i, s) for i, s in enumerate(project.manifest.spec.data) if s.unlabeled]


def read_pool_file(path: Path, fmt: str, project_dir: Path | None = None) -> list[Document]:
    """Documents (id, text) of one pool file or folder; labels dropped."""
    if fmt == "folders":
        docs = _read_folder(path, project_dir or path)
    elif fmt in FORMATS and FORMATS[fmt].pool:
        docs = FORMATS[fmt].load().read(path, project_dir)
    else:
        raise fail(path, f"a pool is one of {', '.join(names('pool'))}, not `{fmt}`")
    from nerspec.corpus.load import unencodable

    problems = unencodable(docs)  # a lone surrogate in an id or text: `label next` printing it was exit 70
    if problems:
        raise DataError(problems)
    for doc in docs:
        doc.spans, doc.labels, doc.status, doc.disagreement = [], [], "", ""
    return docs


def _read_folder(path: Path, root: Path) -> list[Document]:
    if not path.is_dir():
        raise fail(path, "a `folders` pool is a directory of .txt files")
    base = root.resolve()
    out = []
    problems: list[Problem] = []
    for file in sorted(p for p in path.rglob("*.txt") if p.is_file()):
        try:  # every file's problem at once, as a labeled `folders` source reports them
            if base not in file.resolve().parents:
                raise fail(file, "resolves outside the project directory (through a symbolic link)")
            out.append(Document(id=file.relative_to(path).as_posix(), text=read_text(file), location=shown(file)))
        except DataError as exc:
            problems.extend(exc.problems)
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        raise DataError(problems)
    return out


def load_pool(project: LoadedProject, corpus: Corpus | None, pool: str | None = None, cache_dir: Path | None = None) -> Pool:
    """The documents of ``pool`` (a declared unlabeled source's name, or a file: jsonl, Label Studio .json,
    or a folder of .txt), or of every declared pool; minus what ``corpus`` already labels. ``cache_dir``: where
    URL sources are downloaded (``StatePaths.sources``)."""
    from nerspec.corpus.load import source_path

    declared = pool_sources(project)
    if pool is None:
        if not declared:
            raise NerspecError(
                f"project `{project.name}` declares no unlabeled source; add one to `spec.data` "
                "(e.g. `{name: pool, format: jsonl, path: pool.jsonl, unlabeled: true}`) or pass --pool FILE"
            )
        chosen: list[tuple[str, Path, str]] = [(s.name, source_path(project, i, cache_dir), s.format) for i, s in declared]
    else:
        named = [(i, s) for i, s in declared if s.name == pool]
        if named:
            chosen = [(pool, source_path(project, named[0][0], cache_dir), named[0][1].format)]
        else:
            path = Path(pool)
            if not path.exists():
                names = ", ".join(s.name for _, s in declared) or "none declared"
                raise NerspecError(f"--pool {pool}: neither a declared unlabeled source ({names}) nor a file")
            fmt = "folders" if path.is_dir() else "labelstudio" if path.suffix == ".json" else "jsonl"
            chosen = [(path.name, path, fmt)]
    documents: list[Document] = []
    problems = []
    for name, path, fmt in chosen:
        try:
            docs = read_pool_file(path, fmt, project.dir if path.resolve().is_relative_to(project.dir.resolve()) else None)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(finding.problem() for finding in duplicate_ids(docs))
        for doc in docs:
            doc.source = name
        documents.extend(docs)
    if problems:  # every unreadable pool and every repeated id at once
        raise DataError(problems)
    return exclude_labeled(documents, corpus, [name for name, _, _ in chosen])


def exclude_labeled(documents: list[Document], corpus: Corpus | None, sources: list[str]) -> Pool:
    """Drop pool documents the corpus labels (same id or same normalised text) and repeats of an id. Within one
    pool file a repeated id is an error (``load_pool``, ``check_pools``); across pools (two folder pools both
    holding ``001.txt``, each its own namespace) and in a production pool (whose ids are made unique) the first
    is kept."""
    labeled = corpus.documents if corpus is not None else []
    ids = {d.id for d in labeled}
    texts = {normalised(d.text) for d in labeled}
    kept: list[Document] = []
    seen: set[str] = set()
    excluded = 0
    for doc in documents:
        key = normalised(doc.text)
        if doc.id in ids or key in texts:
            excluded += 1
        elif key and doc.id not in seen:
            seen.add(doc.id)
            kept.append(doc)
    return Pool(kept, excluded, sources)


def check_pools(project: LoadedProject, cache_dir: Path | None = None) -> list[Finding]:
    """Pools are validated like data: readable UTF-8, ids unique, texts non-empty and within the size limit
    (``cache_dir``: where URL sources are downloaded)."""
    from nerspec.corpus.checks import MAX_DOCUMENT_CHARS

    findings: list[Finding] = []
    for index, source in pool_sources(project):
        if source.format not in names("pool"):
            problem = project.locate(("spec", "data", index, "format"), "")
            findings.append(Finding("error", "pool_format", f"an unlabeled source is one of {', '.join(names('pool'))}",
                                    None, problem.file, line=problem.line, col=problem.col))
            continue
        if source.path is not None and not (project.dir / source.path).exists():  # named where the manifest says it
            problem = project.locate(("spec", "data", index, "path"), f"`{source.path}` does not exist")
            findings.append(Finding("error", "unreadable_pool", f"{problem.where}: {problem.message}", None,
                                    problem.file, line=problem.line, col=problem.col))
            continue
        try:
            from nerspec.corpus.load import source_path

            path = source_path(project, index, cache_dir)
            docs = read_pool_file(path, source.format, project.dir if source.path is not None else None)
        except DataError as exc:
            findings.extend(Finding("error", "unreadable_pool", p.message, None, p.file, line=p.line, col=p.col)
                            for p in exc.problems)
            continue
        findings.extend(duplicate_ids(docs))
        for doc in docs:
            if not doc.text.strip():
                findings.append(at_document(doc, "warning", "empty_document", "empty pool document (skipped)"))
            elif len(doc.text) > MAX_DOCUMENT_CHARS:
                findings.append(at_document(doc, "error", "document_too_long",
                                            f"{len(doc.text)} characters; the limit is {MAX_DOCUMENT_CHARS}"))
    return findings


def duplicate_ids(docs: list[Document]) -> list[Finding]:
    """Each document of one pool whose id an earlier one has, located at the repeat and naming the first."""
    seen: dict[str, Document] = {}
    found = []
    for doc in docs:
        first = seen.setdefault(doc.id, doc)
        if first is doc:
            continue
        where = (f"line {first.line}" if first.line and first.location == doc.location
                 else f"{first.location}:{first.line}" if first.line else first.location)
        found.append(at_document(doc, "error", "duplicate_id", f"duplicate pool document id (first at {where})"))
    return found
