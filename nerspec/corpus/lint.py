"""Label lint: tagging that is not precise, consistent or complete.

- ``lint_type_conflict``: the same surface string tagged with different types;
- ``lint_untagged``: a string tagged in some documents and left untagged elsewhere (counts, examples);
- ``lint_boundary_variants``: spans that differ only by surrounding punctuation or whitespace.

One pass over the corpus. For untagged occurrences every tagged span is masked out of its document
first (so a hit can never be a tagged occurrence or part of one), the rest is cut into word and
punctuation tokens, and tagged strings are looked up as token n-grams indexed by their first token;
a set intersection skips documents without any candidate. No per-string scans, no regex alternation.
A hit counts only if it starts and ends on a token boundary of the project language's tokenizer
(``nerspec.corpus.tokens``, the same test as the ``span_not_on_tokens`` check): the regex tokens are
finer than spaCy's, so ``$39,000`` is a token n-gram of ``$39,000,900`` but not a token of it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import islice
from typing import TYPE_CHECKING

from nerspec.corpus.findings import Finding, KindChecks, at_document
from nerspec.corpus.model import Corpus, Document
from nerspec.corpus.tokens import BoundaryChecker

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject

TOKEN = re.compile(r"\w+|[^\w\s]")
# A masked span becomes one "\x00" token padded with spaces to the span's length: the token breaks n-grams
# across the removed span, and keeping the length keeps token offsets equal to offsets in the document.
MASK_TOKEN = "\x00"
EDGE = " \t\r\n.,;:!?\"'`“”‘’«»()[]{}<>|-–—"
EXAMPLES = 3
MAX_NGRAM = 8


def lint_corpus(project: LoadedProject, corpus: Corpus, kind: KindChecks) -> list[Finding]:
    """The kind's label lint (``kind``: the project's kind, handed down) and the annotators' disagreements."""
    findings = kind.lint(corpus, project.manifest.metadata.language)
    return [*findings, *annotator_disagreements(corpus)]


def annotator_disagreements(corpus: Corpus) -> list[Finding]:
    """``lint_annotator_disagreement``: several annotators labeled a document differently (Label Studio)."""
    return [at_document(doc, "warning", "lint_annotator_disagreement", doc.disagreement) for doc in corpus if doc.disagreement]


def lint_ner(corpus: Corpus, language: str = "en", overlapping: bool = False) -> list[Finding]:
    """NER lint; ``overlapping`` (the kind's answer for ``spec.overlapping: true``): a tagged string inside another
    tagged span still counts as untagged unless a span covers exactly it (a nested place left untagged)."""
    tagged: dict[str, Counter[str]] = defaultdict(Counter)  # surface -> type -> count
    tagged_docs: dict[str, set[str]] = defaultdict(set)
    first_doc: dict[tuple[str, str], tuple[Document, int, int]] = {}
    for doc in corpus:
        for span in doc.spans:
            if not (0 <= span.start < span.end <= len(doc.text)):
                continue  # a check reports it
            surface = doc.text[span.start : span.end]
            tagged[surface][span.label] += 1
            tagged_docs[surface].add(doc.id)
            first_doc.setdefault((surface, span.label), (doc, span.start, span.end))
    findings = [*_type_conflicts(tagged, first_doc), *_boundary_variants(tagged, first_doc)]
    findings.extend(_untagged(corpus, tagged, tagged_docs, BoundaryChecker(language), overlapping))
    return findings


def _type_conflicts(tagged: dict[str, Counter[str]], first_doc: dict[tuple[str, str], tuple[Document, int, int]]) -> list[Finding]:
    out = []
    for surface, types in tagged.items():
        if len(types) < 2:
            continue
        ranked = types.most_common()
        detail = ", ".join(f"{label} {count}×" for label, count in ranked)
        examples = "; ".join(f"{label} in {first_doc[(surface, label)][0].id}" for label, _ in ranked[:EXAMPLES])
        doc, start, end = first_doc[(surface, ranked[-1][0])]
        out.append(at_document(doc, "warning", "lint_type_conflict",
                               f"`{surface}` is tagged with different types ({detail}; e.g. {examples})", start, end))
    return out


def _boundary_variants(tagged: dict[str, Counter[str]], first_doc: dict[tuple[str, str], tuple[Document, int, int]]) -> list[Finding]:
    groups: dict[str, list[str]] = defaultdict(list)
    for surface in tagged:
        core = surface.strip(EDGE)
        if core:
            groups[core].append(surface)
    out = []
    for core, surfaces in groups.items():
        if len(surfaces) < 2:
            continue
        counts = {s: sum(tagged[s].values()) for s in surfaces}
        ranked = sorted(surfaces, key=lambda s: (-counts[s], s))
        detail = ", ".join(f"`{s}` {counts[s]}×" for s in ranked)
        rare = ranked[-1]
        doc, start, end = first_doc[(rare, tagged[rare].most_common(1)[0][0])]
        out.append(at_document(doc, "warning", "lint_boundary_variants",
                               f"spans of `{core}` differ only by surrounding punctuation or whitespace ({detail})",
                               start, end))
    return out


def _untagged(corpus: Corpus, tagged: dict[str, Counter[str]], tagged_docs: dict[str, set[str]],
              boundaries: BoundaryChecker, overlapping: bool = False) -> list[Finding]:
    by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    surface_of: dict[tuple[str, ...], str] = {}
    for surface in tagged:
        # At most one token past the limit: a surface is only a candidate when short, and tokenizing each of 10,000
        # nested spans of a long document in full took 5 s a document (quadratic in the document's length).
        gram = tuple(m.group() for m in islice(TOKEN.finditer(surface), MAX_NGRAM + 1))
        # Single characters and pure punctuation match too much to mean anything.
        if not gram or len(gram) > MAX_NGRAM or len(surface) < 2 or not any(t[0].isalnum() or t[0] == "_" for t in gram):
            continue
        if gram not in surface_of:
            by_first[gram[0]].append(gram)
            surface_of[gram] = surface
    first_tokens = set(by_first)
    hits: Counter[tuple[str, ...]] = Counter()
    hit_docs: dict[tuple[str, ...], list[Document]] = defaultdict(list)
    first_hit: dict[tuple[str, ...], tuple[int, int]] = {}
    check_edges = boundaries.enabled
    for doc in corpus:
        # Flat spans are masked; overlapping ones are not (a masked outer span would hide what nests inside it),
        # so there an occurrence is tagged when a span covers exactly it.
        text = doc.text if overlapping else _masked(doc)
        exact = {(s.start, s.end) for s in doc.spans} if overlapping else set()
        tokens = TOKEN.findall(text)
        if first_tokens.isdisjoint(tokens):
            continue
        # Offsets only for documents with a candidate; the masked text has the document's length, so they
        # are offsets into doc.text as well.
        edges = [m.span() for m in TOKEN.finditer(text)]
        for i, token in enumerate(tokens):
            candidates = by_first.get(token)
            if candidates is None:
                continue
            for gram in candidates:
                if len(gram) == 1 or tuple(tokens[i : i + len(gram)]) == gram:
                    start, end = edges[i][0], edges[i + len(gram) - 1][1]
                    if check_edges and not (boundaries.is_boundary(doc.text, start) and boundaries.is_boundary(doc.text, end)):
                        continue  # part of a longer token, e.g. `$39,000` in `$39,000,900`
                    if (start, end) in exact:
                        continue
                    hits[gram] += 1
                    first_hit.setdefault(gram, (start, end))
                    seen = hit_docs[gram]
                    if not seen or seen[-1] is not doc:
                        seen.append(doc)
    return _untagged_findings(hits, hit_docs, first_hit, surface_of, tagged, tagged_docs)


def _untagged_findings(
    hits: Counter[tuple[str, ...]], hit_docs: dict[tuple[str, ...], list[Document]],
    first_hit: dict[tuple[str, ...], tuple[int, int]], surface_of: dict[tuple[str, ...], str],
    tagged: dict[str, Counter[str]], tagged_docs: dict[str, set[str]],
) -> list[Finding]:
    out = []
    for gram, count in sorted(hits.items(), key=lambda item: (-item[1], surface_of[item[0]])):
        surface = surface_of[gram]
        docs = hit_docs[gram]
        types = tagged[surface]
        detail = ", ".join(f"{label}" for label, _ in types.most_common())
        n_tagged = sum(types.values())
        examples = ", ".join(d.id for d in docs[:EXAMPLES])
        doc = docs[0]
        start, end = first_hit[gram]
        out.append(at_document(
            doc, "warning", "lint_untagged",
            f"`{surface}` is tagged as {detail} {n_tagged}× in {len(tagged_docs[surface])} documents but untagged "
            f"{count}× in {len(docs)} documents (e.g. {examples})",
            start, end,
        ))
    return out


def _masked(doc: Document) -> str:
    """``doc.text`` with every span (overlapping ones merged) replaced by a same-length mask."""
    text = doc.text
    if not doc.spans:
        return text
    parts, position = [], 0
    for span in sorted(doc.spans):
        start, end = max(span.start, position), min(span.end, len(text))
        if end <= start:
            continue  # inside an already masked span, or invalid (a check reports those)
        parts.append(text[position:start])
        parts.append(MASK_TOKEN + " " * (end - start - 1))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def lint_classification(corpus: Corpus, language: str = "en") -> list[Finding]:
    """The same text labeled with different classes in different documents.

    ``language`` is unused: it is here so that every kind's ``ProjectKind.lint`` takes the same arguments.
    """
    by_text: dict[str, list[Document]] = defaultdict(list)
    for doc in corpus:
        if doc.text.strip():
            by_text[doc.text].append(doc)
    out = []
    for docs in by_text.values():
        variants = {tuple(sorted(set(d.labels))) for d in docs}
        if len(docs) > 1 and len(variants) > 1:
            detail = "; ".join(f"{d.id}: {', '.join(d.labels) or 'no class'}" for d in docs[:EXAMPLES])
            out.append(at_document(docs[0], "warning", "lint_class_conflict",
                                   f"the same text has different classes ({detail})"))
    return out
