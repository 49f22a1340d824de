"""``Finding``: one data problem with its document, offsets, excerpt and file position."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from nerspec.corpus.model import Document
from nerspec.errors import Problem

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.json_types import JsonObject
    from nerspec.manifest.load import LoadedProject

Severity = Literal["error", "warning"]
CONTEXT = 20


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    doc_id: str | None = None
    location: str = ""  # the file (display path) the finding points at
    start: int | None = None
    end: int | None = None
    excerpt: str = ""  # plain text; reports escape it
    line: int = 0
    col: int = 0

    def problem(self) -> Problem:
        where = ""
        if self.doc_id is not None:
            where = self.doc_id if self.start is None else f"{self.doc_id}[{self.start}:{self.end}]"
        message = f"{self.message}: {self.excerpt}" if self.excerpt else self.message
        if self.severity == "warning":
            message = f"warning: {message}"
        return Problem(self.location, self.line, self.col, where, message)

    def to_dict(self) -> JsonObject:
        """The JSON of a finding (``validate --json``, ``lint --json``, the run result's ``lint``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Finding:
        """The finding ``to_dict`` wrote (fields it does not know are ignored: a newer writer's)."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)  # type: ignore[arg-type]  # the values to_dict wrote


_ONE_LINE = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\u2028": " ", "\u2029": " ", "\x0b": " ", "\x0c": " "})


def flatten(text: str) -> str:
    """One line, same length: excerpts keep their offsets readable."""
    return text.translate(_ONE_LINE)


def excerpt(text: str, start: int | None = None, end: int | None = None, width: int = CONTEXT) -> str:
    """A short one-line excerpt; a span is marked with brackets: ``…the [Acme Corp] loan…``."""
    if start is None or end is None:
        short = flatten(text[: 3 * width])
        return short + ("…" if len(text) > 3 * width else "")
    lo, hi = max(0, min(start, end, len(text))), min(len(text), max(start, end, 0))
    inner = text[lo:hi]
    if len(inner) > 3 * width:
        inner = inner[:width] + "…" + inner[-width:]
    left = text[max(0, lo - width) : lo]
    right = text[hi : hi + width]
    return (
        ("…" if lo > width else "")
        + flatten(left)
        + "["
        + flatten(inner)
        + "]"
        + flatten(right)
        + ("…" if hi + width < len(text) else "")
    )


def position(doc: Document, offset: int | None) -> tuple[int, int]:
    """(line, col) of a text offset in the document's file; the record's line for jsonl and conll."""
    if doc.line:
        return doc.line, 1
    if offset is None or doc.offset or not doc.location:
        return (1, 1) if doc.location else (0, 0)
    offset = max(0, min(offset, len(doc.text)))
    line = doc.text.count("\n", 0, offset) + 1
    col = offset - (doc.text.rfind("\n", 0, offset) + 1) + 1
    return line, col


# Per (file, severity): how many findings each check may still describe in full (``budget``). Past it a finding
# is only counted, so its excerpt and position are not worth computing for a file with millions of bad spans.
_BUDGET: ContextVar[tuple[Counter[tuple[str, str]], int] | None] = ContextVar("nerspec_findings_budget", default=None)


@contextmanager
def budget(limit: int) -> Iterator[None]:
    """Inside this block, ``at_document`` describes at most ``limit`` findings per file and severity in full."""
    token = _BUDGET.set((Counter(), limit))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def at_document(
    doc: Document, severity: Severity, code: str, message: str, start: int | None = None, end: int | None = None
) -> Finding:
    spent = _BUDGET.get()
    if spent is not None:
        counts, limit = spent
        counts[(doc.location, severity)] += 1
        if counts[(doc.location, severity)] > limit:
            return Finding(severity, code, message, doc.id, doc.location, start, end)  # counted, never shown
    line, col = position(doc, start)
    return Finding(
        severity, code, message, doc.id, doc.location, start, end, excerpt(doc.text, start, end), line, col
    )


class KindChecks(Protocol):
    """What the data checks ask of the project's kind; the caller hands it down (``nerspec.kinds.ProjectKind``)."""

    def check(self, project: LoadedProject, corpus: Corpus, declared: list[str]) -> Iterable[Finding]:
        """The kind's label checks (``check_spans``, ``check_classes``)."""
        ...

    def lint(self, corpus: Corpus, language: str) -> list[Finding]:
        """The kind's label lint (``lint_ner``, ``lint_classification``)."""
        ...
