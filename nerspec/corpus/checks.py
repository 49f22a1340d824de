"""Data checks: errors block (validate exits 1, apply refuses), warnings are printed.

Every finding names the document, the offsets and a short excerpt, and points at the file (and line)
the document came from. The label checks of each kind (``check_spans``, ``check_classes``) are reached through
the kind the caller hands in (``KindChecks.check``); the rest is kind-agnostic.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from nerspec.corpus.findings import Finding, KindChecks, at_document, budget, excerpt
from nerspec.corpus.model import Corpus, Document, Span
from nerspec.corpus.split import SplitResult, split_corpus

if TYPE_CHECKING:
    from nerspec.corpus.tokens import BoundaryChecker
    from nerspec.manifest.load import LoadedProject

__all__ = ["Finding", "check_corpus", "errors", "warnings"]

# Reference limits (shared/reference/azure-custom-ner.md).
MAX_DOCUMENTS = 100_000
MIN_DOCUMENTS = 10
MAX_DOCUMENT_CHARS = 128_000
MAX_SPAN_CHARS = 500
MAX_FINDINGS_PER_SOURCE = 200  # per file and severity; the rest is counted

# Punctuation that does not belong at a span's edge. A trailing "." is judged separately: "Inc." keeps it.
# The ellipsis and full-width sentence marks end sentences in the same way their ASCII forms do.
EDGE_PUNCTUATION = set(",;:!?\"'`“”‘’«»()[]{}<>|…。．，、；：！？")
OPENERS, CLOSERS = "([{<“‘«", ")]}>”’»"


def check_corpus(project: LoadedProject, corpus: Corpus, kind: KindChecks, split: SplitResult | None = None) -> list[Finding]:
    """All findings for a ``LoadedProject``'s corpus, errors first, then by file and position (``kind``: the
    project's kind, for its label checks)."""
    split = split or split_corpus(project, corpus)
    declared = [label.name for label in project.manifest.spec.labels]
    with budget(MAX_FINDINGS_PER_SOURCE):
        findings = capped(itertools.chain(
            kind.check(project, corpus, declared),
            _documents(project, corpus),
            _languages(project, corpus),
            _unused_labels(project, corpus, declared),
            _texts(corpus, split),
            _test_side(project, corpus, split, declared),
            _set_aside(project, corpus),
        ))
    findings.sort(key=lambda f: (f.severity != "error", f.location, f.line, f.col, f.code))
    return findings


def capped(findings: Iterable[Finding], limit: int = MAX_FINDINGS_PER_SOURCE) -> list[Finding]:
    """The first ``limit`` errors and ``limit`` warnings of each file, and for each file past the limit one
    finding with the count of the rest: a file with 3,000,000 bad spans is a few hundred lines, not millions."""
    kept: list[Finding] = []
    counts: Counter[tuple[str, str]] = Counter()
    for finding in findings:
        key = (finding.location, finding.severity)
        counts[key] += 1
        if counts[key] <= limit:
            kept.append(finding)
    for (location, severity), count in counts.items():
        if count > limit:
            noun = "errors" if severity == "error" else "warnings"
            kept.append(Finding(severity, "more_findings",  # type: ignore[arg-type]
                                f"{count - limit} more {noun} in this file (the first {limit} are shown)",
                                location=location, line=1, col=1 if location else 0))
    return kept


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "warning"]


def _documents(project: LoadedProject, corpus: Corpus) -> Iterator[Finding]:
    count = len(corpus)
    if count == 0:
        yield _at_manifest(project, ("spec", "data"), "error", "no_documents",
                           "no documents: the data sources are empty; nothing can be trained or evaluated")
    elif count > MAX_DOCUMENTS:
        yield _at_manifest(project, ("spec", "data"), "error", "too_many_documents",
                           f"{count} documents; the limit is {MAX_DOCUMENTS}")
    elif count < MIN_DOCUMENTS:
        yield _at_manifest(project, ("spec", "data"), "warning", "too_few_documents",
                           f"only {count} documents; at least {MIN_DOCUMENTS} are needed to train")
    seen: dict[str, Document] = {}
    manual = project.manifest.spec.split.policy == "manual"
    unassigned = 0
    for doc in corpus:
        first = seen.setdefault(doc.id, doc)
        if first is not doc:
            yield at_document(doc, "error", "duplicate_id", f"duplicate document id (also in {first.location})")
        if not doc.text.strip():
            yield at_document(doc, "error", "empty_document", "empty document")
        elif len(doc.text) > MAX_DOCUMENT_CHARS:
            yield at_document(doc, "error", "document_too_long",
                              f"{len(doc.text)} characters; the limit is {MAX_DOCUMENT_CHARS}")
        if manual and doc.dataset is None:
            unassigned += 1
        for note in doc.warnings:
            yield at_document(doc, "warning", "record_warning", note)
    if unassigned:
        yield _at_manifest(project, ("spec", "split", "policy"), "warning", "no_dataset",
                           f"manual split, but {unassigned} documents have no dataset; they train")


def _texts(corpus: Corpus, split: SplitResult) -> Iterator[Finding]:
    by_text: dict[bytes, list[Document]] = defaultdict(list)
    for doc in corpus:
        if doc.text.strip():
            by_text[hashlib.blake2b(doc.text.encode("utf-8"), digest_size=16).digest()].append(doc)
    side = split.side_of()
    for docs in by_text.values():
        if len(docs) < 2:
            continue
        ids = ", ".join(d.id for d in docs[:5]) + (f" and {len(docs) - 5} more" if len(docs) > 5 else "")
        sides = {side.get(d.id) for d in docs}
        if {"train", "test"} <= sides:
            yield at_document(docs[0], "warning", "train_test_leakage",
                              f"the same text is in train and test ({ids})")
        else:
            yield at_document(docs[0], "warning", "duplicate_text", f"{len(docs)} documents have this text ({ids})")


def _languages(project: LoadedProject, corpus: Corpus) -> Iterator[Finding]:
    """A document's own language must be a language code, and one of the project's: a single-language project
    covers ``metadata.language`` only (with any region, ``en-us`` for ``en``); a multilingual one every language
    its documents declare."""
    from nerspec.languages import base, is_valid

    metadata = project.manifest.metadata
    for doc in corpus:
        if not doc.language:
            continue
        if not is_valid(doc.language):
            yield at_document(doc, "error", "invalid_language",
                              f"`{doc.language}` is not a language code (e.g. `de`, `en-us`, `zh-hans`)")
        elif not metadata.multilingual and base(doc.language) != base(metadata.language):
            yield at_document(doc, "error", "language_not_in_project",
                              f"document language `{doc.language}` is not the project's language "
                              f"`{metadata.language}`; set `metadata.multilingual: true` to train one model "
                              "for several languages")


def _unused_labels(project: LoadedProject, corpus: Corpus, declared: list[str]) -> Iterator[Finding]:
    used = {s.label for d in corpus for s in d.spans} | {c for d in corpus for c in d.labels}
    field, noun = project.manifest.spec.label_field, project.manifest.spec.label_noun
    for i, name in enumerate(declared):
        if name not in used:
            yield _at_manifest(project, ("spec", field, i, "name"), "warning", "unused_label",
                               f"{noun} `{name}` has no labels in the data")


def _set_aside(project: LoadedProject, corpus: Corpus) -> Iterator[Finding]:
    """Drafts block (per file, with their count) unless the source allows them; unannotated records warn."""
    allowed = {s.name for s in project.manifest.spec.data if s.allow_drafts}
    groups: dict[tuple[str, str, str], list[Document]] = defaultdict(list)
    for doc in corpus.set_aside:
        groups[(doc.status, doc.source, doc.location)].append(doc)
    for (status, source, location), docs in groups.items():
        first, n = docs[0], len(docs)
        line = first.line or 1
        if status == "draft":
            severity = "warning" if source in allowed else "error"
            hint = (
                "they are left out of training" if source in allowed
                else f"review them (drop `draft: true`, or annotate the task) or set `allow_drafts: true` on source `{source}`"
            )
            message = f"{n} unreviewed draft{'s' if n != 1 else ''} (model pre-labels, first: {first.id}); {hint}"
            yield Finding(severity, "unreviewed_drafts", message, None, location, line=line, col=1)  # type: ignore[arg-type]
        else:
            message = f"{n} record{'s' if n != 1 else ''} without accepted labels (first: {first.id}) left out of training"
            yield Finding("warning", "unlabeled_records", message, None, location, line=line, col=1)


def _test_side(project: LoadedProject, corpus: Corpus, split: SplitResult, declared: list[str]) -> Iterator[Finding]:
    """A split must leave something to evaluate on: no test documents is an error (a model scored on nothing
    reads as F1 0.000 in [0, 0]); a type or class with training instances but none in test is a warning."""
    if not len(corpus):
        return
    if not split.test:
        policy = project.manifest.spec.split.policy
        hint = ("no document has `dataset: Test` (set it in the data, or a source's `dataset:`)"
                if policy == "manual" else "raise `test_fraction` or add documents")
        yield _at_manifest(project, ("spec", "split", "policy"), "error", "no_test_documents",
                           f"the {policy} split leaves no test documents to evaluate on: {hint}")
        return
    in_test = {s.label for d in split.test for s in d.spans} | {c for d in split.test for c in d.labels}
    in_train = {s.label for d in split.train for s in d.spans} | {c for d in split.train for c in d.labels}
    field, noun = project.manifest.spec.label_field, project.manifest.spec.label_noun
    for i, name in enumerate(declared):
        if name in in_train and name not in in_test:
            yield _at_manifest(project, ("spec", field, i, "name"), "warning", "no_test_instances",
                               f"{noun} `{name}` has no instances in the test split; its scores cannot be measured")


def _at_manifest(project: LoadedProject, path: tuple[str | int, ...], severity: str, code: str, message: str) -> Finding:
    problem = project.locate(path, message)
    return Finding(severity, code, message, None, problem.file, line=problem.line, col=problem.col)  # type: ignore[arg-type]


# --- NER ---------------------------------------------------------------------------------------------


def check_spans(
    project: LoadedProject, corpus: Corpus, declared: list[str], overlapping: bool = False
) -> Iterator[Finding]:
    """The NER label checks; ``overlapping`` (the kind's answer for ``spec.overlapping: true``): overlapping and
    nested spans are valid data, only a span given twice (same offsets and type) is an error."""
    from nerspec.corpus.tokens import BoundaryChecker

    known = set(declared)
    # Each document's edges are checked with its own language's tokenizer (multilingual projects).
    checkers: dict[str, BoundaryChecker] = {}
    default_language = project.manifest.metadata.language
    hint = ", ".join(f"`{n}`" for n in declared[:10]) + (" ..." if len(declared) > 10 else "")
    for doc in corpus:
        if not doc.spans:
            continue
        length = len(doc.text)
        valid: list[Span] = []
        for span in doc.spans:
            start, end = span.start, span.end
            if start > end:
                yield at_document(doc, "error", "inverted_span", f"span ends before it starts ({span.label})", end, start)
                continue
            if start < 0 or end > length:
                yield at_document(doc, "error", "span_outside_text",
                                  f"span {start}..{end} is outside the text (length {length})", start, end)
                continue
            if start == end:
                yield at_document(doc, "error", "empty_span", f"empty span ({span.label})", start, end)
                continue
            if span.label not in known:
                yield at_document(doc, "error", "unknown_label",
                                  f"entity type `{span.label}` is not declared in spec.entities ({hint})", start, end)
            if end - start > MAX_SPAN_CHARS:
                yield at_document(doc, "error", "span_too_long",
                                  f"span of {end - start} characters; the limit is {MAX_SPAN_CHARS}", start, end)
            valid.append(span)
            language = doc.language or default_language
            boundaries = checkers.get(language) or checkers.setdefault(language, BoundaryChecker(language))
            yield from _span_edges(doc, span, boundaries)
        yield from (_duplicates(doc, valid) if overlapping else _overlaps(doc, valid))


def _span_edges(doc: Document, span: Span, boundaries: BoundaryChecker) -> Iterator[Finding]:
    text = doc.text
    first, last = text[span.start], text[span.end - 1]
    if first.isspace() or last.isspace():
        yield at_document(doc, "warning", "span_whitespace",
                          f"{span.label} span has leading or trailing whitespace (--fix-whitespace trims it)",
                          span.start, span.end)
        return
    if _stray_punctuation(text[span.start : span.end]):
        yield at_document(doc, "warning", "span_punctuation",
                          f"{span.label} span has leading or trailing punctuation", span.start, span.end)
        return
    if boundaries.enabled and not (
        (_clear(text, span.start) or boundaries.is_boundary(text, span.start))
        and (_clear(text, span.end) or boundaries.is_boundary(text, span.end))
    ):
        yield at_document(doc, "warning", "span_not_on_tokens",
                          f"{span.label} span does not start and end on token boundaries", span.start, span.end)


def _clear(text: str, offset: int) -> bool:
    """The common case, inlined for speed: an edge at the text's ends or next to whitespace is a token boundary."""
    return offset == 0 or offset == len(text) or text[offset - 1].isspace() or text[offset].isspace()


def _stray_punctuation(surface: str) -> bool:
    first, last = surface[0], surface[-1]
    if first in EDGE_PUNCTUATION and not (first in OPENERS and CLOSERS[OPENERS.index(first)] in surface):
        return True
    if last in EDGE_PUNCTUATION and not (last in CLOSERS and OPENERS[CLOSERS.index(last)] in surface):
        return True
    if last == "." and len(surface) > 1:
        # Only a letter can end an abbreviation ("Inc.", "U.S."). After a digit, a bracket, "%" or other
        # punctuation ("$250,000.", "($500,000.00).", "2029.") the dot can only be the sentence's.
        if not surface[-2].isalpha():
            return True
        word = surface[:-1].rsplit(None, 1)[-1]
        # "Inc." and "U.S." keep their dot; a long plain word before it is a sentence end.
        return len(word) >= 5 and "." not in word and word.isalpha()
    return False


def _overlaps(doc: Document, spans: list[Span]) -> Iterator[Finding]:
    if len(spans) < 2:
        return
    ordered = sorted(spans)
    previous = ordered[0]
    for span in ordered[1:]:
        if span.start < previous.end:
            yield at_document(doc, "error", "overlapping_spans",
                              f"{span.label} span overlaps {previous.label} span {previous.start}..{previous.end}",
                              span.start, span.end)
        if span.end > previous.end:
            previous = span


def _duplicates(doc: Document, spans: list[Span]) -> Iterator[Finding]:
    """A span given twice: the only overlap an overlapping project refuses (it would count twice in training)."""
    seen: set[Span] = set()
    for span in spans:
        if span in seen:
            yield at_document(doc, "error", "duplicate_span",
                              f"{span.label} span {span.start}..{span.end} is given twice", span.start, span.end)
        seen.add(span)


# --- classification ----------------------------------------------------------------------------------


def check_classes(project: LoadedProject, corpus: Corpus, declared: list[str]) -> Iterator[Finding]:
    known = set(declared)
    multilabel = bool(project.manifest.spec.multilabel)
    hint = ", ".join(f"`{n}`" for n in declared[:10]) + (" ..." if len(declared) > 10 else "")
    for doc in corpus:
        for name in doc.labels:
            if name not in known:
                yield at_document(doc, "error", "unknown_class", f"class `{name}` is not declared in spec.classes ({hint})")
        if len(set(doc.labels)) != len(doc.labels):
            yield at_document(doc, "warning", "repeated_class", f"a class is listed twice: {', '.join(doc.labels)}")
        if not multilabel and len(set(doc.labels)) != 1:
            message = "no class" if not doc.labels else f"{len(set(doc.labels))} classes ({', '.join(doc.labels)})"
            yield at_document(doc, "error", "single_label_count",
                              f"single-label project, but the document has {message}")


def trim_whitespace(doc: Document) -> list[tuple[Span, Span]]:
    """(old, new) for each span of ``doc`` with whitespace at its edges; spans of only whitespace are left."""
    changes = []
    for span in doc.spans:
        if not (0 <= span.start < span.end <= len(doc.text)):
            continue
        surface = doc.text[span.start : span.end]
        stripped = surface.strip()
        if stripped == surface or not stripped:
            continue
        start = span.start + (len(surface) - len(surface.lstrip()))
        changes.append((span, Span(start, start + len(stripped), span.label)))
    return changes


__all__ += ["excerpt", "trim_whitespace"]
