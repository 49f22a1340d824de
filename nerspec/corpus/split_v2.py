"""Split version 2 of ``policy: stratified``, kept so a project can pin its test set (``split: {version: 2}``).

Version 2 gave every stratum (a document's rarest label) an exact quota, ``clamp(round_half_up(n * f), 1, n - 1)``
documents with the smallest ``unit_hash(id, seed)``, and moved one carrier of a label missing from a side. Exact
shares, but an addition could move old documents between train and test (the reason for version 3). New projects
get version 3; a project pinned to 2 keeps the test set its deployed models were scored on.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from nerspec.corpus.model import Document


def _labels_of(doc: Document) -> set[str]:
    return {s.label for s in doc.spans} | set(doc.labels)


def quota(n: int, fraction: float) -> int:
    if n < 2:
        return 0
    return min(max(math.floor(n * fraction + 0.5), 1), n - 1)


def test_ids(documents: list[Document], u: dict[str, float], fraction: float) -> set[str]:
    """Ids on the test side under stratified version 2 (``u``: each id's ``unit_hash``)."""
    frequency: Counter[str] = Counter(label for doc in documents for label in _labels_of(doc))
    groups: dict[str | None, list[Document]] = defaultdict(list)
    for doc in documents:
        labels = _labels_of(doc)
        groups[min(labels, key=lambda name: (frequency[name], name)) if labels else None].append(doc)
    in_test: dict[str, bool] = {d.id: False for d in documents}
    for docs in groups.values():
        ranked = sorted(docs, key=lambda d: (u[d.id], d.id))
        for d in ranked[: quota(len(ranked), fraction)]:
            in_test[d.id] = True
    _repair(documents, u, in_test)
    return {i for i, t in in_test.items() if t}


def _repair(documents: list[Document], u: dict[str, float], in_test: dict[str, bool]) -> None:
    carriers: dict[str, list[Document]] = defaultdict(list)
    for doc in documents:
        for label in _labels_of(doc):
            carriers[label].append(doc)
    moved: list[str] = []
    for label in sorted(carriers, key=lambda name: (len(carriers[name]), name)):
        docs = carriers[label]
        if len(docs) < 2 or len({in_test[d.id] for d in docs}) == 2:
            continue
        candidates = [d for d in docs if d.id not in moved] or docs
        if in_test[docs[0].id]:
            chosen = max(candidates, key=lambda d: (u[d.id], d.id))
        else:
            chosen = min(candidates, key=lambda d: (u[d.id], d.id))
        in_test[chosen.id] = not in_test[chosen.id]
        moved.append(chosen.id)
