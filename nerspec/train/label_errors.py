"""Likely label errors of a project (``nerspec lint --label-errors``): cross-fitted scores, ranked findings.

The cross-fitting and its cache are ``nerspec.train.cross_fit``; the ranking is a check on data, the kind's
(``ProjectKind.label_errors``: ``nerspec.corpus.label_errors`` for flat NER and classification,
``nerspec.corpus.span_label_errors`` for overlapping entities). ``apply`` puts the findings of the documents a
change added or relabeled into the report when the same inputs were cross-fitted before (``cached_label_errors``: it never trains).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import JsonValue

from nerspec.corpus.findings import excerpt
from nerspec.corpus.label_errors import LabelError
from nerspec.corpus.model import Corpus, Document
from nerspec.kinds import project_kind
from nerspec.train.cross_fit import (
    FOLDS,
    MAX_FOLDS,
    CrossFit,
    cache_key,
    cross_fit,
    read_scores,
    scores_path,
    scoring_of,
)

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths

REPORTED = 10  # findings an apply puts into the run result (the report shows them all)


@dataclass(frozen=True)
class LabelErrorReport:
    """``nerspec lint --label-errors``: the ranked findings of one project and how they were computed."""

    project: str
    errors: list[LabelError]
    folds: int
    fingerprint: str
    documents: dict[str, Document]  # by id, for context and review tasks
    trained: int

    def to_json(self) -> dict[str, JsonValue]:
        return {"label_errors": [e.to_json() for e in self.errors], "folds": self.folds, "fingerprint": self.fingerprint}


def find_label_errors(project: LoadedProject, corpus: Corpus, paths: StatePaths, *, folds: int = FOLDS,
                      min_score: float = 0.0) -> LabelErrorReport:
    """Cross-fit every labeled document of ``corpus`` and rank where its labels and the models disagree."""
    docs = list(corpus.documents)
    return _report(project, docs, cross_fit(project, docs, paths, folds=folds), min_score)


def _report(project: LoadedProject, docs: list[Document], fit: CrossFit, min_score: float) -> LabelErrorReport:
    spec = project.manifest.spec
    errors = project_kind(project).label_errors(docs, fit.scores, spec.multilabel, spec.training.threshold or 0.5,
                                                min_score)
    return LabelErrorReport(project.name, errors, fit.folds, fit.fingerprint, {d.id: d for d in docs}, fit.trained)


def cached_label_errors(project: LoadedProject, corpus: Corpus, paths: StatePaths, model_fingerprint: str, *,
                        min_score: float = 0.5) -> LabelErrorReport | None:
    """The findings of an earlier ``lint --label-errors`` over exactly these inputs (the default folds first,
    then any other number of folds it was run with), or None. Never trains: ``apply`` shows them in the report
    when CI ran the check first."""
    docs = list(corpus.documents)
    scoring = scoring_of(project).name
    for folds in (FOLDS, *(k for k in range(2, MAX_FOLDS + 1) if k != FOLDS)):
        key = cache_key(model_fingerprint, folds)
        scores = read_scores(scores_path(paths.cache / "cross-fit" / key, scoring), docs)
        if scores is not None:
            return _report(project, docs, CrossFit(key, folds, scores, 0), min_score)
    return None


def report_entry(report: LabelErrorReport, changed: set[str] | None, top: int = REPORTED) -> dict[str, JsonValue]:
    """The run result's ``label_errors``: the top findings in ``changed`` documents (None: every document), each
    with its context (an excerpt with the span in brackets)."""
    chosen = [e for e in report.errors if changed is None or e.id in changed]
    return {
        "documents": "all" if changed is None else "changed",
        "folds": report.folds,
        "fingerprint": report.fingerprint,
        "total": len(chosen),
        "findings": [{**e.to_json(), "context": excerpt(report.documents[e.id].text, e.start, e.end),
                      "message": e.describe(report.documents[e.id].text)} for e in chosen[:top]],
    }
