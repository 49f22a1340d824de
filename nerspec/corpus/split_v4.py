"""Split version 4 of ``policy: stratified`` (the default): exact class quotas, recorded sides never move.

Exact per-stratum shares that never move a document whose side is recorded. A document's stratum is its class
(single-label) or its rarest label (multi-label, NER). Recorded documents (``recorded``: id -> in test) keep their
side. The others are taken in hash order (``unit_hash(id, seed)``) and each goes where its stratum needs it: to
test when the stratum's test count is more than half a document below ``test_fraction x its size so far``, to
train when more than half above, by the hash (``< test_fraction``) on a tie. A stratum filled this way stays
within half a document of its quota; one that drifted (documents removed) is pulled back by the next additions.

Why recorded and not a pure function of the data: if a document's side depends only on the current document set
and additions must never move it, then its side is the same as in the set holding only itself, i.e. a function of
the document alone (a hash), and a hash gives binomial shares, not quotas. Order of arrival is history, so it has
to be kept somewhere: the state, next to the models trained on it, so ``plan`` stays a pure function of manifest,
observed state and fingerprints. Without a recorded assignment (a fresh state) the documents are assigned from
scratch in hash order, which is reproducible from the data alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from nerspec.corpus.model import Document

_TIE = 1e-9


def _labels_of(doc: Document) -> set[str]:
    return {s.label for s in doc.spans} | set(doc.labels)


def strata_of(documents: Sequence[Document]) -> dict[str, str | None]:
    """Each document's stratum: its rarest label in this corpus (ties by name), ``None`` without labels."""
    frequency: Counter[str] = Counter(label for doc in documents for label in _labels_of(doc))
    out: dict[str, str | None] = {}
    for doc in documents:
        labels = _labels_of(doc)
        out[doc.id] = min(labels, key=lambda name: (frequency[name], name)) if labels else None
    return out


def assign_test(
    documents: Sequence[Document], fraction: float, seed: int, recorded: Mapping[str, bool] | None,
    unit_hash: Callable[[str, int], float],
) -> set[str]:
    """Ids on the test side (see the module docstring)."""
    recorded = recorded or {}
    stratum = strata_of(documents)
    size: Counter[str | None] = Counter()
    tested: Counter[str | None] = Counter()
    out: set[str] = set()
    new: list[Document] = []
    for doc in documents:
        if doc.id not in recorded:
            new.append(doc)
            continue
        size[stratum[doc.id]] += 1
        if recorded[doc.id]:
            tested[stratum[doc.id]] += 1
            out.add(doc.id)
    for doc in sorted(new, key=lambda d: (unit_hash(d.id, seed), d.id)):
        group = stratum[doc.id]
        size[group] += 1
        gap = fraction * size[group] - tested[group]
        if gap > 0.5 + _TIE or (abs(gap - 0.5) <= _TIE and unit_hash(doc.id, seed) < fraction):
            tested[group] += 1
            out.add(doc.id)
    return out
