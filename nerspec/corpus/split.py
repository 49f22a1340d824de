"""Train/test split policies, all deterministic for a given manifest and data.

``random``: a document is in test iff ``unit_hash(id, seed) < test_fraction``. Its side is a function
of its id and the seed alone, so adding or removing documents never moves another document: test
sets stay comparable across pull requests. Class shares are kept only in expectation.

``manual``: the data's ``dataset`` field (documents without one train).

``stratified``: documents are grouped into strata; a document's stratum is its rarest label (the
label carried by the fewest documents of the corpus, ties by name), or "none" without labels. For
single-label classification that is simply its class. Stratum ``s`` with ``n_s`` documents puts
exactly ``quota(n_s) = clamp(round_half_up(n_s * f), 1, n_s - 1)`` documents in test (0 when
``n_s < 2``): the ones with the smallest ``unit_hash(id, seed)``. Equivalently, a document's side
depends only on its own hash compared with its stratum's cut ``t_s`` (the smallest cut that takes
``quota(n_s)`` documents), so a stratum's test share is within ``0.5 / n_s`` of ``f`` (before the
clamp that keeps every stratum of two or more documents on both sides).

Stability guarantee of ``stratified`` (tested with hypothesis in tests/corpus/test_split_stratified.py).
When documents are added and no old document changes stratum:

- a stratum that received no new document keeps every old document on its side;
- a stratum that received ``m_s`` new documents, ``a_s`` of which land in test, moves exactly
  ``|quota(n_s + m_s) - quota(n_s) - a_s| <= m_s`` of its old documents, all in the same direction,
  and only the old documents whose hash lies between the old and the new cut;
- removing documents is the mirror image (``m_s`` removed documents move at most ``m_s`` others).

Exact shares and zero movement cannot both hold (a quota that grows by one must take an old
document whenever the new one hashes above the cut), so this trades the few boundary moves above
(about ``sqrt(m_s * f * (1 - f))`` for a batch of ``m_s``) for shares that do not drift. For
single-label classification the stratum is the document's own class, so the condition always
holds. With several labels per document (NER, multi-label) an old document changes stratum only
when an addition reorders how many documents carry its labels; and a label that still misses a
side although two or more documents carry it (it hides in rarer labels' strata) is repaired by
moving one carrier, listed in ``SplitResult.moved``: those are the only other moves.

``dev_split`` carves the early-stopping dev set from the train side with the same stratified rule
(its own hash salt), so every class with two or more training documents is seen in dev, under the
same guarantee.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from nerspec.corpus.model import Corpus, Document

_SCALE = float(1 << 64)

# Part of every model fingerprint: which documents land in test is a function of the data, the settings
# and this algorithm. Bump it whenever a change to this module can move a document between sides, so models
# trained (and baselines evaluated) under the old split are never reused or compared as if nothing changed.
SPLIT_ALGORITHM = 2


@dataclass
class SplitResult:
    train: list[Document]
    test: list[Document]
    moved: list[str] = field(default_factory=list)  # ids a stratified repair moved, for explanations

    def side_of(self) -> dict[str, str]:
        return {**{d.id: "train" for d in self.train}, **{d.id: "test" for d in self.test}}


def unit_hash(doc_id: str, seed: int, salt: str = "split") -> float:
    """A uniform number in [0, 1) that depends only on the id, the seed and the purpose."""
    digest = hashlib.blake2b(f"{salt}\x00{seed}\x00{doc_id}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def _labels_of(doc: Document) -> set[str]:
    return {s.label for s in doc.spans} | set(doc.labels)


def quota(n: int, fraction: float) -> int:
    """How many of a stratum's ``n`` documents go to the smaller side (test, or dev).

    Round half up rather than Python's banker's rounding: the quota must never decrease when a
    document is added (the stability bound relies on it growing by 0 or 1 per document). The clamp
    keeps both sides non-empty for strata of two or more documents.
    """
    if n < 2:
        return 0
    return min(max(math.floor(n * fraction + 0.5), 1), n - 1)


def strata(documents: list[Document]) -> dict[str | None, list[Document]]:
    """Documents grouped by their rarest label (``None`` for documents without labels).

    The rarest label is the one that decides whether the small classes are balanced: stratifying on
    it gives each rare label its own quota, while common labels even out across many strata.
    """
    frequency: Counter[str] = Counter(label for doc in documents for label in _labels_of(doc))
    groups: dict[str | None, list[Document]] = defaultdict(list)
    for doc in documents:
        labels = _labels_of(doc)
        key = min(labels, key=lambda name: (frequency[name], name)) if labels else None
        groups[key].append(doc)
    return groups


def _lowest_per_stratum(documents: list[Document], u: dict[str, float], fraction: float) -> set[str]:
    """Ids of the ``quota(n_s)`` smallest hashes of every stratum (the per-stratum cut)."""
    chosen: set[str] = set()
    for docs in strata(documents).values():
        # (hash, id): ties are practically impossible, the id keeps the order a pure function anyway.
        ranked = sorted(docs, key=lambda d: (u[d.id], d.id))
        chosen.update(d.id for d in ranked[: quota(len(ranked), fraction)])
    return chosen


def split_documents(
    documents: list[Document], policy: str = "random", test_fraction: float = 0.2, seed: int = 13
) -> SplitResult:
    if policy == "manual":
        return SplitResult([d for d in documents if d.dataset != "test"], [d for d in documents if d.dataset == "test"])
    u = {d.id: unit_hash(d.id, seed) for d in documents}
    moved: list[str] = []
    if policy == "stratified":
        test_ids = _lowest_per_stratum(documents, u, test_fraction)
        in_test = {d.id: d.id in test_ids for d in documents}
        moved = _repair(documents, u, in_test)
    else:
        in_test = {d.id: u[d.id] < test_fraction for d in documents}
    return SplitResult(
        [d for d in documents if not in_test[d.id]], [d for d in documents if in_test[d.id]], moved
    )


def _repair(documents: list[Document], u: dict[str, float], in_test: dict[str, bool]) -> list[str]:
    """Move one carrier of every label that occurs in 2+ documents but misses a side.

    Strata already cover each stratum's own label, so this only fires for a label that occurs
    solely in documents with an even rarer label (NER, multi-label); single-label never needs it.
    """
    carriers: dict[str, list[Document]] = defaultdict(list)
    for doc in documents:
        for label in _labels_of(doc):
            carriers[label].append(doc)
    moved: list[str] = []  # few entries: a list keeps the order for explanations
    # Rarest labels first: their single move matters most and may already cover a commoner label.
    for label in sorted(carriers, key=lambda name: (len(carriers[name]), name)):
        docs = carriers[label]
        if len(docs) < 2:
            continue
        sides = {in_test[d.id] for d in docs}
        if len(sides) == 2:
            continue
        # Prefer documents not moved yet, so one repair does not undo another.
        candidates = [d for d in docs if d.id not in moved] or docs
        if True in sides:  # all in test: the largest hash is the closest to training
            chosen = max(candidates, key=lambda d: (u[d.id], d.id))
        else:
            chosen = min(candidates, key=lambda d: (u[d.id], d.id))
        in_test[chosen.id] = not in_test[chosen.id]
        moved.append(chosen.id)
    return moved


def split_corpus(project: object, corpus: Corpus) -> SplitResult:
    """The split of a ``LoadedProject``'s corpus under its manifest's policy."""
    split = project.manifest.spec.split  # type: ignore[attr-defined]
    return split_documents(corpus.documents, split.policy, split.test_fraction, split.seed)


def dev_split(train_docs: list[Document], fraction: float, seed: int) -> tuple[list[Document], list[Document]]:
    """Carve a dev set from the training side only: stratified like ``stratified`` (own hash salt).

    Early stopping scores every label, so a class missing from dev reads as F1 0 and steers the
    stop; the per-stratum quota puts every class with two or more training documents in dev.
    """
    if fraction <= 0 or len(train_docs) < 2:
        return list(train_docs), []
    u = {d.id: unit_hash(d.id, seed, "dev") for d in train_docs}
    dev_ids = _lowest_per_stratum(train_docs, u, fraction)
    if not dev_ids:  # only single-document strata: a tiny project still needs something to stop early on
        dev_ids = {min(u, key=lambda i: (u[i], i))}
    # Never all of train: quotas stop at n_s - 1 and the fallback takes one of two or more documents.
    return [d for d in train_docs if d.id not in dev_ids], [d for d in train_docs if d.id in dev_ids]
