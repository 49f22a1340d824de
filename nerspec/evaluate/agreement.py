"""Annotator agreement: how far the people who labeled the data agree with each other (a score, like evaluation).

Over documents with several annotations (``Document.annotations``; each annotator's newest annotation counts):
- NER: pairwise strict span F1 (exact start, end and type), symmetric (2 x matches / both annotators' spans);
  the overall figure and each type's pool every pair's counts (micro); each pair also has its own;
- classification: Cohen's kappa per pair (single-label: over the classes; multi-label: the mean of each class's
  yes/no kappa), overall the mean over pairs weighted by shared documents; span F1 is left out (``f1`` None);
- ``documents``: where annotators disagree, for adjudication.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from nerspec.corpus.model import Annotation, Document, Span


@dataclass
class _Counts:
    matched: int = 0
    total: int = 0  # both annotators' spans

    def f1(self) -> float | None:
        return 2 * self.matched / self.total if self.total else None


@dataclass(frozen=True)
class PairAgreement:
    a: str
    b: str
    documents: int
    f1: float | None
    kappa: float | None

    def to_json(self) -> dict[str, object]:
        return {"a": self.a, "b": self.b, "documents": self.documents, "f1": _r(self.f1), "kappa": _r(self.kappa)}


@dataclass(frozen=True)
class Disagreement:
    id: str
    annotators: list[str]
    labelings: int  # distinct labelings among them

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "annotators": self.annotators, "labelings": self.labelings}


@dataclass(frozen=True)
class Agreement:
    f1: float | None
    kappa: float | None
    pairs: list[PairAgreement] = field(default_factory=list)
    per_label: dict[str, float | None] = field(default_factory=dict)
    documents: list[Disagreement] = field(default_factory=list)
    annotated: int = 0  # documents with several annotators

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"f1": _r(self.f1), "pairs": [p.to_json() for p in self.pairs],
                               "per_label": {k: _r(v) for k, v in self.per_label.items()},
                               "documents": [d.to_json() for d in self.documents], "annotated": self.annotated}
        if self.kappa is not None:
            out["kappa"] = _r(self.kappa)
        return out


def agreement(docs: Sequence[Document], spans: bool, multilabel: bool = False) -> Agreement:
    """Agreement over every document of ``docs`` that several annotators labeled."""
    shared = [(doc, _newest(doc.annotations)) for doc in docs if len({a.annotator for a in doc.annotations}) > 1]
    # Each document's own pairs, not every pair of every annotator per document: a crowd of 600 annotators, three
    # per document, made 180,000 pairs each scanning all 3,000 documents (38 s; quadratic in the crowd's size).
    together: dict[tuple[str, str], list[tuple[Annotation, Annotation]]] = defaultdict(list)
    for _, by in shared:
        for a, b in combinations(sorted(by), 2):
            together[a, b].append((by[a], by[b]))
    pairs: list[PairAgreement] = []
    overall = _Counts()
    per_label: dict[str, _Counts] = defaultdict(_Counts)
    kappas: list[tuple[float, int]] = []
    for (a, b), both in sorted(together.items()):
        counts = _Counts()
        for x, y in both:
            _count_spans(x.spans, y.spans, counts, overall, per_label)
        kappa = None if spans else _kappa([x.labels for x, _ in both], [y.labels for _, y in both], multilabel)
        if kappa is not None:
            kappas.append((kappa, len(both)))
        pairs.append(PairAgreement(a, b, len(both), counts.f1() if spans else None, kappa))
    documents = []
    for doc, by in shared:
        versions = {(tuple(sorted(x.spans)), tuple(sorted(x.labels))) for x in by.values()}
        if len(versions) > 1:
            documents.append(Disagreement(doc.id, sorted(by), len(versions)))
    weight = sum(n for _, n in kappas)
    return Agreement(
        f1=overall.f1() if spans else None,
        kappa=sum(k * n for k, n in kappas) / weight if kappas and weight else None,
        pairs=pairs,
        per_label={label: c.f1() for label, c in sorted(per_label.items())} if spans else {},
        documents=documents,
        annotated=len(shared),
    )


def _newest(annotations: list[Annotation]) -> dict[str, Annotation]:
    return {a.annotator: a for a in annotations}  # oldest first: the newest of each annotator wins


def _count_spans(x: Sequence[Span], y: Sequence[Span], pair: _Counts, overall: _Counts,
                 per_label: dict[str, _Counts]) -> None:
    xs, ys = set(x), set(y)
    matched = xs & ys
    for counts in (pair, overall):
        counts.matched += len(matched)
        counts.total += len(xs) + len(ys)
    for span in matched:
        per_label[span.label].matched += 1
    for span in [*xs, *ys]:
        per_label[span.label].total += 1


def _kappa(x: list[tuple[str, ...]], y: list[tuple[str, ...]], multilabel: bool) -> float | None:
    if not multilabel:
        return _cohen([_first(v) for v in x], [_first(v) for v in y])
    classes = sorted({c for v in [*x, *y] for c in v})
    values = [k for c in classes if (k := _cohen([c in v for v in x], [c in v for v in y])) is not None]
    return sum(values) / len(values) if values else None


def _first(value: tuple[str, ...]) -> str:
    return value[0] if value else ""


def _cohen(x: Sequence[Hashable], y: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' categories for the same items; 1.0 when both always give one category."""
    n = len(x)
    if not n:
        return None
    observed = sum(a == b for a, b in zip(x, y, strict=True)) / n
    cx, cy = Counter(x), Counter(y)
    expected = sum(cx[c] * cy[c] for c in cx) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
