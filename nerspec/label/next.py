"""Which pool documents to label next: ranked by how much labeling each would help the model.

Strategies (deterministic for a given model, pool and seed):

- ``uncertainty``: the model's own doubt. NER: the expected number of wrong entities, the sum of
  ``1 - confidence`` over the entities the model predicts (so a document with several shaky entities
  outranks one with a single one); classification: ``1 - confidence`` of the predicted class (single-label:
  a low top probability means a near-tie between classes), or the distance of each class to the
  threshold (multi-label). Confidences come from ``nerspec.predict`` (the one prediction path).
- ``diverse`` (default): uncertainty mixed with novelty, picked greedily. A document's novelty is the share
  of its word types found neither in the labeled data nor in the documents already picked for this batch,
  so each pick makes similar documents less attractive; a document whose words overlap a picked one's by
  ``NEAR_DUPLICATE`` or more (Jaccard) is never picked in the same batch. Uncertainty enters as a
  percentile rank, so its scale (entity counts vs probabilities) does not matter.
- ``random``: a seeded hash order (the baseline; no model needed).

Documents predicted to contain an entity type (class) that guidance calls under-represented get a bonus
and say so in their reasons. A production pool (``--pool DEPLOYMENT``, ``nerspec.monitor.pool``) also gives
each document how unlike the training data it is (the drift signals per document, 0 to 1), weighed in with
``UNLIKE_WEIGHT`` by both model-based strategies.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from nerspec.corpus.model import Document
from nerspec.kinds import kind_of
from nerspec.predictions import Prediction

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject
    from nerspec.manifest.load import LoadedProject
    from nerspec.monitor.pool import ProductionPool
    from nerspec.predict import Predictor

T = TypeVar("T")

STRATEGIES = ("diverse", "uncertainty", "random")
NEAR_DUPLICATE = 0.8
NOVELTY_WEIGHT = 0.5
UNDER_REPRESENTED_BONUS = 0.25
NEAR_TIE = 0.6  # single-label: a top probability below this is a near-tie
NOVEL_REASON = 0.2  # novelty worth naming as a reason
UNLIKE_WEIGHT = 0.5
_WORD = re.compile(r"[^\W\d_]{2,}|\d+", re.UNICODE)


@dataclass
class Pick:
    id: str
    score: float
    reasons: list[str]
    document: Document
    prediction: Prediction = field(default_factory=list)

    def to_json(self) -> JsonObject:
        return {"id": self.id, "score": self.score, "reasons": [*self.reasons]}


@dataclass
class _Candidate:
    doc: Document
    prediction: Prediction
    uncertainty: float
    reasons: list[str]
    words: frozenset[str]
    tie: str
    unlike: float = 0.0


def words_of(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(text))


def tie_key(seed: int, doc_id: str) -> str:
    return hashlib.sha256(f"{seed}\0{doc_id}".encode("utf-8", "surrogatepass")).hexdigest()


def rank(
    pool: Sequence[Document],
    n: int,
    *,
    strategy: str = "diverse",
    seed: int = 0,
    predictions: Iterable[Prediction] | None = None,
    spans: bool = True,
    multilabel: bool = False,
    threshold: float = 0.5,
    labeled: Sequence[Document] = (),
    under_represented: dict[str, str] | None = None,
    unlike: dict[str, tuple[float, str]] | None = None,
) -> list[Pick]:
    """The ``n`` most useful documents of ``pool``, best first.

    ``predictions``: the model's output per pool document (``Predictor.pipe``), required unless ``random``.
    ``under_represented``: label -> why guidance calls it under-represented. ``unlike``: document id -> how
    unlike the training data it is (0 to 1) and why (a production pool).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    if strategy == "random":
        order = sorted(pool, key=lambda d: tie_key(seed, d.id))[:n]
        return [Pick(d.id, 0.0, ["random pick (baseline)"], d) for d in order]
    assert predictions is not None
    under = under_represented or {}
    candidates = [
        _candidate(doc, pred, seed, spans, multilabel, threshold, under) for doc, pred in zip(pool, predictions)
    ]
    for c in candidates:
        score, reason = (unlike or {}).get(c.doc.id, (0.0, ""))
        c.unlike = score
        if reason:
            c.reasons.insert(0, reason)
    if strategy == "uncertainty":
        best = sorted(candidates, key=lambda c: (-(c.uncertainty + UNLIKE_WEIGHT * c.unlike), c.tie))[:n]
        return [Pick(c.doc.id, round(c.uncertainty, 4), c.reasons, c.doc, c.prediction) for c in best]
    return _diverse(candidates, n, labeled)


def _candidate(
    doc: Document, prediction: Prediction, seed: int, spans: bool, multilabel: bool, threshold: float,
    under: dict[str, str],
) -> _Candidate:
    if spans:
        uncertainty, reasons = _ner_uncertainty(prediction)
    else:
        uncertainty, reasons = _class_uncertainty(prediction, multilabel, threshold)
    rare = sorted({p.category for p in prediction} & set(under))
    if rare:
        uncertainty += UNDER_REPRESENTED_BONUS * len(rare)
        reasons.extend(f"predicts {label}, which guidance calls under-represented ({under[label]})" for label in rare)
    return _Candidate(doc, prediction, uncertainty, reasons, words_of(doc.text), tie_key(seed, doc.id))


def _ner_uncertainty(prediction: Prediction) -> tuple[float, list[str]]:
    if not prediction:
        return 0.0, []
    doubt = sum(1.0 - p.confidence for p in prediction)
    low = min(prediction, key=lambda p: p.confidence)
    reason = f"lowest entity confidence {low.confidence:.2f} (`{low.text or ''}` as {low.category})"
    if len(prediction) > 1:
        reason += f"; {len(prediction)} predicted entities, expected wrong {doubt:.2f}"
    return doubt, [reason]


def _class_uncertainty(prediction: Prediction, multilabel: bool, threshold: float) -> tuple[float, list[str]]:
    if not prediction:
        return 0.5, ["no class reaches the threshold"] if multilabel else ["no class predicted"]
    if not multilabel:
        top = prediction[0]
        p = top.confidence
        reason = f"top class {top.category} only {p:.2f}"
        if p < NEAR_TIE:
            reason = f"near-tie between classes: {reason}"
        return 1.0 - p, [reason]
    span = max(threshold, 1.0 - threshold)
    closest = min(prediction, key=lambda c: c.confidence)
    p = closest.confidence
    return 1.0 - abs(p - threshold) / span, [f"{closest.category} at {p:.2f}, near the threshold {threshold:.2f}"]


def _percentiles(values: list[float]) -> list[float]:
    """Each value's rank in [0, 1]; equal values share a rank (all zero doubt ranks 0)."""
    order = sorted(set(values))
    if len(order) < 2:
        return [0.0 for _ in values]
    rank_of = {v: i / (len(order) - 1) for i, v in enumerate(order)}
    return [rank_of[v] for v in values]


def _novelty(words: frozenset[str], seen: set[str]) -> float:
    return len(words - seen) / len(words) if words else 0.0


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _diverse(candidates: list[_Candidate], n: int, labeled: Sequence[Document]) -> list[Pick]:
    seen: set[str] = set()
    for doc in labeled:
        seen |= words_of(doc.text)
    doubt = _percentiles([c.uncertainty for c in candidates])
    weight = 1.0 - NOVELTY_WEIGHT
    # Lazy greedy: novelty only falls as ``seen`` grows, so a stale score is an upper bound and the
    # heap top is picked once its fresh score still beats the next bound (exact greedy, few recomputations).
    heap = [(-(weight * d + NOVELTY_WEIGHT * _novelty(c.words, seen) + UNLIKE_WEIGHT * c.unlike), c.tie, i)
            for i, (c, d) in enumerate(zip(candidates, doubt))]
    heapq.heapify(heap)
    picked: list[Pick] = []
    picked_words: list[frozenset[str]] = []
    while heap and len(picked) < n:
        _, tie, i = heapq.heappop(heap)
        c = candidates[i]
        novelty = _novelty(c.words, seen)
        fresh = weight * doubt[i] + NOVELTY_WEIGHT * novelty + UNLIKE_WEIGHT * c.unlike
        if heap and -heap[0][0] > fresh + 1e-12:
            heapq.heappush(heap, (-fresh, tie, i))
            continue
        if any(_jaccard(c.words, w) >= NEAR_DUPLICATE for w in picked_words):
            continue  # a near-duplicate of a document already in this batch
        reasons = list(c.reasons)
        if novelty >= NOVEL_REASON:
            reasons.append(f"new vocabulary: {novelty:.0%} of its words are in no labeled document or earlier pick")
        if not reasons:
            reasons.append("fills the batch: no more uncertain or novel document is left")
        picked.append(Pick(c.doc.id, round(fresh, 4), reasons, c.doc, c.prediction))
        picked_words.append(c.words)
        seen |= c.words
    return picked


def under_represented(labeled: Sequence[Document], labels: Sequence[str], spans: bool) -> dict[str, str]:
    """Labels the evaluation guidance flags as having too little training data, with guidance's wording."""
    from nerspec.metrics.guidance import Sides, guidance, side_stats

    train = side_stats(labeled, spans)
    data: Sides = {"train": train, "test": side_stats([], spans)}
    out: dict[str, str] = {}
    unit = "instances" if spans else "documents"

    def count(label: str) -> int:
        stats = train["labels"].get(label)
        return 0 if stats is None else stats["instances"] if spans else stats["documents"]

    for item in guidance(spans, labels, data, {"labels": [], "matrix": []}, []):
        if item["code"] in ("few_instances", "below_recommended", "few_documents"):
            for label in item["labels"]:
                out[label] = f"{count(label)} training {unit}"
        elif item["code"] == "imbalance" and len(item["labels"]) == 2:
            small = item["labels"][1]
            out.setdefault(small, f"{count(small)} training {unit}, imbalanced")
    return out


@dataclass
class Batch:
    picks: list[Pick]
    pool_size: int
    already_labeled: int
    model: str  # the fingerprint of the model that ranked ("" for random)
    spans: bool


def next_batch(
    project: LoadedProject,
    n: int,
    *,
    pool: str | None = None,
    strategy: str = "diverse",
    seed: int = 0,
    predictor: Predictor | Callable[[], Predictor] | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    production: ProductionPool | None = None,
) -> Batch:
    """``nerspec label next``: load the labeled corpus and the pool, predict (unless random), rank.

    ``predictor`` is a ``nerspec.predict.Predictor`` (or a callable returning one, called only when needed).
    ``production``: a ``nerspec.monitor.pool.ProductionPool`` to rank instead of a declared pool or file.
    """
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.pool import exclude_labeled, load_pool

    corpus = load_corpus(project, cache_dir)
    if production is not None:
        found = exclude_labeled(production.documents, corpus, [f"production:{production.deployment}"])
    else:
        found = load_pool(project, corpus, pool, cache_dir)
    spans = kind_of(project.kind).annotates_spans
    labels = [label.name for label in project.manifest.spec.labels]
    if strategy == "random":
        picks = rank(found.documents, n, strategy="random", seed=seed)
        return Batch(picks, len(found.documents), found.already_labeled, "", spans)
    model = _loaded(predictor)
    texts, languages = [d.text for d in found.documents], [d.language for d in found.documents]
    predictions = counted(model.pipe(texts, languages=languages), len(found.documents), progress)
    picks = rank(
        found.documents, n, strategy=strategy, seed=seed, predictions=predictions, spans=spans,
        multilabel=bool(getattr(model, "multilabel", False)), threshold=float(getattr(model, "threshold", 0.5)),
        labeled=corpus.documents, under_represented=under_represented(corpus.documents, labels, spans),
        unlike=production.unlike if production is not None else None,
    )
    return Batch(picks, len(found.documents), found.already_labeled, str(model.fingerprint), spans)


def _loaded(predictor: Predictor | Callable[[], Predictor] | None) -> Predictor:
    """The predictor, built on first need when the caller passed a function that builds it."""
    if predictor is None:
        raise ValueError("ranking by the model needs a predictor")  # a caller's mistake, never the user's
    if callable(predictor) and not hasattr(predictor, "pipe"):
        return predictor()
    return cast("Predictor", predictor)


def counted(items: Iterable[T], total: int, progress: Callable[[int, int], None] | None, every: int = 64) -> Iterator[T]:
    """``items`` unchanged, calling ``progress(done, total)`` every ``every`` items and at the end."""
    # counted before yielding: zip() stops at the shorter input without resuming this generator
    for done, item in enumerate(items, 1):
        if progress is not None and (done % every == 0 or done == total):
            progress(done, total)
        yield item
