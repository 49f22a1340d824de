"""Drift of a window of logged documents against the test split (pure: records in, verdict out).

Five signals, each a two-sample test with a p-value and an effect size: document length and the share of words
unseen in training (Kolmogorov-Smirnov), languages and predicted labels (chi-square homogeneity; effect: total
variation distance), and the mean confidence (Welch's z; effect: the difference). The declared rule: a signal
drifts when its p-value is below ``ALPHA`` divided by the number of signals (Bonferroni) *and* its effect is at
least its minimum; the window drifted when any signal did. Requiring both keeps large windows from alarming on
negligible differences and small ones from alarming on noise. ``score`` is the largest, over the signals, of
min(effect / minimum, log p / log threshold): at least 1 exactly when the window drifted. The false-alarm rate on
in-distribution windows is measured by ``bench/monitor.py`` (docs/architecture.md).
"""

from __future__ import annotations

import math
import statistics as pystats
from collections import Counter
from collections.abc import Mapping

from nerspec import statistics
from nerspec.evaluate.reference import NO_PREDICTION
from nerspec.languages import base
from nerspec.monitor.model import Drift, Signal, Summary
from nerspec.monitor.reference import Reference
from nerspec.state.monitoring import MonitoredDocument

ALPHA = 0.01
MIN_EFFECT = {"length": 0.2, "unseen_words": 0.2, "languages": 0.1, "labels": 0.15, "mean_confidence": 0.1}
RULE = (f"a signal drifts when p < {ALPHA} / number of signals (Bonferroni) and its effect >= its minimum "
        f"({', '.join(f'{k} {v}' for k, v in MIN_EFFECT.items())}); the window drifted when any signal did")


def _signal(name: str, test: str, result: statistics.TestResult, effect: float, window: Summary, reference: Summary,
            threshold: float, note: str = "") -> Signal:
    minimum = MIN_EFFECT[name]
    drifted = result.p_value < threshold and effect >= minimum
    return Signal(name, test, round(result.statistic, 4), result.p_value, round(effect, 4), minimum, window,
                  reference, drifted, note)


def _median(values: list[float]) -> float | None:
    return round(float(pystats.median(values)), 4) if values else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _share(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: round(v / total, 4) for k, v in sorted(counts.items())} if total else {}


def signals(window: list[MonitoredDocument], recorded: Reference | Mapping[str, object], language: str) -> list[Signal]:
    """Every signal the reference allows (the unseen-word share needs a model that recorded its vocabulary)."""
    reference = recorded if isinstance(recorded, Reference) else Reference.from_json(recorded)
    count = 5 if reference.unseen_shares is not None else 4
    threshold = ALPHA / count
    out = []
    lengths = [float(d.length) for d in window]
    ref_lengths = reference.lengths
    ks = statistics.ks_two_sample(lengths, ref_lengths)
    out.append(_signal("length", "ks", ks, ks.statistic, _median(lengths), _median(ref_lengths), threshold))
    if reference.unseen_shares is not None:
        shares = [d.unseen_tokens / d.tokens for d in window if d.unseen_tokens is not None and d.tokens]
        ref_shares = reference.unseen_shares
        ks = statistics.ks_two_sample(shares, ref_shares)
        out.append(_signal("unseen_words", "ks", ks, ks.statistic, _mean(shares), _mean(ref_shares), threshold))
    languages: dict[str, int] = dict(Counter(d.language or base(language) for d in window))
    ref_languages = reference.languages
    chi = statistics.chi_square_homogeneity(languages, ref_languages)
    out.append(_signal("languages", "chi_square", chi, statistics.total_variation(languages, ref_languages),
                       _share(languages), _share(ref_languages), threshold))
    labels = Counter(p.label for d in window for p in d.predictions)
    labels[NO_PREDICTION] = sum(1 for d in window if not d.predictions)
    ref_labels = reference.labels
    chi = statistics.chi_square_homogeneity(dict(labels), ref_labels)
    out.append(_signal("labels", "chi_square", chi, statistics.total_variation(dict(labels), ref_labels),
                       _share(dict(labels)), _share(ref_labels), threshold))
    confidences = [p.confidence for d in window for p in d.predictions]
    ref_confidences = reference.confidences
    z = statistics.mean_difference(confidences, ref_confidences)
    window_mean, ref_mean = _mean(confidences), _mean(ref_confidences)
    effect = abs(window_mean - ref_mean) if window_mean is not None and ref_mean is not None else 0.0
    out.append(_signal("mean_confidence", "welch_z", z, effect, window_mean, ref_mean, threshold))
    return out


def _score(signal: Signal, threshold: float) -> float:
    by_effect = signal.effect / signal.min_effect
    by_evidence = math.log(max(signal.p_value, 1e-300)) / math.log(threshold)
    return min(by_effect, by_evidence)


def drift(window: list[MonitoredDocument], reference: Reference | Mapping[str, object], language: str) -> Drift:
    found = signals(window, reference, language)
    threshold = ALPHA / len(found)
    score = max((_score(s, threshold) for s in found), default=0.0)
    return Drift(any(s.drifted for s in found), round(score, 3), found, RULE)
