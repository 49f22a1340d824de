"""Named-entity recognition: labels are non-overlapping character spans of a document (``spec.entities``).

Changing a default config block here changes what `train` produces: bump ``nerspec.fingerprints.model.TRAINING_RECIPE``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from nerspec.corpus.model import Document, Span
from nerspec.kinds.base import ConfigBlock, KindSchedule
from nerspec.kinds.pipeline import listener, make_doc, tok2vec_block, token_spans
from nerspec.manifest.kind_names import NER_KIND
from nerspec.manifest.schema import NERSpec
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


# 60 epochs at the largest batch is ~22 passes over a WNUT-16 fold (37,000 words) once the compounding ramp is
# counted, where the budget was measured (+2.5 F1 over raw spaCy, five folds); beyond that size the passes shrink
# as the square root of the data (silver-labelled news: test F1 flat from ~2 passes on), and a run evaluates at most 20 times
# (60 evaluations were 13% of the training time on news; they only feed the progress line). docs/defaults.md.
SCHEDULE = KindSchedule(
    batch_words=1000, batch_start=100, min_steps_per_epoch=20, epochs=60, evaluations_per_epoch=1,
    patience_evaluations=0, min_eval_frequency=20, max_eval_frequency=200, learn_rate=0.002,
    cap_reference_words=37_000, cap_passes=22, cap_exponent=0.5, evaluations=20,
)


class NERKind:
    name = NER_KIND
    title = "NER"
    label_field = NERSpec.label_field
    label_noun = NERSpec.label_noun
    label_plural = "entity types"
    schema_noun = "entity schema"
    per_label_key = NERSpec.per_label_key
    count_noun = "entities"
    annotates_spans = NERSpec.annotates_spans
    overlapping = False
    result_key = "entities"
    task_kinds: Mapping[str, str] = {"CustomEntityRecognition": "CustomEntityRecognitionLROResults"}
    job_result_key = "entities"

    # --- training and prediction -------------------------------------------------------------------------

    # The transition-based component whose beam scores confidences; a trained model must have one.
    parser_factories: tuple[str, ...] = ("ner", "beam_ner")
    held_out_scores = "beam"

    def schedule(self, multilabel: bool) -> KindSchedule:
        return SCHEDULE

    def factories(self, multilabel: bool) -> tuple[str, ...]:
        return ("ner", "beam_ner")

    def components(
        self, labels: Sequence[str], multilabel: bool, longest_span: int = 0
    ) -> tuple[list[str], dict[str, ConfigBlock]]:
        # spaCy's `init config --optimize efficiency` (no vectors) plus parameter averaging, which the
        # benchmark measured as equal or better micro-F1 on small data at no inference cost.
        width = 96
        components: dict[str, ConfigBlock] = {
            "tok2vec": {
                "factory": "tok2vec",
                "model": tok2vec_block(width, depth=4),
            },
            "ner": {
                "factory": "ner",
                "moves": None,
                "update_with_oracle_cut_size": 100,
                "incorrect_spans_key": None,
                "model": {
                    "@architectures": "spacy.TransitionBasedParser.v2",
                    "state_type": "ner",
                    "extra_state_tokens": False,
                    "hidden_width": 64,
                    "maxout_pieces": 2,
                    "use_upper": True,
                    "nO": None,
                    "tok2vec": listener(width),
                },
                "scorer": {"@scorers": "spacy.ner_scorer.v1"},
            },
        }
        return ["tok2vec", "ner"], components

    def initialize(self, labels: Sequence[str], multilabel: bool) -> dict[str, ConfigBlock]:
        return {}  # the parser infers its moves from the data

    def listening(
        self, labels: Sequence[str], multilabel: bool, width: int, longest_span: int = 0
    ) -> tuple[list[str], dict[str, ConfigBlock]]:
        pipeline, components = self.components(labels, multilabel)
        components["ner"]["model"]["tok2vec"] = listener(width)
        return [name for name in pipeline if name != "tok2vec"], {"ner": components["ner"]}

    def reference(self, nlp: Language, document: Document, labels: Sequence[str], multilabel: bool) -> Doc:
        from spacy.util import filter_spans

        doc = make_doc(nlp, document.text, document.language)
        doc.ents = filter_spans(token_spans(doc, document, labels))
        return doc

    def decode(
        self, doc: Doc, confidence: Mapping[tuple[int, int, str], float] | None, threshold: float, multilabel: bool
    ) -> list[PredictedLabel]:
        out = []
        for ent in doc.ents:
            score = 1.0 if confidence is None else confidence.get((ent.start, ent.end, ent.label_), 0.0)
            out.append(PredictedLabel(ent.label_, round(float(score), 4), ent.start_char,
                                      ent.end_char - ent.start_char, ent.text))
        return out

    # --- data --------------------------------------------------------------------------------------------

    def check(self, project: LoadedProject, corpus: Corpus, declared: list[str]) -> Iterator[Finding]:
        from nerspec.corpus.checks import check_spans

        return check_spans(project, corpus, declared, overlapping=self.overlapping)

    def lint(self, corpus: Corpus, language: str) -> list[Finding]:
        from nerspec.corpus.lint import lint_ner

        return lint_ner(corpus, language, overlapping=self.overlapping)

    def label_errors(
        self, docs: Sequence[Document], scores: Sequence[OutOfSample], multilabel: bool, threshold: float,
        min_score: float,
    ) -> list[LabelError]:
        from nerspec.corpus.label_errors import ner_label_errors

        return ner_label_errors(docs, scores, min_score)

    # --- evaluation --------------------------------------------------------------------------------------

    def metrics(self, given: ScoringInput) -> Scores:
        from nerspec.metrics.ner import score_ner

        return score_ner(given.gold, given.pred, given.labels)

    def score(self, given: ScoringInput) -> KindScores:
        from nerspec.metrics.confusion import ner_confusion
        from nerspec.metrics.partial import score_partial
        from nerspec.metrics.review import review_ner
        from nerspec.metrics.scoring import KindScores

        scores = self.metrics(given)
        return KindScores(
            scores=scores,
            confusion_matrix=ner_confusion(given.gold, given.pred, scores.labels, overlapping=self.overlapping),
            extra={"partial": score_partial(given.gold, given.pred)},
            documents=review_ner(given.gold, given.pred),
        )

    def predicted_documents(
        self, docs: Sequence[Document], outputs: Sequence[Sequence[PredictedLabel]]
    ) -> tuple[list[Document], list[dict[str, float]] | None]:
        pred = []
        for doc, ents in zip(docs, outputs, strict=True):
            spans = [Span(e.start, e.end, e.category) for e in ents]
            pred.append(Document(id=doc.id, text=doc.text, spans=spans))
        return pred, None

    def outcomes(
        self, gold: Sequence[Document], predictions: Sequence[Sequence[PredictedLabel]]
    ) -> list[tuple[float, bool]]:
        from nerspec.calibration import ner_outcomes

        return ner_outcomes(gold, predictions)

    # --- report ------------------------------------------------------------------------------------------

    def report_errors(self, document: Mapping[str, object]) -> list[dict[str, str]]:
        from nerspec.metrics.error_rows import span_errors

        return span_errors(document)

    def shows_confusion(self, multilabel: bool | None, evaluation: Mapping[str, object]) -> bool:
        return bool(evaluation.get("confusion_matrix"))
