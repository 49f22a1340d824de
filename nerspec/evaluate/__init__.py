"""Evaluation: strict and partial NER scores, classification scores, confusion, bootstrap, guidance, review.

``evaluate(...)`` returns the Evaluation JSON of ``docs/architecture.md``. Scoring is pure Python plus
numpy for the bootstrap (imported inside functions): no spaCy. Each project kind is one entry of
``KINDS``; everything else here is kind-agnostic.

Conventions shared with seqeval (strict, IOB2), nervaluate and scikit-learn, checked in tests:
zero division gives 0.0; macro P/R/F1 are plain means over the labels that are tagged or predicted in
the test set. Intentional differences: with nothing tagged or predicted at all, macro scores are 0.0
(seqeval gives NaN, which JSON cannot hold and gates cannot compare); spans are sets per document, so a
duplicated span counts once (seqeval cannot express duplicates or overlaps; nervaluate would count a
duplicate twice); the SemEval views are reported overall, not per type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nerspec.corpus.model import Document
from nerspec.errors import DataError, NerspecError, Problem

NER_KIND = "NERProject"
CLASSIFICATION_KIND = "TextClassificationProject"


class _Kind(Protocol):
    label_field: str
    ner: bool

    def score(self, ctx: _Context) -> dict[str, Any]: ...


@dataclass
class _Context:
    gold: list[Document]
    pred: list[Document]
    labels: Sequence[str] | None
    scores: list[dict[str, float]] | None
    threshold: float
    multilabel: bool


class _NER:
    label_field = "per_entity"
    ner = True

    def score(self, ctx: _Context) -> dict[str, Any]:
        from nerspec.evaluate.confusion import ner_confusion
        from nerspec.evaluate.ner import score_ner
        from nerspec.evaluate.partial import score_partial
        from nerspec.evaluate.review import review_ner

        scores = score_ner(ctx.gold, ctx.pred, ctx.labels)
        return {
            "scores": scores,
            "confusion_matrix": ner_confusion(ctx.gold, ctx.pred, scores.labels),
            "extra": {"partial": score_partial(ctx.gold, ctx.pred)},
            "documents": review_ner(ctx.gold, ctx.pred),
        }


class _Textcat:
    label_field = "per_class"
    ner = False

    def score(self, ctx: _Context) -> dict[str, Any]:
        from nerspec.evaluate.confusion import class_confusion
        from nerspec.evaluate.review import review_classes
        from nerspec.evaluate.textcat import class_sets, from_scores, score_classes, threshold_sweep

        gold = class_sets(ctx.gold)
        if ctx.multilabel and ctx.scores is not None:
            # The threshold decides, so the main scores and the sweep agree at that threshold.
            pred = from_scores(ctx.scores, ctx.threshold)
        else:
            pred = class_sets(ctx.pred)
        scores = score_classes(gold, pred, ctx.labels)
        extra: dict[str, Any] = {}
        if ctx.multilabel:
            extra["threshold"] = ctx.threshold
            extra["threshold_sweep"] = threshold_sweep(gold, ctx.scores) if ctx.scores is not None else []
        return {
            "scores": scores,
            "confusion_matrix": class_confusion(gold, pred, scores.labels),
            "extra": extra,
            "documents": review_classes(ctx.gold, gold, pred, ctx.scores),
        }


KINDS: dict[str, _Kind] = {NER_KIND: _NER(), CLASSIFICATION_KIND: _Textcat()}


def _kind(kind: str) -> _Kind:
    try:
        return KINDS[kind]
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
) -> dict[str, Any]:
    """The Evaluation JSON of predictions against gold documents (see docs/architecture.md).

    ``labels``: the manifest's labels, for table order and so that a label with no data still gets
    guidance. ``scores``: per document ``{class: score}`` (classification); with ``multilabel`` the classes
    reaching ``threshold`` are the predictions and the threshold sweep uses them. ``all_docs``: documents
    whose tags count as "labeled elsewhere" (default: train + gold test documents).
    """
    from nerspec.evaluate.bootstrap import bootstrap_ci
    from nerspec.evaluate.guidance import guidance, language_guidance, side_stats
    from nerspec.evaluate.languages import per_language

    impl = _kind(kind)
    gold = list(gold_docs)
    pred = align(gold, pred_docs)
    score_list = list(scores) if scores is not None else None
    if score_list is not None and len(score_list) != len(gold):
        raise NerspecError(f"{len(score_list)} score entries for {len(gold)} documents")
    result = impl.score(_Context(gold, pred, labels, score_list, threshold, multilabel))
    s = result["scores"]
    data: dict[str, Any] = {
        "train": side_stats(train_docs, impl.ner) if train_docs is not None else None,
        "test": side_stats(gold, impl.ner),
    }
    guide_labels = list(labels) if labels else sorted(
        set(s.labels) | set(data["test"]["labels"]) | set((data["train"] or {}).get("labels", {}))
    )
    tagged = list(all_docs) if all_docs is not None else [*(train_docs or []), *gold]
    out: dict[str, Any] = {
        "kind": kind,
        "micro": s.micro.to_json(support=False),
        "macro": s.macro(),
        impl.label_field: {label: prf.to_json() for label, prf in s.per_label.items()},
        "confusion_matrix": result["confusion_matrix"],
        "ci": bootstrap_ci(s.counts_array(), s.labels, resamples=ci_resamples, seed=seed),
        **result["extra"],
        "guidance": guidance(impl.ner, guide_labels, data, result["confusion_matrix"], result["documents"], tagged),
        "documents": result["documents"],
        "data": data,
    }
    languages = per_language(impl.ner, gold, pred, labels, score_list, threshold, multilabel)
    if languages is not None:
        out["per_language"] = languages
        out["guidance"].extend(language_guidance(impl.ner, guide_labels, train_docs, gold))
    return out


def per_label(evaluation_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Label metrics of an Evaluation JSON whatever its kind (``per_entity`` or ``per_class``)."""
    impl = KINDS.get(evaluation_json.get("kind", ""))
    if impl is not None:
        return evaluation_json.get(impl.label_field) or {}
    return evaluation_json.get("per_entity") or evaluation_json.get("per_class") or {}


__all__ = ["CLASSIFICATION_KIND", "KINDS", "NER_KIND", "align", "evaluate", "per_label"]
