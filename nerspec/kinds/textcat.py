"""Text classification: each document has one class (``multilabel: false``) or any number of them.

Changing a default config block here changes what `train` produces: bump ``nerspec.fingerprints.model.TRAINING_RECIPE``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from nerspec.corpus.model import Document
from nerspec.errors import TrainingError
from nerspec.kinds.base import ConfigBlock, KindSchedule
from nerspec.kinds.pipeline import listener, make_doc
from nerspec.manifest.kind_names import CLASSIFICATION_KIND
from nerspec.manifest.schema import ClassificationSpec
from nerspec.predictions import PredictedLabel

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from nerspec.corpus.findings import Finding
    from nerspec.corpus.label_errors import LabelError, OutOfSample
    from nerspec.corpus.model import Corpus
    from nerspec.manifest.load import LoadedProject
    from nerspec.metrics.prf import Scores
    from nerspec.metrics.scoring import KindScores, ScoringInput


def _factory(multilabel: bool) -> str:
    return "textcat_multilabel" if multilabel else "textcat"


SCHEDULE = KindSchedule(
    batch_words=4000, batch_start=4000, min_steps_per_epoch=20, epochs=5, evaluations_per_epoch=2,
    patience_evaluations=3, min_eval_frequency=10, max_eval_frequency=200, learn_rate=0.01,
)
# Multi-label classification: independent sigmoids (one logistic regression per class, each with few positives)
# need more, smaller updates than a softmax: on BBC News 1,000-word batches gave macro F1 0.9513, 2,000 0.9492,
# 4,000 (the single-label batch) 0.9322, against 0.9360 for one-vs-rest TF-IDF + LR (docs/defaults.md).
MULTILABEL_BATCH_WORDS = 1000
# No early stopping (patience 0: the whole budget, last weights kept, as NER). spaCy's multi-label dev score is
# macro F1 at the raw 0.5 threshold: it stands still while the sigmoids are still small (ranking right, magnitudes
# not yet), can never count a class absent from a small dev carve, and so stopped training after three
# evaluations on separable data (dev 0.75 from step 10 on; test micro F1 0.19). The decision is made on
# per-class calibrated probabilities instead (``nerspec.class_calibration``), fitted on the carve the checkpoint
# was not chosen on. Three epochs: early stopping used to end BBC News at 1,601 of 2,945 steps; its whole 5-epoch
# budget scored macro F1 0.9529, 3 epochs 0.9498 in 60% of the time (TF-IDF + LR 0.9360; docs/defaults.md).
MULTILABEL_SCHEDULE = replace(
    SCHEDULE, batch_words=MULTILABEL_BATCH_WORDS, batch_start=MULTILABEL_BATCH_WORDS, patience_evaluations=0,
    epochs=3,
)


class TextClassificationKind:
    name = CLASSIFICATION_KIND
    title = "text classification"
    label_field = ClassificationSpec.label_field
    label_noun = ClassificationSpec.label_noun
    label_plural = "classes"
    schema_noun = "class schema"
    per_label_key = ClassificationSpec.per_label_key
    count_noun = "documents"
    annotates_spans = ClassificationSpec.annotates_spans
    overlapping = False
    result_key = "classes"
    task_kinds: Mapping[str, str] = {
        "CustomSingleLabelClassification": "CustomSingleLabelClassificationLROResults",
        "CustomMultiLabelClassification": "CustomMultiLabelClassificationLROResults",
    }
    job_result_key = "class"  # the reference names the list "class" for both classification task kinds

    # --- training and prediction -------------------------------------------------------------------------

    # The transition-based component whose beam scores confidences; a trained model must have one.
    parser_factories: tuple[str, ...] = ()
    held_out_scores = "classes"

    def schedule(self, multilabel: bool) -> KindSchedule:
        return MULTILABEL_SCHEDULE if multilabel else SCHEDULE

    def factories(self, multilabel: bool) -> tuple[str, ...]:
        return (_factory(multilabel),)

    def components(
        self, labels: Sequence[str], multilabel: bool, longest_span: int = 0
    ) -> tuple[list[str], dict[str, ConfigBlock]]:
        # A linear model over lower-cased word 1-3-grams with sublinear, L2-normalised term frequencies
        # (``nerspec.TextCatBOWNormalized.v1``): what TF-IDF + logistic regression does, trained by spaCy.
        # History (docs/defaults.md): spaCy's TextCatEnsemble.v2 (BOW + 64-wide tok2vec) reached macro F1 0.910 on
        # BBC News in 198 s; its BOW half barely trains (the shared output layer starts at zero) and raw counts
        # saturate the softmax on long documents. This model matches TF-IDF + LR there in a fraction of the time.
        name = _factory(multilabel)
        block = {
            "factory": name,
            "threshold": 0.5 if multilabel else 0.0,
            "model": {
                "@architectures": "nerspec.TextCatBOWNormalized.v1",
                "exclusive_classes": not multilabel,
                "ngram_size": 3,
                "length": 262144,
                "nO": None,
            },
            "scorer": {"@scorers": "spacy.textcat_multilabel_scorer.v2" if multilabel else "spacy.textcat_scorer.v2"},
        }
        return [name], {name: block}

    def initialize(self, labels: Sequence[str], multilabel: bool) -> dict[str, ConfigBlock]:
        # Classes are declared up front so a class without training documents still gets an output.
        return {_factory(multilabel): {"labels": list(labels)}}

    def listening(
        self, labels: Sequence[str], multilabel: bool, width: int, longest_span: int = 0
    ) -> tuple[list[str], dict[str, ConfigBlock]]:
        # A pretrained tok2vec carries what a bag of words cannot (similar words, context): mean- and max-pooled
        # token vectors into the output layer (spaCy's TextCatReduce).
        name = _factory(multilabel)
        pipeline, components = self.components(labels, multilabel)
        components[name]["model"] = {
            "@architectures": "spacy.TextCatReduce.v1",
            "exclusive_classes": not multilabel,
            "use_reduce_first": False,
            "use_reduce_last": False,
            "use_reduce_max": True,
            "use_reduce_mean": True,
            "nO": None,
            "tok2vec": listener(width),
        }
        return pipeline, components

    def reference(self, nlp: Language, document: Document, labels: Sequence[str], multilabel: bool) -> Doc:
        doc = make_doc(nlp, document.text, document.language)
        on = set(document.labels)
        if not multilabel and len(on & set(labels)) != 1:
            raise TrainingError(
                f"document `{document.id}` ({document.location or document.source}) needs exactly one class of "
                f"{', '.join(labels)} for single-label training; it has {sorted(on) or 'none'}"
            )
        doc.cats = {label: 1.0 if label in on else 0.0 for label in labels}
        return doc

    def decode(
        self, doc: Doc, confidence: Mapping[tuple[int, int, str], float] | None, threshold: float, multilabel: bool
    ) -> list[PredictedLabel]:
        cats = doc.cats
        if not multilabel:
            # Single-label: the argmax is the prediction, its softmax probability the confidence.
            if not cats:
                return []
            label = max(cats, key=cats.__getitem__)
            return [PredictedLabel(label, round(float(cats[label]), 4))]
        chosen = sorted(((lab, s) for lab, s in cats.items() if s >= threshold), key=lambda item: (-item[1], item[0]))
        return [PredictedLabel(label, round(float(score), 4)) for label, score in chosen]

    # --- data --------------------------------------------------------------------------------------------

    def check(self, project: LoadedProject, corpus: Corpus, declared: list[str]) -> Iterator[Finding]:
        from nerspec.corpus.checks import check_classes

        return check_classes(project, corpus, declared)

    def lint(self, corpus: Corpus, language: str) -> list[Finding]:
        from nerspec.corpus.lint import lint_classification

        return lint_classification(corpus, language)

    def label_errors(
        self, docs: Sequence[Document], scores: Sequence[OutOfSample], multilabel: bool, threshold: float,
        min_score: float,
    ) -> list[LabelError]:
        from nerspec.corpus.label_errors import class_label_errors

        return class_label_errors(docs, scores, multilabel, threshold, min_score)

    # --- evaluation --------------------------------------------------------------------------------------

    def metrics(self, given: ScoringInput) -> Scores:
        from nerspec.metrics.textcat import class_sets, score_classes

        return score_classes(class_sets(given.gold), self._predicted(given), given.labels)

    def score(self, given: ScoringInput) -> KindScores:
        from nerspec.metrics.confusion import class_confusion
        from nerspec.metrics.review import review_classes
        from nerspec.metrics.scoring import KindScores
        from nerspec.metrics.textcat import class_sets, score_classes, threshold_sweep

        gold, pred = class_sets(given.gold), self._predicted(given)
        scores = score_classes(gold, pred, given.labels)
        extra: dict[str, object] = {}
        if given.multilabel:
            extra["threshold"] = given.threshold
            extra["threshold_sweep"] = threshold_sweep(gold, given.scores) if given.scores is not None else []
        return KindScores(
            scores=scores,
            confusion_matrix=class_confusion(gold, pred, scores.labels),
            extra=extra,
            documents=review_classes(given.gold, gold, pred, given.scores),
        )

    @staticmethod
    def _predicted(given: ScoringInput) -> list[set[str]]:
        from nerspec.metrics.textcat import class_sets, from_scores

        if given.multilabel and given.scores is not None:
            # The threshold decides, so the main scores and the sweep agree at that threshold.
            return from_scores(given.scores, given.threshold)
        return class_sets(given.pred)

    def predicted_documents(
        self, docs: Sequence[Document], outputs: Sequence[Sequence[PredictedLabel]]
    ) -> tuple[list[Document], list[dict[str, float]] | None]:
        pred: list[Document] = []
        scores: list[dict[str, float]] = []
        for doc, classes in zip(docs, outputs, strict=True):
            pred.append(Document(id=doc.id, text=doc.text, labels=[c.category for c in classes]))
            scores.append({c.category: c.confidence for c in classes})
        return pred, scores

    def outcomes(
        self, gold: Sequence[Document], predictions: Sequence[Sequence[PredictedLabel]]
    ) -> list[tuple[float, bool]]:
        from nerspec.calibration import class_outcomes

        return class_outcomes(gold, predictions)

    # --- report ------------------------------------------------------------------------------------------

    def report_errors(self, document: Mapping[str, object]) -> list[dict[str, str]]:
        from nerspec.metrics.error_rows import class_errors

        return class_errors(document)

    def shows_confusion(self, multilabel: bool | None, evaluation: Mapping[str, object]) -> bool:
        # A multi-label document can be right and wrong at once; a gold-vs-predicted matrix only means
        # something when each document has exactly one class.
        if multilabel is None:
            multilabel = "threshold_sweep" in evaluation
        return not multilabel and bool(evaluation.get("confusion_matrix"))
