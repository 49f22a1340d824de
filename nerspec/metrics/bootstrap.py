"""Document-level bootstrap: confidence intervals and a paired significance test.

Documents, not entities, are resampled: entities of one document are not independent. Everything is
vectorised: a resample is a vector of document weights (how often each document was drawn), and the
pooled counts of all resamples are one matrix product ``weights @ per_document_counts``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

from nerspec import progress

if TYPE_CHECKING:  # numpy itself is imported where it is used
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    FloatArray = NDArray[np.float64]

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
# Upper bound on the size of one weight block (resamples x documents), to bound memory.
_BLOCK_CELLS = 4_000_000


class IntervalsJSON(TypedDict):
    """The Evaluation's ``ci``."""

    level: float
    resamples: int
    seed: int
    micro: dict[str, list[float]]
    per_label_f1: dict[str, list[float]]


def _weights(n: int, resamples: int, seed: int) -> Iterator[FloatArray]:
    """Blocks of ``(r, n)`` draw counts; the same seed gives the same resamples whatever the block size."""
    import numpy as np

    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // max(n, 1))
    done = 0
    while done < resamples:
        r = min(block, resamples - done)
        idx = rng.integers(0, n, size=(r, n))
        flat = (idx + (np.arange(r, dtype=np.int64) * n)[:, None]).ravel()
        yield np.bincount(flat, minlength=r * n).reshape(r, n).astype(np.float64)
        done += r


def resampled_totals(counts: ArrayLike, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> FloatArray:
    """``counts``: ``(documents, ...)`` array; returns ``(resamples, ...)`` pooled counts per resample."""
    import numpy as np

    array = np.asarray(counts, dtype=np.float64)
    n = array.shape[0]
    tail = array.shape[1:]
    if n == 0:
        return np.zeros((resamples, *tail))
    flat = array.reshape(n, -1)
    # Documents with no counts at all still take part in the draws but not in the product.
    active = np.flatnonzero(flat.any(axis=1))
    flat = flat[active]
    out = np.empty((resamples, flat.shape[1]))
    start = 0
    with progress.task("bootstrap resampling", total=resamples) as bar:
        for w in _weights(n, resamples, seed):
            out[start : start + w.shape[0]] = w[:, active] @ flat
            start += w.shape[0]
            bar.update(start)
    return out.reshape(resamples, *tail)


def _safe_div(num: FloatArray, den: FloatArray, empty: float) -> FloatArray:
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)


def metrics_from_totals(totals: FloatArray) -> dict[str, FloatArray]:
    """``totals``: ``(..., labels, 3)`` tp/fp/fn. Micro P/R/F1 (0 when undefined) and per-label F1
    (NaN when the label has no gold and no predicted item in a resample, so it is left out there)."""
    import numpy as np

    tp, fp, fn = totals[..., 0], totals[..., 1], totals[..., 2]
    mtp, mfp, mfn = tp.sum(axis=-1), fp.sum(axis=-1), fn.sum(axis=-1)
    f1 = _safe_div(2 * tp, 2 * tp + fp + fn, np.nan)
    present = ~np.isnan(f1)
    with np.errstate(invalid="ignore"):
        macro = np.where(present.any(axis=-1), np.nansum(f1, axis=-1) / np.maximum(present.sum(axis=-1), 1), 0.0)
    return {
        "precision": _safe_div(mtp, mtp + mfp, 0.0),
        "recall": _safe_div(mtp, mtp + mfn, 0.0),
        "f1": _safe_div(2 * mtp, 2 * mtp + mfp + mfn, 0.0),
        "macro_f1": macro,
        "label_f1": f1,
    }


def _interval(values: FloatArray, level: float) -> list[float]:
    import numpy as np

    values = values[~np.isnan(values)]
    if values.size == 0:
        return [0.0, 0.0]
    alpha = (1.0 - level) / 2.0
    lo, hi = np.percentile(values, [100 * alpha, 100 * (1 - alpha)])
    return [float(lo), float(hi)]


def bootstrap_ci(
    counts: ArrayLike,
    labels: Sequence[str],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> IntervalsJSON:
    """Percentile intervals; ``counts`` is ``(documents, labels, 3)`` tp/fp/fn. The ``ci`` of the
    Evaluation JSON."""
    totals = resampled_totals(counts, resamples, seed)
    m = metrics_from_totals(totals)
    return {
        "level": level,
        "resamples": resamples,
        "seed": seed,
        "micro": {key: _interval(m[key], level) for key in ("precision", "recall", "f1")},
        "per_label_f1": {label: _interval(m["label_f1"][:, j], level) for j, label in enumerate(labels)},
    }


METRICS = ("micro_precision", "micro_recall", "micro_f1", "macro_f1", "precision", "recall", "f1")


def _metric(totals: FloatArray, metric: str, label_index: int | None) -> FloatArray:
    import numpy as np

    if metric in ("precision", "recall", "f1"):
        if label_index is None:
            raise ValueError(f"metric {metric!r} needs a label")
        tp, fp, fn = (totals[:, label_index, k] for k in range(3))
        if metric == "precision":
            return _safe_div(tp, tp + fp, 0.0)
        if metric == "recall":
            return _safe_div(tp, tp + fn, 0.0)
        return _safe_div(2 * tp, 2 * tp + fp + fn, 0.0)
    m = metrics_from_totals(totals)
    key = {"micro_precision": "precision", "micro_recall": "recall", "micro_f1": "f1", "macro_f1": "macro_f1"}
    if metric not in key:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    return np.asarray(m[key[metric]])


def paired_bootstrap(
    per_doc_counts_new: ArrayLike,
    per_doc_counts_old: ArrayLike,
    metric: str = "micro_f1",
    *,
    label_index: int | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> float:
    """p-value of "the new system is worse than the old one" on the same documents.

    Both arrays are ``(documents, labels, 3)`` tp/fp/fn over the same documents in the same order (a
    ``(documents, 3)`` array is one label). The same resamples are applied to both systems; the p-value is
    the share of resamples in which the new system is not worse, ``(k + 1) / (resamples + 1)`` (Koehn 2004,
    with the usual +1 so a Monte Carlo p-value is never 0). Small p: the drop is unlikely to be noise.
    """
    import numpy as np

    new = np.asarray(per_doc_counts_new, dtype=np.float64)
    old = np.asarray(per_doc_counts_old, dtype=np.float64)
    if new.ndim == 2:
        new, old = new[:, None, :], old[:, None, :]
        if metric in ("precision", "recall", "f1") and label_index is None:
            label_index = 0
    if new.shape != old.shape:
        raise ValueError(f"count arrays differ in shape: {new.shape} vs {old.shape}")
    both = np.concatenate([new, old], axis=1)
    totals = resampled_totals(both, resamples, seed)
    k = new.shape[1]
    new_values = _metric(totals[:, :k], metric, label_index)
    old_values = _metric(totals[:, k:], metric, label_index)
    not_worse = int(np.count_nonzero(new_values >= old_values - 1e-12))
    return (not_worse + 1) / (resamples + 1)


def _items(value: object) -> list[Mapping[str, object]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def doc_counts_from_review(documents: Sequence[Mapping[str, object]]) -> dict[str, dict[str, list[int]]]:
    """Per document id: label -> [tp, fp, fn], read back from the ``documents`` of an Evaluation."""
    out: dict[str, dict[str, list[int]]] = {}
    for doc in documents:
        counts: dict[str, list[int]] = {}
        for item in _items(doc.get("gold")):
            counts.setdefault(str(item["label"]), [0, 0, 0])[0 if item["status"] == "TP" else 2] += 1
        for item in _items(doc.get("predicted")):
            if item["status"] == "FP":
                counts.setdefault(str(item["label"]), [0, 0, 0])[1] += 1
        out[str(doc["id"])] = counts
    return out


def significance_test(
    evaluation: Sequence[Mapping[str, object]],
    baseline: Sequence[Mapping[str, object]],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Callable[[str, str | None], float | None]:
    """A ``(metric, label) -> p-value`` function for the regression gates, pairing the two evaluations'
    ``documents`` (their review entries) by id. Returns None (not computed) when the evaluations share no documents."""
    from nerspec.metrics.prf import counts_array

    new_docs = doc_counts_from_review(evaluation)
    old_docs = doc_counts_from_review(baseline)
    ids = [doc_id for doc_id in new_docs if doc_id in old_docs]
    labels = sorted({lab for c in (*new_docs.values(), *old_docs.values()) for lab in c})
    cache: dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]] = {}

    def test(metric: str, label: str | None) -> float | None:
        if not ids:
            return None
        if "arrays" not in cache:
            cache["arrays"] = (
                counts_array([new_docs[i] for i in ids], labels),
                counts_array([old_docs[i] for i in ids], labels),
            )
        new, old = cache["arrays"]
        index = labels.index(label) if label is not None and label in labels else None
        if metric in ("precision", "recall", "f1") and index is None:
            return None
        return paired_bootstrap(new, old, metric, label_index=index, resamples=resamples, seed=seed)

    return test
