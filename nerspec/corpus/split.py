"""Train/test split policies and the dev carve: deterministic, and stable under additions and removals.

The one rule every policy keeps: **adding or removing documents never moves any other document**
between train and test (nor between train and dev). A document's side is therefore a function of the
document itself (its id, its ``dataset`` field) and the settings, never of the other documents.

``stratified`` since split version 4 (``nerspec.corpus.split_v4``) is the one exception, by design: exact class
quotas need history, so the sides a project's models were trained on are recorded in the state and handed in
(``recorded``); recorded documents never move and new ones go where their class needs them. The rest of this
docstring describes version 3 (``split.version: 3``) and the other policies.

``random`` and ``stratified`` version 3: a document is in test iff ``unit_hash(id, seed) < test_fraction``.
``stratified`` applies that threshold within every stratum (a class, or a document's label set); as
the threshold is the same in every stratum, both policies assign a document identically, so switching
between them moves nothing. What the hash buys a stratum of ``n`` documents is a binomial share:
its test share is ``test_fraction`` in expectation with standard deviation
``sigma = sqrt(f (1 - f) / n)``, and ``|share - f| <= 4 sigma + 1 / n`` (tested with hypothesis in
tests/corpus/test_split_stratified.py; a breach has probability below 1e-4 per stratum). Tighter
shares (an exact per-stratum quota, split version 2) necessarily move old documents whenever a quota
grows, which breaks the rule above; a stratum of very few documents may therefore lack a side:
``nerspec data stats`` and the checks say so.

``manual``: the data's ``dataset`` field (documents without one train).

``dev_split`` carves the early-stopping dev set from the train side with its own hash salt:
``unit_hash(id, seed, "dev") < dev_fraction``; when that selects nothing (tiny projects), training
selects its checkpoint on the train set instead of borrowing a document (which would move one).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from nerspec.corpus.model import Corpus, Document

_SCALE = float(1 << 64)

# Which documents land in test is a function of the data, the settings and these versions. Bump a policy's
# version whenever a change to this module can move a document of that policy between sides; plan names the
# change. The model fingerprint hashes the assignment itself, so a bump retrains only projects whose
# assignment really changed.
SPLIT_VERSIONS = {"random": 2, "manual": 2, "stratified": 4}
DEV_CARVE_VERSION = 2
# Kept for callers that report one number: the newest version of any policy.
SPLIT_ALGORITHM = max(SPLIT_VERSIONS.values())


@dataclass
class SplitResult:
    train: list[Document]
    test: list[Document]
    moved: list[str] = field(default_factory=list)  # always empty since split version 3 (nothing is moved)

    def side_of(self) -> dict[str, str]:
        return {**{d.id: "train" for d in self.train}, **{d.id: "test" for d in self.test}}


def unit_hash(doc_id: str, seed: int, salt: str = "split") -> float:
    """A uniform number in [0, 1) that depends only on the id, the seed and the purpose."""
    digest = hashlib.blake2b(f"{salt}\x00{seed}\x00{doc_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def _labels_of(doc: Document) -> set[str]:
    return {s.label for s in doc.spans} | set(doc.labels)


def stratum_of(doc: Document) -> tuple[str, ...]:
    """A document's stratum: its own sorted label set (for single-label classification, its class).

    It depends on the document alone, so an addition never changes another document's stratum.
    """
    return tuple(sorted(_labels_of(doc)))


def strata(documents: list[Document]) -> dict[tuple[str, ...], list[Document]]:
    groups: dict[tuple[str, ...], list[Document]] = defaultdict(list)
    for doc in documents:
        groups[stratum_of(doc)].append(doc)
    return groups


def in_test(doc: Document, policy: str, test_fraction: float, seed: int) -> bool:
    """The side of one document, from the document alone (the stability rule)."""
    if policy == "manual":
        return doc.dataset == "test"
    # random and stratified: the same per-document threshold (see the module docstring).
    return unit_hash(doc.id, seed) < test_fraction


def effective_version(policy: str, pinned: int | None = None) -> int:
    """The split version a policy runs: the manifest's pin (``split.version``) or the newest."""
    return pinned if pinned is not None and policy == "stratified" else SPLIT_VERSIONS[policy]


def split_documents(
    documents: list[Document], policy: str = "random", test_fraction: float = 0.2, seed: int = 13,
    version: int | None = None, recorded: Mapping[str, bool] | None = None,
) -> SplitResult:
    """``recorded``: the sides stratified version 4 recorded in the state (id -> in test); ignored otherwise."""
    if policy == "stratified" and effective_version(policy, version) in (2, 4):
        from nerspec.corpus import split_v2, split_v4

        if effective_version(policy, version) == 4:
            test = split_v4.assign_test(documents, test_fraction, seed, recorded, unit_hash)
        else:
            test = split_v2.test_ids(documents, {d.id: unit_hash(d.id, seed) for d in documents}, test_fraction)
        return SplitResult([d for d in documents if d.id not in test], [d for d in documents if d.id in test])
    sides = [in_test(d, policy, test_fraction, seed) for d in documents]
    return SplitResult(
        [d for d, t in zip(documents, sides) if not t], [d for d, t in zip(documents, sides) if t]
    )


def quota(n: int, fraction: float) -> int:
    """Version 2's per-stratum test quota (``nerspec.corpus.split_v2``); kept for callers that size a side."""
    from nerspec.corpus.split_v2 import quota as v2_quota

    return v2_quota(n, fraction)


def split_corpus(project: object, corpus: Corpus) -> SplitResult:
    """The split of a ``LoadedProject``'s corpus under its manifest's policy."""
    split = project.manifest.spec.split  # type: ignore[attr-defined]
    recorded = project.recorded_split  # type: ignore[attr-defined]
    return split_documents(corpus.documents, split.policy, split.test_fraction, split.seed, split.version, recorded)


def dev_split(train_docs: list[Document], fraction: float, seed: int) -> tuple[list[Document], list[Document]]:
    """Carve a dev set from the training side only: ``unit_hash(id, seed, "dev") < fraction``.

    May return an empty dev set (tiny projects, or ``dev_fraction: 0``); training then selects its
    checkpoint on the train set.
    """
    if fraction <= 0:
        return list(train_docs), []
    dev = [unit_hash(d.id, seed, "dev") < fraction for d in train_docs]
    return [d for d, x in zip(train_docs, dev) if not x], [d for d, x in zip(train_docs, dev) if x]


SIDES = ("train", "dev", "test")


@dataclass(frozen=True)
class Sides:
    """Every document's side (``train``, ``dev`` or ``test``; dev is the carve of the train side) and, per class
    or entity type, how many documents carrying it each side holds: what ``nerspec data split`` prints."""

    documents: dict[str, str]
    counts: dict[str, dict[str, int]]

    def to_json(self) -> dict[str, dict[str, str] | dict[str, dict[str, int]]]:
        return {"documents": self.documents, "counts": self.counts}


def sides(project: object, corpus: Corpus) -> Sides:
    """The split of a ``LoadedProject``'s corpus under its manifest, with the training dev carve."""
    spec = project.manifest.spec  # type: ignore[attr-defined]
    split = split_corpus(project, corpus)
    kept, dev = dev_split(split.train, spec.training.dev_fraction, spec.training.seed)
    side = {**{d.id: "train" for d in kept}, **{d.id: "dev" for d in dev}, **{d.id: "test" for d in split.test}}
    counts = {label.name: dict.fromkeys(SIDES, 0) for label in spec.labels}
    for doc in corpus.documents:
        for label in _labels_of(doc):
            counts.setdefault(label, dict.fromkeys(SIDES, 0))[side[doc.id]] += 1
    return Sides({d.id: side[d.id] for d in corpus.documents}, counts)
