"""Calibrated confidence: fit a map from raw model scores to probabilities, and measure calibration.

What is calibrated (the "item"): NER, each returned entity (correct when its start, end and type match a
gold entity exactly); classification, each returned class (correct when the document has that class).
The raw score of an item is what ``nerspec.predict`` computes before calibration: an entity's probability
under the greedy parser's action scores (``nerspec.confidence``; a beam marginal for artifacts fitted on a beam),
a class's softmax (single-label) or sigmoid (multi-label) probability.

Method, fitted at training time on the dev carve and stored in the artifact's ``meta.json`` (``calibration``):
**Platt scaling** below ``ISOTONIC_MIN_ITEMS`` (1,000) dev items, **isotonic regression** from there on.
- Platt: ``sigmoid(a * logit(raw) + b)``, two parameters fitted by Newton's method on the log-loss with Platt's
  smoothed targets. NER raw scores sit at or within a hair of 1.0, so the logit is taken of the score clipped to
  ``[1e-6, 1 - 1e-6]``: a slope ``a`` below 1 brings an entity at raw 1.0 down to the precision such entities
  have. Two parameters are what a dev carve of a few dozen to a few hundred items can pin down.
- Isotonic (pool-adjacent-violators) maps each raw score to the observed accuracy of items scored like it,
  whatever the shape, but every step is estimated from the items in it, so it needs many. Each fitted step gets
  ``PRIOR_ITEMS`` (3) pseudo-items at the dev accuracy, so a step of a few items is not mapped to exactly 0 or
  1. Between the fitted steps the map is linear (as scikit-learn's ``IsotonicRegression`` interpolates);
  outside them it is clipped.
- Measured test ECE, isotonic vs Platt on the same dev items (docs/defaults.md): WNUT-16 NER, five
  cross-validation folds of 57-81 dev entities each, pooled over ~900 test entities, 0.083 vs 0.039 (the
  committed bench, fold-varying seeds) and 0.083 vs 0.068 (an earlier run with one seed, so one dev carve
  repeated in all folds); BBC News single-label (210 dev items) 0.021 vs 0.017, multi-label (200) 0.006 vs
  0.000; support-tickets (166 cross-fitted items, 54 test tickets, where ECE's own noise is 0.03-0.06) 0.081
  vs 0.096. The usual finding (Niculescu-Mizil and Caruana, 2005): isotonic overfits below about a thousand
  items.
- Both are monotone, so they never reorder confidences, and they need no labels beyond correct/incorrect, so
  one implementation serves both kinds (and single- and multi-label classification).
When no dev set could be carved, the map is fitted on cross-fitted (out-of-fold) scores of
the training documents instead (``nerspec.train.calibrate``; never on the model's own training data, which
would make the fit overconfident). With fewer than ``MIN_ITEMS`` items, or too few training documents to
cross-fit, no calibration is stored and raw scores are returned unchanged (``method: "none"`` with the reason).

Calibration never changes which entities or single-label classes are returned: they are decided on raw model
outputs first (``nerspec.predict``); only ``confidenceScore`` is mapped. Multi-label classification is the
exception: each class has its own map and the decision is made on the calibrated probability
(``nerspec.class_calibration``), because a threshold on raw sigmoids misses classes the model ranks right.

ECE (expected calibration error): items in ``BINS`` equal-width confidence bins; the count-weighted mean of
``|accuracy - mean confidence|`` per bin. ECE measured on a few hundred items is not zero even for a perfectly
calibrated model: each bin's accuracy is a sample. ``reliability`` also returns that floor (``sampling_noise``:
the ECE a perfectly calibrated model with the same confidences would show on as many items, in expectation),
so a reader can tell a calibration error from the size of the test set (54 items: about 0.03-0.12 depending on
where the confidences sit).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypedDict

if TYPE_CHECKING:
    from nerspec.predictions import PredictedLabel

BINS = 10
MIN_ITEMS = 20
ISOTONIC_MIN_ITEMS = 1000  # see the module docstring
PRIOR_ITEMS = 3.0  # see the module docstring
Outcome = tuple[float, bool]  # (confidence, correct)


@dataclass(frozen=True)
class Calibration:
    """A monotone map from raw score to probability: piecewise-linear through (``xs``, ``ys``) for isotonic,
    ``sigmoid(a * logit(raw) + b)`` with ``params == (a, b)`` for Platt; identity when ``method`` is none."""

    method: str = "none"
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()
    items: int = 0
    reason: str | None = None
    extra: dict[str, object] = field(default_factory=dict)  # where it was fitted (``fitted_on``, ``folds``)
    params: tuple[float, ...] = ()

    def __call__(self, raw: float) -> float:
        if self.method == "platt" and len(self.params) == 2:
            return _sigmoid(self.params[0] * _logit(raw) + self.params[1])
        if self.method != "isotonic" or not self.xs:
            return raw
        xs, ys = self.xs, self.ys
        if raw <= xs[0]:
            return ys[0]
        if raw >= xs[-1]:
            return ys[-1]
        i = bisect.bisect_right(xs, raw)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (raw - x0) / (x1 - x0)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"method": self.method, "fitted_on": "dev", "items": self.items}
        if self.method == "isotonic":
            out["x"] = [round(x, 6) for x in self.xs]
            out["y"] = [round(y, 6) for y in self.ys]
        if self.method == "platt":
            out["a"], out["b"] = (round(v, 6) for v in self.params)
        if self.reason:
            out["reason"] = self.reason
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: object) -> Calibration:
        """From ``meta.json``; anything missing or malformed (an artifact older than calibration) is identity."""
        if not isinstance(data, dict) or data.get("method") not in FITTED_METHODS:
            return cls()
        # Where it was fitted travels with it, so evaluations and reports can say so.
        extra: dict[str, object] = {"fitted_on": data["fitted_on"]} if isinstance(data.get("fitted_on"), str) else {}
        items = data.get("items")
        count = int(items) if isinstance(items, int) else 0
        try:
            if data["method"] == "platt":
                a, b = float(data["a"]), float(data["b"])
                if not (math.isfinite(a) and math.isfinite(b)):
                    return cls()
                return cls("platt", items=count, extra=extra, params=(a, b))
            xs = tuple(float(x) for x in data["x"])
            ys = tuple(float(y) for y in data["y"])
        except (KeyError, TypeError, ValueError):
            return cls()
        if not xs or len(xs) != len(ys) or list(xs) != sorted(xs):
            return cls()
        return cls("isotonic", xs, ys, count, extra=extra)


FITTED_METHODS = ("isotonic", "platt")


def fit_calibration(outcomes: Sequence[Outcome], *, reason_if_skipped: str | None = None) -> Calibration:
    """The map for these dev items: Platt scaling below ``ISOTONIC_MIN_ITEMS`` items, isotonic from there on."""
    if reason_if_skipped or len(outcomes) >= ISOTONIC_MIN_ITEMS:
        return fit_isotonic(outcomes, reason_if_skipped=reason_if_skipped)
    return fit_platt(outcomes)


def fit_isotonic(
    outcomes: Sequence[Outcome], *, reason_if_skipped: str | None = None, prior_items: float = PRIOR_ITEMS
) -> Calibration:
    """Pool-adjacent-violators on (raw score, correct); knots at each block's lowest and highest score."""
    if reason_if_skipped:
        return Calibration(items=len(outcomes), reason=reason_if_skipped)
    if (few := _too_few(outcomes)) is not None:
        return few
    # One starting block per distinct score: [sum of correct, count, lowest x, highest x].
    grouped: dict[float, list[float]] = {}
    for score, correct in outcomes:
        g = grouped.setdefault(float(score), [0.0, 0.0])
        g[0] += 1.0 if correct else 0.0
        g[1] += 1.0
    blocks = _pav([[grouped[x][0], grouped[x][1], x, x] for x in sorted(grouped)])
    # A block of a few dev items would map its scores to exactly 0 or 1. Pseudo-items at the dev accuracy
    # per block pull small blocks toward it and leave large ones nearly as they are; pooling again keeps
    # the map monotone.
    accuracy = sum(1 for _, correct in outcomes if correct) / len(outcomes)
    blocks = _pav([[s + prior_items * accuracy, n + prior_items, lo, hi] for s, n, lo, hi in blocks])
    xs: list[float] = []
    ys: list[float] = []
    for s, n, lo, hi in blocks:
        for x in (lo, hi) if hi > lo else (lo,):
            xs.append(x)
            ys.append(s / n)
    return Calibration("isotonic", tuple(xs), tuple(ys), len(outcomes))


# Raw scores are clipped to [EPSILON, 1 - EPSILON] before the logit: NER action-score products reach 1.0 in
# floating point, and a map must stay finite there. 1e-6 is about the resolution of the float32 products near
# 1.0 (scores above it differ by rounding, not evidence). Over two five-fold WNUT-16 runs it was level with 1e-4
# and better than 1e-9 (pooled test ECE 0.054 / 0.053 / 0.071 on average; docs/defaults.md), and made no
# difference on BBC News or support-tickets.
LOGIT_EPSILON = 1e-6


def _logit(p: float) -> float:
    p = min(max(p, LOGIT_EPSILON), 1.0 - LOGIT_EPSILON)
    return math.log(p / (1.0 - p))


def fit_platt(outcomes: Sequence[Outcome]) -> Calibration:
    """Platt scaling on the raw score's logit: ``sigmoid(a * logit(raw) + b)``, by Newton's method on the
    log-loss with Platt's smoothed targets (``(positives + 1) / (positives + 2)`` and ``1 / (negatives + 2)``
    instead of 1 and 0), which keeps a small or separable dev set from mapping anything to certainty."""
    if (few := _too_few(outcomes)) is not None:
        return few
    positives = sum(1 for _, correct in outcomes if correct)
    negatives = len(outcomes) - positives
    hi, lo = (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0)
    xs = [_logit(float(score)) for score, _ in outcomes]
    ts = [hi if correct else lo for _, correct in outcomes]
    a, b = _newton_logistic(xs, ts)
    return Calibration("platt", items=len(outcomes), params=(a, b))


def _newton_logistic(xs: Sequence[float], ts: Sequence[float]) -> tuple[float, float]:
    """(a, b) minimising the log-loss of ``sigmoid(a * x + b)`` against targets ``ts``: Newton steps with a
    backtracking line search (Lin, Lin and Weng's note on Platt's method), so it converges from (0, 0) even on
    separable data, where a plain Newton step overshoots."""

    def loss(a: float, b: float) -> float:
        total = 0.0
        for x, t in zip(xs, ts):
            z = a * x + b  # t * log(1 + e^-z) + (1 - t) * log(1 + e^z), without overflow
            total += (1.0 - t) * z + math.log1p(math.exp(-z)) if z >= 0 else -t * z + math.log1p(math.exp(z))
        return total

    a, b = 0.0, math.log((sum(ts) + 1e-9) / (len(ts) - sum(ts) + 1e-9))
    current = loss(a, b)
    for _ in range(100):
        g_a = g_b = h_aa = h_ab = h_bb = 0.0
        for x, t in zip(xs, ts):
            q = _sigmoid(a * x + b)
            w = q * (1.0 - q)
            g_a += (q - t) * x
            g_b += q - t
            h_aa += w * x * x
            h_ab += w * x
            h_bb += w
        h_aa += 1e-9  # a ridge: a constant score (all logits equal) still solves
        h_bb += 1e-9
        det = h_aa * h_bb - h_ab * h_ab
        d_a = -(h_bb * g_a - h_ab * g_b) / det
        d_b = -(h_aa * g_b - h_ab * g_a) / det
        step, decrease = 1.0, g_a * d_a + g_b * d_b
        while step > 1e-10:
            trial = loss(a + step * d_a, b + step * d_b)
            if trial <= current + 1e-4 * step * decrease:
                break
            step /= 2
        else:
            break  # no step decreases the loss: at the minimum within floating point
        a, b, current = a + step * d_a, b + step * d_b, trial
        if abs(step * d_a) + abs(step * d_b) < 1e-9:
            break
    return a, b


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _too_few(outcomes: Sequence[Outcome]) -> Calibration | None:
    """Identity with the reason, when there are too few dev items to fit any map."""
    if len(outcomes) >= MIN_ITEMS:
        return None
    return Calibration(items=len(outcomes), reason=f"only {len(outcomes)} dev items (at least {MIN_ITEMS} needed)")


def _pav(blocks: list[list[float]]) -> list[list[float]]:
    """Pool adjacent violators over [sum, weight, lowest x, highest x] blocks sorted by x."""
    out: list[list[float]] = []
    for block in blocks:
        out.append(list(block))
        while len(out) > 1 and out[-2][0] / out[-2][1] >= out[-1][0] / out[-1][1]:
            s, n, _, hi = out.pop()
            out[-1][0] += s
            out[-1][1] += n
            out[-1][3] = hi
    return out


def fit_uncertainty(items: int) -> float:
    """Standard error of an accuracy measured on ``items`` held-out predictions, at its widest (accuracy 0.5).

    A map fitted on them can place the model's mean accuracy no closer than this: on WNUT-16 a 10% dev carve
    gives 60-80 predicted entities, so +-0.06, and five folds' dev precisions sat 0.04-0.13 from their test
    precisions (docs/defaults.md). Reports print it so a reader knows how far to trust a single model's map."""
    return 0.5 / math.sqrt(items) if items > 0 else 0.5


class ReliabilityBin(TypedDict):
    lower: float
    upper: float
    count: int
    confidence: float | None
    accuracy: float | None


class Reliability(TypedDict):
    """The Evaluation's ``calibration`` before the fitted map's fields are added."""

    ece: float | None
    sampling_noise: float | None
    items: int
    bins: list[ReliabilityBin]


def reliability(outcomes: Iterable[Outcome], bins: int = BINS) -> Reliability:
    """``{"ece", "sampling_noise", "items", "bins": [{"lower", "upper", "count", "confidence", "accuracy"}]}``
    (empty bins kept)."""
    counts = [0] * bins
    conf_sum = [0.0] * bins
    variance = [0.0] * bins  # of the number correct in the bin, were each item right with its confidence
    correct = [0] * bins
    total = 0
    for confidence, ok in outcomes:
        c = min(max(float(confidence), 0.0), 1.0)
        b = min(int(c * bins), bins - 1)
        counts[b] += 1
        conf_sum[b] += c
        variance[b] += c * (1.0 - c)
        correct[b] += 1 if ok else 0
        total += 1
    rows: list[ReliabilityBin] = []
    ece = 0.0
    for b in range(bins):
        n = counts[b]
        conf = conf_sum[b] / n if n else None
        acc = correct[b] / n if n else None
        if n:
            ece += n / total * abs(acc - conf)  # type: ignore[operator]
        rows.append({
            "lower": round(b / bins, 4),
            "upper": round((b + 1) / bins, 4),
            "count": n,
            "confidence": None if conf is None else round(conf, 4),
            "accuracy": None if acc is None else round(acc, 4),
        })
    # E|accuracy - confidence| of a bin under perfect calibration, by the normal approximation to the number
    # correct (within 0.002 of a simulation on projects/support-tickets): sqrt(2/pi) * its standard deviation / n.
    noise = math.sqrt(2 / math.pi) * sum(math.sqrt(v) for v in variance) / total if total else None
    return {
        "ece": round(ece, 4) if total else None,
        "sampling_noise": None if noise is None else round(noise, 4),
        "items": total,
        "bins": rows,
    }


class _Span(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def label(self) -> str: ...


class _Gold(Protocol):
    """A gold document (``nerspec.corpus.model.Document``, which this leaf module cannot import)."""

    @property
    def spans(self) -> Sequence[_Span]: ...
    @property
    def labels(self) -> Sequence[str]: ...


def ner_outcomes(gold: Sequence[_Gold], predictions: Sequence[Sequence[PredictedLabel]]) -> list[Outcome]:
    """Per returned entity: (confidenceScore, span and type match a gold entity exactly)."""
    out: list[Outcome] = []
    for doc, entities in zip(gold, predictions, strict=True):
        tagged = {(s.start, s.end, s.label) for s in doc.spans}
        for e in entities:
            out.append((e.confidence, (e.start, e.end, e.category) in tagged))
    return out


def class_outcomes(gold: Sequence[_Gold], predictions: Sequence[Sequence[PredictedLabel]]) -> list[Outcome]:
    """Per returned class: (confidenceScore, the document has that class)."""
    out: list[Outcome] = []
    for doc, classes in zip(gold, predictions, strict=True):
        on = set(doc.labels)
        out.extend((c.confidence, c.category in on) for c in classes)
    return out
