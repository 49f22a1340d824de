"""The in-memory corpus every importer produces and every later stage reads.

Offsets are Python string offsets (code points), end exclusive. Conversions to UTF-16 code units
or grapheme clusters happen only at the borders (importers, exporters, the HTTP API).
Plain slotted dataclasses, not pydantic: a corpus may hold 100,000 documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Dataset = Literal["train", "test"]


@dataclass(frozen=True, slots=True, order=True)
class Span:
    start: int
    end: int
    label: str

    def text(self, doc_text: str) -> str:
        return doc_text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotator's labels of a document, where a source holds several (Label Studio, doccano, Prodigy)."""

    annotator: str
    spans: tuple[Span, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(slots=True)
class Document:
    """One labeled document.

    NER documents carry ``spans``; classification documents carry ``labels`` (class names).
    ``dataset`` is the side the data itself assigns (the manual split); ``None`` when unassigned.
    ``source`` and ``location`` name where the document came from, for error messages.
    """

    id: str
    text: str
    spans: list[Span] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    dataset: Dataset | None = None
    source: str = ""
    location: str = ""
    # Where the record starts in ``location`` (1-based; jsonl, conll); 0 when ``location`` is a file
    # holding the text itself, so a text offset maps to a line and column of that file.
    line: int = 0
    # Code-point offset of ``text`` inside the ``location`` file (an Azure region); 0 for whole files.
    offset: int = 0
    # The document's own language (BCP 47-ish, e.g. ``de``, ``en-us``) where its format records one (Azure
    # labels JSON, jsonl ``language``, Label Studio); ``None`` means the project's ``metadata.language``.
    language: str | None = None
    # "" for a labeled document; "draft" for a model's pre-labels nobody reviewed yet (``draft: true``,
    # Label Studio predictions without an annotation); "unlabeled" for a record without any labels
    # (a Label Studio task nobody annotated, a Prodigy answer other than accept). Neither trains.
    status: str = ""
    # Why the labels are uncertain at the source (several annotators disagreed); lint reports it.
    disagreement: str = ""
    # Every annotator's labels, oldest first, where the source holds several; ``spans``/``labels`` are the ones
    # the source's ``annotator`` rule chose (``nerspec.corpus.annotators``). Empty for one annotation.
    annotations: list[Annotation] = field(default_factory=list)
    # What the reader noticed about the record without refusing it (a JSON key given twice); checks warn.
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Corpus:
    documents: list[Document] = field(default_factory=list)
    # Records of labeled sources that are not training data: drafts and unannotated tasks (checks count them).
    set_aside: list[Document] = field(default_factory=list)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def languages(self) -> set[str]:
        """The languages documents declare themselves (normalised, see ``nerspec.languages``)."""
        return {d.language for d in self.documents if d.language}

    def by_id(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}
