"""The project-kind protocol: everything that differs between kinds of project, in one small interface.

Each kind (``nerspec.kinds.ner``, ``nerspec.kinds.textcat``) implements it once; every subsystem looks the kind
up in ``nerspec.kinds.KINDS`` by the manifest's ``kind`` and asks it, instead of branching on the name.
Kind modules import spaCy, numpy and the heavier subsystems only inside methods: looking a kind up stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from nerspec.corpus.findings import Finding
    from nerspec.corpus.label_errors import LabelError, OutOfSample
    from nerspec.corpus.model import Corpus, Document
    from nerspec.manifest.load import LoadedProject
    from nerspec.metrics.prf import Scores
    from nerspec.metrics.scoring import KindScores, ScoringInput
    from nerspec.predictions import PredictedLabel

# A spaCy config block: {setting: value}, nested as in a ``.cfg`` file.
ConfigBlock = dict[str, Any]


@dataclass(frozen=True)
class KindSchedule:
    """A kind's default training schedule in epochs, scaled to the data by ``nerspec.train.schedule``."""

    batch_words: int  # words per batch (largest)
    batch_start: int  # spaCy's compounding schedule starts here and grows to batch_words
    min_steps_per_epoch: int  # small data: smaller batches, so an epoch still has this many updates
    epochs: float  # step budget
    evaluations_per_epoch: float
    patience_evaluations: int  # stop after this many evaluations without a better dev score (0: train the budget, keep the last weights)
    min_eval_frequency: int
    max_eval_frequency: int
    learn_rate: float  # Adam's; a linear model over normalised features needs larger steps than a deep tok2vec
    # Large data: beyond ``cap_reference_words`` training words the budget is capped at ``cap_passes`` passes over
    # the words actually processed (the compounding ramp included), shrinking as (reference / words) ** (1 -
    # ``cap_exponent``): the words processed grow sub-linearly with the data. 0: no cap (``epochs`` everywhere).
    cap_reference_words: int = 0
    cap_passes: float = 0.0
    cap_exponent: float = 1.0
    evaluations: int = 0  # at most this many evaluations in a run (0: ``evaluations_per_epoch`` alone decides)


class ProjectKind(Protocol):
    """One kind of project. Attributes are words and keys; methods are the kind's share of each subsystem."""

    # --- words and keys ------------------------------------------------------------------------------
    name: str  # the manifest's `kind`
    title: str  # "NER", "text classification" (report headings)
    label_field: str  # the manifest field declaring the labels: `spec.entities`, `spec.classes`
    label_noun: str  # "entity type", "class"
    label_plural: str  # "entity types", "classes"
    schema_noun: str  # what the labels together are called in plan reasons: "entity schema", "class schema"
    per_label_key: str  # the Evaluation JSON key of label metrics, also the per-label gates' prefix
    count_noun: str  # what per-label data counts count: "entities", "documents"
    # Labels are character spans of a document (True), or classes of the whole document (False). The code that
    # only cares about that shape reads this, so span kinds share it: exports, guidance, labeling, long-text chunks.
    annotates_spans: bool
    overlapping: bool  # a document's labels may overlap or nest (``spec.overlapping``: a span categorizer)

    # --- serving shape ----------------------------------------------------------------------------------
    result_key: str  # key of a document's predictions in `nerspec predict` and the native API: entities/classes
    # Azure Language job task kinds this kind serves -> the task's result kind (the `/analyze-text/jobs` API).
    task_kinds: Mapping[str, str]
    job_result_key: str  # key of a document's predictions in a job's results ("class" for classification)

    # --- training and prediction (spaCy) -----------------------------------------------------------------
    # Factories of a transition-based component whose beam scores the confidences (NER's parser); a model of
    # the kind must have one. Empty when the trained component's own scores are the confidences (textcat).
    parser_factories: tuple[str, ...]
    # How the label-error check scores a held-out document (``nerspec.train.cross_fit``): "beam" (a parser's beam
    # marginals and untagged runs), "candidates" (a span categorizer's probability of every suggested span and
    # type), "classes" (the class probabilities).
    held_out_scores: str

    def schedule(self, multilabel: bool) -> KindSchedule:
        """The default training schedule (measured in docs/defaults.md); the manifest overrides it field by field."""
        ...

    def factories(self, multilabel: bool) -> tuple[str, ...]:
        """Factories that may carry the model's labels (an expert config may use e.g. ``beam_ner``)."""
        ...

    def components(
        self, labels: Sequence[str], multilabel: bool, longest_span: int = 0
    ) -> tuple[list[str], dict[str, ConfigBlock]]:
        """The default pipeline: (component names, {component: config block}); ``longest_span``: the training
        data's longest entity in tokens (0: unknown), for a model that enumerates candidate spans."""
        ...

    def initialize(self, labels: Sequence[str], multilabel: bool) -> dict[str, ConfigBlock]:
        """``[initialize.components.<name>]`` settings."""
        ...

    def listening(
        self, labels: Sequence[str], multilabel: bool, width: int, longest_span: int = 0
    ) -> tuple[list[str], dict[str, ConfigBlock]]:
        """The trained component(s) reading a shared ``tok2vec`` of ``width`` through a listener."""
        ...

    def reference(self, nlp: Language, document: Document, labels: Sequence[str], multilabel: bool) -> Doc:
        """A corpus document as a spaCy reference doc (gold annotations) for training and scoring."""
        ...

    def decode(
        self, doc: Doc, confidence: Mapping[tuple[int, int, str], float] | None, threshold: float, multilabel: bool
    ) -> list[PredictedLabel]:
        """A processed doc as contract predictions (``confidence``: (start, end, label) -> probability)."""
        ...

    # --- data -------------------------------------------------------------------------------------------
    def check(self, project: LoadedProject, corpus: Corpus, declared: list[str]) -> Iterator[Finding]:
        """The kind's label checks (``nerspec.corpus.checks``)."""
        ...

    def lint(self, corpus: Corpus, language: str) -> list[Finding]:
        """The kind's label lint (``nerspec.corpus.lint``)."""
        ...

    def label_errors(
        self, docs: Sequence[Document], scores: Sequence[OutOfSample], multilabel: bool, threshold: float,
        min_score: float,
    ) -> list[LabelError]:
        """Likely label errors, ranked, from each document's ``held_out_scores`` (``threshold``: multi-label's)."""
        ...

    # --- evaluation --------------------------------------------------------------------------------------
    def metrics(self, given: ScoringInput) -> Scores:
        """Strict P/R/F1 only (also per language)."""
        ...

    def score(self, given: ScoringInput) -> KindScores:
        """Scores, confusion matrix, kind-specific extras and per-document review (``nerspec.evaluate``)."""
        ...

    def predicted_documents(
        self, docs: Sequence[Document], outputs: Sequence[Sequence[PredictedLabel]]
    ) -> tuple[list[Document], list[dict[str, float]] | None]:
        """Predictor output as predicted Documents, plus class scores where the kind has them."""
        ...

    def outcomes(
        self, gold: Sequence[Document], predictions: Sequence[Sequence[PredictedLabel]]
    ) -> list[tuple[float, bool]]:
        """(confidence, correct) of every returned prediction, for calibration."""
        ...

    # --- report ------------------------------------------------------------------------------------------
    def report_errors(self, document: Mapping[str, object]) -> list[dict[str, str]]:
        """The error-table rows of one reviewed document of the Evaluation JSON."""
        ...

    def shows_confusion(self, multilabel: bool | None, evaluation: Mapping[str, object]) -> bool:
        """Whether a gold-vs-predicted matrix means something (``multilabel`` None: not recorded)."""
        ...
