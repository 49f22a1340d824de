"""Train/test split policies, all deterministic for a given manifest and data.

``random``: a document's side is a function of its id and the seed alone, so adding or removing
documents never moves another document: test sets stay comparable across pull requests.
``manual``: the data's ``dataset`` field (documents without one train).
``stratified``: the ``random`` assignment, then a repair for every label (entity type or class)
that would be missing from one side although it occurs in at least two documents: the document
carrying it with the smallest hash moves over. Hashing keeps proportions per label in expectation;
the repair covers the small labels where chance alone would leave a side empty. An addition can
only move an old document when it makes such a repair unnecessary (the new document covers the
side), so old documents never move while a label's side is already covered.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from nerspec.corpus.model import Corpus, Document

_SCALE = float(1 << 64)


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


def split_documents(
    documents: list[Document], policy: str = "random", test_fraction: float = 0.2, seed: int = 13
) -> SplitResult:
    if policy == "manual":
        return SplitResult([d for d in documents if d.dataset != "test"], [d for d in documents if d.dataset == "test"])
    u = {d.id: unit_hash(d.id, seed) for d in documents}
    in_test = {d.id: u[d.id] < test_fraction for d in documents}
    moved: list[str] = []
    if policy == "stratified":
        moved = _repair(documents, u, in_test)
    return SplitResult(
        [d for d in documents if not in_test[d.id]], [d for d in documents if in_test[d.id]], moved
    )


def _repair(documents: list[Document], u: dict[str, float], in_test: dict[str, bool]) -> list[str]:
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
            chosen = max(candidates, key=lambda d: u[d.id])
        else:
            chosen = min(candidates, key=lambda d: u[d.id])
        in_test[chosen.id] = not in_test[chosen.id]
        moved.append(chosen.id)
    return moved


def split_corpus(project: object, corpus: Corpus) -> SplitResult:
    """The split of a ``LoadedProject``'s corpus under its manifest's policy."""
    split = project.manifest.spec.split  # type: ignore[attr-defined]
    return split_documents(corpus.documents, split.policy, split.test_fraction, split.seed)


def dev_split(train_docs: list[Document], fraction: float, seed: int) -> tuple[list[Document], list[Document]]:
    """Carve a dev set from the training side only, deterministically and stable under additions."""
    if fraction <= 0 or len(train_docs) < 2:
        return list(train_docs), []
    u = {d.id: unit_hash(d.id, seed, "dev") for d in train_docs}
    dev_ids = {i for i, value in u.items() if value < fraction}
    if not dev_ids:  # a tiny project still needs something to stop early on
        dev_ids = {min(u, key=u.__getitem__)}
    if len(dev_ids) == len(u):
        dev_ids.discard(max(u, key=u.__getitem__))
    return [d for d in train_docs if d.id not in dev_ids], [d for d in train_docs if d.id in dev_ids]
