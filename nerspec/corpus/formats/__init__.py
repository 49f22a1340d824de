"""Importers and exporters, one module per format, in one typed table: the manifest's ``format:`` names the entry.

Each format module implements ``FormatModule`` (``read(path, project_dir)``, ``referenced_files(path)``,
``write(documents, out_dir, info)``); what nerspec may do with a format is an attribute of its ``Format`` entry.
Modules are imported on first use, so looking a format up costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from nerspec.corpus.formats.common import ProjectInfo
    from nerspec.corpus.model import Document


class FormatModule(Protocol):
    def read(self, path: Path, project_dir: Path | None = None) -> list[Document]: ...

    def referenced_files(self, path: Path) -> list[Path]: ...

    def write(self, documents: list[Document], out_dir: Path, info: ProjectInfo) -> Path: ...


@dataclass(frozen=True)
class Format:
    name: str  # the manifest's ``format:`` value
    load: Callable[[], FormatModule]  # imports the module
    directory: bool = False  # a downloaded (``url:``) source is an archive of a directory
    pool: bool = False  # an unlabeled pool (``unlabeled: true``) can be read from it
    fixable: bool = False  # ``validate --fix-whitespace`` rewrites its spans
    drafts: bool = False  # ``nerspec label`` writes pre-labels in it
    overlaps: bool = False  # it holds overlapping and nested spans (a list of spans, not tags on tokens or ``ents``)
    # It holds them for an ``overlapping: true`` project only (a DocBin's span group; a flat project's is ``ents``).
    span_groups: bool = False
    spans: bool = True  # it holds entity spans (``folders`` holds classes only: export refuses an NER project)
    index: bool = False  # read through an index file naming the documents (a downloaded archive: the JSON in it)


# A ``Format`` flag, for ``names``.
Capability = Literal["directory", "pool", "fixable", "drafts", "overlaps", "span_groups", "spans", "index"]


def _azure() -> FormatModule:
    from nerspec.corpus.formats import azure

    return azure


def _jsonl() -> FormatModule:
    from nerspec.corpus.formats import jsonl

    return jsonl


def _labelstudio() -> FormatModule:
    from nerspec.corpus.formats import labelstudio

    return labelstudio


def _doccano() -> FormatModule:
    from nerspec.corpus.formats import doccano

    return doccano


def _prodigy() -> FormatModule:
    from nerspec.corpus.formats import prodigy

    return prodigy


def _conll() -> FormatModule:
    from nerspec.corpus.formats import conll

    return conll


def _docbin() -> FormatModule:
    from nerspec.corpus.formats import docbin

    return docbin


def _folders() -> FormatModule:
    from nerspec.corpus.formats import folders

    return folders


# In the order ``nerspec export --format`` lists them.
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("azure", _azure, directory=True, fixable=True, overlaps=True, index=True),
    Format("jsonl", _jsonl, pool=True, fixable=True, drafts=True, overlaps=True),
    Format("labelstudio", _labelstudio, pool=True, drafts=True, overlaps=True),
    Format("doccano", _doccano, overlaps=True),
    Format("prodigy", _prodigy, overlaps=True),
    Format("conll", _conll),
    Format("spacy", _docbin, span_groups=True),
    Format("folders", _folders, directory=True, pool=True, spans=False),
)}


def module(fmt: str) -> FormatModule:
    """The format module for a manifest ``format:`` value (imported on demand)."""
    return FORMATS[fmt].load()


def referencing_module(fmt: str) -> FormatModule | None:
    """The format module when it can list the files a source reads (``referenced_files``), else None."""
    return FORMATS[fmt].load() if fmt in FORMATS else None


def names(capability: Capability) -> tuple[str, ...]:
    """The formats with ``capability`` (a ``Format`` flag), by name."""
    return tuple(sorted(name for name, found in FORMATS.items() if getattr(found, capability)))


def holders(overlapping: bool) -> tuple[str, ...]:
    """The formats that hold a project's overlapping spans, by name: those with ``overlaps``, and for an
    ``overlapping`` project also those with ``span_groups``."""
    return tuple(sorted(name for name, found in FORMATS.items() if found.overlaps or (overlapping and found.span_groups)))


def write(fmt: str, documents: list[Document], out_dir: Path, info: ProjectInfo) -> Path:
    """Write ``documents`` in ``fmt`` (``nerspec export``), after refusing what the format cannot hold: every
    document whose spans overlap, for a format that cannot hold this project's overlaps (``holders``),
    located in its source (``DataError``)."""
    from nerspec.corpus.formats.capacity import refuse_overlaps

    able = holders(info.overlapping)
    if fmt not in able:
        refuse_overlaps(fmt, documents, able)
    return module(fmt).write(documents, out_dir, info)


def check_export_target(target: Path, project_dir: Path, source_paths: list[str]) -> None:
    """Refuse an export directory that is not a directory, or that holds (or lies inside) one of the project's
    data sources: a format's files written there could replace the data they were read from, or add documents
    to a folder source."""
    from nerspec.errors import NerspecError

    if target.exists() and not target.is_dir():
        raise NerspecError(f"{target} exists and is not a directory")
    where = target.resolve()
    for relative in source_paths:
        source = (project_dir / relative).resolve()
        if where == source or where in source.parents or source in where.parents:
            raise NerspecError(f"{target}: the project's data source `{relative}` is there; export into another "
                               "directory (its files could be overwritten)")
