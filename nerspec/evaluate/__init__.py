"""Evaluation: strict and partial NER scores, classification scores, confusion, bootstrap, guidance, review.

``evaluate(...)`` returns the Evaluation (``nerspec.evaluate.record``; its JSON is in ``docs/architecture.md``). Scoring is pure Python plus
numpy for the bootstrap (imported inside functions): no spaCy. What differs between project kinds is the
kind's ``score`` (``nerspec.kinds``); everything else here is kind-agnostic.

Conventions shared with seqeval (strict, IOB2), nervaluate and scikit-learn, checked in tests:
zero division gives 0.0; macro P/R/F1 are plain means over the labels that are tagged or predicted in
the test set. Intentional differences: with nothing tagged or predicted at all, macro scores are 0.0
(seqeval gives NaN, which JSON cannot hold and gates cannot compare); spans are sets per document, so a
duplicated span counts once (seqeval cannot express duplicates or overlaps; nervaluate would count a
duplicate twice); the SemEval views are reported overall, not per type.
"""

from __future__ import annotations

from collections.abc import Sequence

from nerspec.corpus.model import Document
from nerspec.errors import DataError, NerspecError, Problem
from nerspec.evaluate.record import Evaluation, Scores
from nerspec.kinds import CLASSIFICATION_KIND, KINDS, NER_KIND, ProjectKind, kind_key
from nerspec.metrics.guidance import Sides


def _kind(kind: str, overlapping: bool = False) -> ProjectKind:
    try:
        return KINDS[kind_key(kind, overlapping)]
    except KeyError:
        raise NerspecError(f"cannot evaluate project kind {kind!r}; known: {', '.join(KINDS)}") from None


def align(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> list[Document]:
    """Predicted documents in the order of the gold ones: by id when the ids match, else by position."""
    gold_ids = [d.id for d in gold_docs]
    pred_by_id = {d.id: d for d in pred_docs}
    problems: list[Problem] = []
    if len(pred_by_id) == len(pred_docs) and len(set(gold_ids)) == len(gold_ids) and set(gold_ids) == set(pred_by_id):
        ordered = [pred_by_id[i] for i in gold_ids]
    elif len(gold_docs) == len(pred_docs):
        ordered = list(pred_docs)
    else:
        missing = [i for i in gold_ids if i not in pred_by_id][:5]
        extra = [d.id for d in pred_docs if d.id not in set(gold_ids)][:5]
        raise DataError(
            [Problem("predictions", 0, 0, "", f"{len(pred_docs)} predicted documents for {len(gold_docs)} gold ones"
                     + (f"; no prediction for {', '.join(missing)}" if missing else "")
                     + (f"; unknown ids {', '.join(extra)}" if extra else ""))],
            "predictions do not match the gold documents",
        )
    for g, p in zip(gold_docs, ordered):
        if g.text and p.text and g.text != p.text:
            problems.append(Problem(p.location or "predictions", p.line, 0, "", f"document {p.id!r}: text differs "
                                    f"from the gold document {g.id!r}, so offsets cannot be compared"))
    if problems:
        raise DataError(problems[:20], "predictions do not match the gold documents")
    return ordered


def evaluate(
    kind: str,
    gold_docs: Sequence[Document],
    pred_docs: Sequence[Document],
    *,
    train_docs: Sequence[Document] | None = None,
    all_docs: Sequence[Document] | None = None,
    scores: Sequence[dict[str, float]] | None = None,
    threshold: float = 0.5,
    multilabel: bool = False,
    ci_resamples: int = 1000,
    seed: int = 0,
    labels: Sequence[str] | None = None,
    overlapping: bool = False,
) -> Evaluation:
    """The Evaluation of predictions against gold documents (its JSON: docs/architecture.md).

    ``labels``: the manifest's labels, for table order and so that a label with no data still gets
    guidance. ``scores``: per document ``{class: score}`` (classification); with ``multilabel`` the classes
    reaching ``threshold`` are the predictions and the threshold sweep uses them. ``all_docs``: documents
    whose tags count as "labeled elsewhere" (default: train + gold test documents). ``overlapping``: ``spec.overlapping``.
    """
    from nerspec.metrics.bootstrap import bootstrap_ci
    from nerspec.metrics.guidance import guidance, language_guidance
    from nerspec.metrics.languages import per_language
    from nerspec.metrics.scoring import ScoringInput

    impl = _kind(kind, overlapping)
    gold = list(gold_docs)
    pred = align(gold, pred_docs)
    score_list = list(scores) if scores is not None else None
    if score_list is not None and len(score_list) != len(gold):
        raise NerspecError(f"{len(score_list)} score entries for {len(gold)} documents")
    given = ScoringInput(gold, pred, labels, score_list, threshold, multilabel)
    result = impl.score(given)
    s = result.scores
    spans = impl.annotates_spans
    data = _sides(train_docs, gold, spans)
    guide_labels = list(labels) if labels else sorted(
        set(s.labels) | set(data["test"]["labels"]) | set(data["train"]["labels"] if data["train"] else {})
    )
    tagged = list(all_docs) if all_docs is not None else [*(train_docs or []), *gold]
    advice = guidance(spans, guide_labels, data, result.confusion_matrix, result.documents, tagged)
    out: dict[str, object] = {
        "kind": kind,
        "micro": s.micro.to_json(support=False),
        "macro": s.macro(),
        impl.per_label_key: {label: prf.to_json() for label, prf in s.per_label.items()},
        "confusion_matrix": result.confusion_matrix,
        "ci": bootstrap_ci(s.counts_array(), s.labels, resamples=ci_resamples, seed=seed),
        **result.extra,
        "guidance": advice,
        "documents": result.documents,
        "data": data,
    }
    languages = per_language(impl.metrics, given)
    if languages is not None:
        out["per_language"] = languages
        advice.extend(language_guidance(spans, guide_labels, train_docs, gold))
    return Evaluation.from_json(out)


def _sides(train_docs: Sequence[Document] | None, gold: list[Document], spans: bool) -> Sides:
    """The Evaluation's ``data``: label counts of the train side (when known) and the test side."""
    from nerspec.metrics.guidance import side_stats

    return {"train": side_stats(train_docs, spans) if train_docs is not None else None, "test": side_stats(gold, spans)}


def per_label(evaluation: Evaluation) -> dict[str, Scores]:
    """Label metrics of an Evaluation whatever its kind (``per_entity`` or ``per_class``)."""
    return evaluation.per_label()


__all__ = ["CLASSIFICATION_KIND", "KINDS", "NER_KIND", "Evaluation", "align", "evaluate", "per_label"]
