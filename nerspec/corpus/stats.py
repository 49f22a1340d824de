"""The data-distribution view: per label, instances and documents in train, test and total."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, TypedDict

from nerspec.corpus.model import Document
from nerspec.corpus.split import SplitResult

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.manifest.load import LoadedProject

SIDES = ("train", "test")


class LabelCounts(TypedDict):
    instances: int
    documents: int


class SideStats(TypedDict):
    documents: int
    labels: dict[str, LabelCounts]


def side_stats(documents: list[Document], labels: list[str] | tuple[str, ...] = ()) -> SideStats:
    """``{"documents": N, "labels": {LABEL: {"instances", "documents"}}}`` of one side.

    For classification a label's instances equal its documents, so kind-agnostic readers work.
    """
    instances: Counter[str] = Counter()
    containing: Counter[str] = Counter()
    for doc in documents:
        if doc.spans:
            instances.update(s.label for s in doc.spans)
            containing.update({s.label for s in doc.spans})
        if doc.labels:
            unique = set(doc.labels)
            instances.update(unique)
            containing.update(unique)
    names = list(dict.fromkeys([*labels, *sorted(instances)]))
    return {
        "documents": len(documents),
        "labels": {n: {"instances": instances[n], "documents": containing[n]} for n in names},
    }


def data_stats(label_field: str, labels: list[str], split: SplitResult) -> dict[str, object]:
    """The ``nerspec data stats --json`` shape: ``{"documents": {...}, "entities"|"classes": {...}}`` (``label_field``:
    the manifest's name of the labels, which keys the table)."""
    per_side = {"train": side_stats(split.train, labels), "test": side_stats(split.test, labels)}
    total = side_stats([*split.train, *split.test], labels)
    key = label_field
    table: dict[str, dict[str, LabelCounts]] = {}
    for name in total["labels"]:
        row = {side: per_side[side]["labels"].get(name, {"instances": 0, "documents": 0}) for side in SIDES}
        row["total"] = total["labels"][name]
        table[name] = row
    out: dict[str, object] = {"documents": {"train": len(split.train), "test": len(split.test)}, key: table}
    languages = _languages(split)
    if languages:
        out["languages"] = languages
    return out


def _languages(split: SplitResult) -> dict[str, dict[str, int]]:
    """Documents per language and side, when documents declare two or more languages (``und``: those without)."""
    counts: dict[str, dict[str, int]] = {}
    for side, docs in (("train", split.train), ("test", split.test)):
        for doc in docs:
            if doc.language:
                row = counts.setdefault(doc.language, {"train": 0, "test": 0})
                row[side] += 1
    if len(counts) < 2:
        return {}  # one language: nothing to break down
    undetermined = {side: sum(1 for d in docs if not d.language) for side, docs in (("train", split.train), ("test", split.test))}
    if any(undetermined.values()):
        counts["und"] = undetermined
    return dict(sorted(counts.items()))


def project_stats(project: LoadedProject, corpus: Corpus) -> dict[str, object]:
    from nerspec.corpus.split import split_corpus

    labels = [label.name for label in project.manifest.spec.labels]
    return data_stats(project.manifest.spec.label_field, labels, split_corpus(project, corpus))
