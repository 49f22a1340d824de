"""Scores per language: ``per_language`` of the Evaluation JSON.

``{"de": {"documents": N, "support": N, "micro": {"precision", "recall", "f1", "tp", "fp", "fn"},
          "macro": {"precision", "recall", "f1"}, "per_label": {"LABEL": {"f1", "support"}}}}``

Keys are the documents' own languages (normalised codes, ``nerspec.languages``); a document without one counts
under ``und`` (BCP 47 "undetermined"). Present only when some test document declares a language. Strict scores,
the same scorers as the overall numbers, so the micro counts of all languages add up to the overall ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.metrics.prf import Scores
    from nerspec.metrics.scoring import ScoringInput

UNDETERMINED = "und"


def per_language(
    metrics: Callable[[ScoringInput], Scores], given: ScoringInput
) -> dict[str, dict[str, object]] | None:
    """Micro, macro and per-label F1 of each language's documents (``metrics``: the kind's scorer)."""
    gold, pred, scores = given.gold, given.pred, given.scores
    if not any(d.language for d in gold):
        return None
    groups: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(gold):
        groups[doc.language or UNDETERMINED].append(i)
    out: dict[str, dict[str, object]] = {}
    for language in sorted(groups):
        idx = groups[language]
        s = metrics(replace(given, gold=[gold[i] for i in idx], pred=[pred[i] for i in idx],
                            scores=[scores[i] for i in idx] if scores is not None else None))
        out[language] = {
            "documents": len(idx),
            "support": s.micro.support,
            "micro": s.micro.to_json(support=False),
            "macro": s.macro(),
            "per_label": {label: {"f1": prf.f1, "support": prf.support} for label, prf in s.per_label.items()},
        }
    return out
