"""Label lint: tagging that is not precise, consistent or complete.

- ``lint_type_conflict``: the same surface string tagged with different types;
- ``lint_untagged``: a string tagged in some documents and left untagged elsewhere (counts, examples);
- ``lint_boundary_variants``: spans that differ only by surrounding punctuation or whitespace.

One pass over the corpus. For untagged occurrences every tagged span is masked out of its document
first (so a hit can never be a tagged occurrence or part of one), the rest is cut into word and
punctuation tokens, and tagged strings are looked up as token n-grams indexed by their first token;
a set intersection skips documents without any candidate. No per-string scans, no regex alternation.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from nerspec.corpus.findings import Finding, at_document
from nerspec.corpus.model import Corpus, Document

TOKEN = re.compile(r"\w+|[^\w\s]")
MASK = " \x00 "  # never inside a token: breaks n-grams across a removed span
EDGE = " \t\r\n.,;:!?\"'`“”‘’«»()[]{}<>|-–—"
EXAMPLES = 3
MAX_NGRAM = 8


def lint_corpus(project: Any, corpus: Corpus) -> list[Finding]:
    return _PER_KIND[project.kind](corpus)


def lint_ner(corpus: Corpus) -> list[Finding]:
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
    findings.extend(_untagged(corpus, tagged, tagged_docs))
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


def _untagged(corpus: Corpus, tagged: dict[str, Counter[str]], tagged_docs: dict[str, set[str]]) -> list[Finding]:
    by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    surface_of: dict[tuple[str, ...], str] = {}
    for surface in tagged:
        tokens = tuple(TOKEN.findall(surface))
        # Single characters and pure punctuation match too much to mean anything.
        if not tokens or len(tokens) > MAX_NGRAM or len(surface) < 2 or not any(t[0].isalnum() or t[0] == "_" for t in tokens):
            continue
        if tokens not in surface_of:
            by_first[tokens[0]].append(tokens)
            surface_of[tokens] = surface
    first_tokens = set(by_first)
    hits: Counter[tuple[str, ...]] = Counter()
    hit_docs: dict[tuple[str, ...], list[Document]] = defaultdict(list)
    for doc in corpus:
        text = _masked(doc)
        tokens = TOKEN.findall(text)
        if first_tokens.isdisjoint(tokens):
            continue
        for i, token in enumerate(tokens):
            candidates = by_first.get(token)
            if candidates is None:
                continue
            for gram in candidates:
                if len(gram) == 1 or tuple(tokens[i : i + len(gram)]) == gram:
                    hits[gram] += 1
                    seen = hit_docs[gram]
                    if not seen or seen[-1] is not doc:
                        seen.append(doc)
    out = []
    for gram, count in sorted(hits.items(), key=lambda item: (-item[1], surface_of[item[0]])):
        surface = surface_of[gram]
        docs = hit_docs[gram]
        types = tagged[surface]
        detail = ", ".join(f"{label}" for label, _ in types.most_common())
        n_tagged = sum(types.values())
        examples = ", ".join(d.id for d in docs[:EXAMPLES])
        doc = docs[0]
        start, end = _untagged_offsets(doc, surface)
        out.append(at_document(
            doc, "warning", "lint_untagged",
            f"`{surface}` is tagged as {detail} {n_tagged}× in {len(tagged_docs[surface])} documents but untagged "
            f"{count}× in {len(docs)} documents (e.g. {examples})",
            start, end,
        ))
    return out


def _masked(doc: Document) -> str:
    if not doc.spans:
        return doc.text
    parts, position = [], 0
    for span in sorted(doc.spans):
        if span.start >= position:
            parts.append(doc.text[position : max(span.start, position)])
        parts.append(MASK)
        position = max(position, span.end)
    parts.append(doc.text[position:])
    return "".join(parts)


def _untagged_offsets(doc: Document, surface: str) -> tuple[int | None, int | None]:
    """The first occurrence of ``surface`` outside every span, on word edges (for the excerpt)."""
    pattern = re.compile(r"(?<!\w)" + re.escape(surface) + r"(?!\w)") if surface[:1].isalnum() else re.compile(re.escape(surface))
    for match in pattern.finditer(doc.text):
        if all(match.end() <= s.start or match.start() >= s.end for s in doc.spans):
            return match.start(), match.end()
    return None, None


def lint_classification(corpus: Corpus) -> list[Finding]:
    """The same text labeled with different classes in different documents."""
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


_PER_KIND: dict[str, Callable[[Corpus], list[Finding]]] = {
    "NERProject": lint_ner,
    "TextClassificationProject": lint_classification,
}
