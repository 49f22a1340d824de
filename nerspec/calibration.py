"""Calibrated confidence: fit a map from raw model scores to probabilities, and measure calibration.

What is calibrated (the "item"): NER, each returned entity (correct when its start, end and type match a
gold entity exactly); classification, each returned class (correct when the document has that class).
The raw score of an item is what ``nerspec.predict`` computes before calibration: an entity's probability
under the greedy parser's action scores (``nerspec.confidence``; a beam marginal for artifacts fitted on a beam),
a class's softmax (single-label) or sigmoid (multi-label) probability.

Method: isotonic regression (pool-adjacent-violators), fitted at training time on the dev carve and stored
in the artifact's ``meta.json`` (``calibration``). Why isotonic rather than temperature scaling:
- Most NER raw scores are at or within a hair of 1.0 (action probabilities and beam marginals alike).
  A temperature rescales logits, and the logit of 1.0 stays infinite: it cannot bring a wrong entity at
  1.0 ("Jane Doe" as MaturityDate at 0.988) down to the precision such entities really have. Isotonic
  regression maps each raw score to the observed accuracy of items scored like it, whatever the shape.
- It is monotone, so it never reorders confidences, and it needs no labels beyond correct/incorrect, so
  one implementation serves both kinds (and single- and multi-label classification).
Each fitted step gets ``PRIOR_ITEMS`` (3) pseudo-items at the dev accuracy, so a step of a few items is not
mapped to exactly 0 or 1 and small dev carves do not overfit. Measured test ECE (pseudo-items 0 / 1 / 3 / 5):
WNUT-16 NER with a 57-item dev carve 0.088 / 0.060 / 0.028 / 0.013; projects/example (44 dev items)
0.030 (at 0.5) / 0.023 / 0.012 / 0.017; 3 is the smallest that met 0.05 on both. Between the fitted steps the map is linear (as scikit-learn's ``IsotonicRegression`` interpolates); outside
them it is clipped. When no dev set could be carved, the map is fitted on cross-fitted (out-of-fold) scores of
the training documents instead (``nerspec.train.calibrate``; never on the model's own training data, which
would make the fit overconfident). With fewer than ``MIN_ITEMS`` items, or too few training documents to
cross-fit, no calibration is stored and raw scores are returned unchanged (``method: "none"`` with the reason).

Calibration never changes what is returned: entities and classes are decided on raw model outputs first
(``nerspec.predict``); only ``confidenceScore`` is mapped.

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
from typing import Any

BINS = 10
MIN_ITEMS = 20
PRIOR_ITEMS = 3.0  # see the module docstring
Outcome = tuple[float, bool]  # (confidence, correct)


@dataclass(frozen=True)
class Calibration:
    """A monotone piecewise-linear map from raw score to probability (identity when ``method`` is none)."""

    method: str = "none"
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()
    items: int = 0
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __call__(self, raw: float) -> float:
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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "fitted_on": "dev", "items": self.items}
        if self.method == "isotonic":
            out["x"] = [round(x, 6) for x in self.xs]
            out["y"] = [round(y, 6) for y in self.ys]
        if self.reason:
            out["reason"] = self.reason
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: Any) -> Calibration:
        """From ``meta.json``; anything missing or malformed (an artifact older than calibration) is identity."""
        if not isinstance(data, dict) or data.get("method") != "isotonic":
            return cls()
        try:
            xs = tuple(float(x) for x in data["x"])
            ys = tuple(float(y) for y in data["y"])
        except (KeyError, TypeError, ValueError):
            return cls()
        if not xs or len(xs) != len(ys) or list(xs) != sorted(xs):
            return cls()
        # Where it was fitted travels with it, so evaluations and reports can say so.
        extra = {"fitted_on": str(data["fitted_on"])} if isinstance(data.get("fitted_on"), str) else {}
        return cls("isotonic", xs, ys, int(data.get("items") or 0), extra=extra)


def fit_isotonic(
    outcomes: Sequence[Outcome], *, reason_if_skipped: str | None = None, prior_items: float = PRIOR_ITEMS
) -> Calibration:
    """Pool-adjacent-violators on (raw score, correct); knots at each block's lowest and highest score."""
    if reason_if_skipped:
        return Calibration(items=len(outcomes), reason=reason_if_skipped)
    if len(outcomes) < MIN_ITEMS:
        return Calibration(items=len(outcomes), reason=f"only {len(outcomes)} dev items (at least {MIN_ITEMS} needed)")
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


def reliability(outcomes: Iterable[Outcome], bins: int = BINS) -> dict[str, Any]:
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
    rows = []
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


def ner_outcomes(gold: Sequence[Any], predictions: Sequence[Sequence[dict[str, Any]]]) -> list[Outcome]:
    """Per returned entity: (confidenceScore, span and type match a gold entity exactly)."""
    out: list[Outcome] = []
    for doc, entities in zip(gold, predictions, strict=True):
        tagged = {(s.start, s.end, s.label) for s in doc.spans}
        for e in entities:
            key = (e["offset"], e["offset"] + e["length"], e["category"])
            out.append((float(e.get("confidenceScore", 1.0)), key in tagged))
    return out


def class_outcomes(gold: Sequence[Any], predictions: Sequence[Sequence[dict[str, Any]]]) -> list[Outcome]:
    """Per returned class: (confidenceScore, the document has that class)."""
    out: list[Outcome] = []
    for doc, classes in zip(gold, predictions, strict=True):
        on = set(doc.labels)
        out.extend((float(c.get("confidenceScore", 1.0)), c["category"] in on) for c in classes)
    return out


def outcomes(kind: str, gold: Sequence[Any], predictions: Sequence[Sequence[dict[str, Any]]]) -> list[Outcome]:
    from nerspec.kinds import kind_of

    return kind_of(kind).outcomes(gold, predictions)
