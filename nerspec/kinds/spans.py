"""Overlapping and nested entities (an NER project with ``spec.overlapping: true``): spaCy's span categorizer.

The words, checks, scorers, report pieces and serving shape are NER's (``nerspec.kinds.ner``): the strict scorer
counts spans as sets, so overlapping gold and predicted spans score as they are. What differs is the model: a
``spancat`` that scores candidate spans (every n-gram up to the longest training entity, bounded), keeps each
(span, type) whose probability reaches ``SPAN_THRESHOLD``, and writes them, overlaps and all, to
``doc.spans[SPANS_KEY]``. Its own per-(span, type) probability is the raw confidence (no parser), which the
artifact's calibration maps like NER's. The choice of ``spancat`` over ``spancat_singlelabel`` is measured in
docs/defaults.md.

Changing a default config block here changes what `train` produces: bump ``nerspec.fingerprints.model.TRAINING_RECIPE``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from nerspec.corpus.model import Document
from nerspec.kinds.base import ConfigBlock, KindSchedule
from nerspec.kinds.ner import SCHEDULE, NERKind
from nerspec.kinds.pipeline import listener, make_doc, tok2vec_block, token_spans
from nerspec.predictions import PredictedLabel

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import SpanCategorizer
    from spacy.tokens import Doc

    from nerspec.corpus.label_errors import LabelError, OutOfSample

SPANS_KEY = "sc"  # spaCy's default spans key: where references and predictions hold their spans
SPAN_THRESHOLD = 0.5  # a (span, type) is predicted from this probability on (the component's sigmoid)
# The suggester proposes every n-gram of 1..longest training entity tokens, at least DEFAULT and at most MAX
# (each size adds one candidate per token: the cost grows linearly, longer entities are rarely consistent).
DEFAULT_MAX_SPAN_TOKENS = 3
MAX_SPAN_TOKENS = 12
TOK2VEC_WIDTH = 96
FACTORIES = ("spancat", "spancat_singlelabel")  # the default, and an expert config's softmax variant
# A tokenizer-free estimate of spaCy's tokens (words and single punctuation marks); over-counts "U.S." (safe).
_TOKEN = re.compile(r"\w+|[^\w\s]")


def span_tokens(documents: Iterable[Document]) -> int:
    """The longest entity of ``documents`` in (estimated) tokens: what the suggester must cover (0: none)."""
    return max((len(_TOKEN.findall(doc.text[s.start : s.end])) for doc in documents for s in doc.spans), default=0)


def suggester_sizes(longest: int) -> list[int]:
    """N-gram sizes 1..``longest`` (0: unknown, the default), bounded."""
    top = DEFAULT_MAX_SPAN_TOKENS if longest <= 0 else max(1, min(MAX_SPAN_TOKENS, longest))
    return list(range(1, top + 1))


class SpanKind(NERKind):
    """NER whose entities may overlap: NER's words and scorers, a ``spancat`` model."""

    title = "NER (overlapping)"
    overlapping = True
    parser_factories: tuple[str, ...] = ()  # the span categorizer's own probabilities are the confidences
    held_out_scores = "candidates"  # every suggested (span, type) with its probability: ``candidate_probabilities``

    def schedule(self, multilabel: bool) -> KindSchedule:
        return SCHEDULE

    def factories(self, multilabel: bool) -> tuple[str, ...]:
        return FACTORIES

    def components(
        self, labels: Sequence[str], multilabel: bool, longest_span: int = 0
    ) -> tuple[list[str], dict[str, ConfigBlock]]:
        # NER's tok2vec (spaCy's `init config -p spancat -o efficiency` has the same) under spaCy's default
        # span categorizer; only the suggester's sizes follow the data.
        components: dict[str, ConfigBlock] = {
            "tok2vec": {"factory": "tok2vec", "model": tok2vec_block(TOK2VEC_WIDTH, depth=4)},
            "spancat": {
                "factory": "spancat",
                "max_positive": None,
                "spans_key": SPANS_KEY,
                "threshold": SPAN_THRESHOLD,
                "model": {
                    "@architectures": "spacy.SpanCategorizer.v1",
                    "reducer": {"@layers": "spacy.mean_max_reducer.v1", "hidden_size": 128},
                    "scorer": {"@layers": "spacy.LinearLogistic.v1", "nO": None, "nI": None},
                    "tok2vec": listener(TOK2VEC_WIDTH),
                },
                "suggester": {"@misc": "spacy.ngram_suggester.v1", "sizes": suggester_sizes(longest_span)},
                "scorer": {"@scorers": "spacy.spancat_scorer.v1"},
            },
        }
        return ["tok2vec", "spancat"], components

    def initialize(self, labels: Sequence[str], multilabel: bool) -> dict[str, ConfigBlock]:
        # Types are declared up front (as classes are): a type absent from a small training set still has an output.
        return {"spancat": {"labels": list(labels)}}

    def listening(
        self, labels: Sequence[str], multilabel: bool, width: int, longest_span: int = 0
    ) -> tuple[list[str], dict[str, ConfigBlock]]:
        _pipeline, components = self.components(labels, multilabel, longest_span)
        components["spancat"]["model"]["tok2vec"] = listener(width)
        return ["spancat"], {"spancat": components["spancat"]}

    def label_errors(
        self, docs: Sequence[Document], scores: Sequence[OutOfSample], multilabel: bool, threshold: float,
        min_score: float,
    ) -> list[LabelError]:
        from nerspec.corpus.span_label_errors import span_label_errors  # nested tags are not rivals

        return span_label_errors(docs, scores, min_score)

    def reference(self, nlp: Language, document: Document, labels: Sequence[str], multilabel: bool) -> Doc:
        doc = make_doc(nlp, document.text, document.language)
        # overlapping spans are kept, the same span and type once (in the document's order)
        unique = {(span.start, span.end, span.label_): span for span in token_spans(doc, document, labels)}
        doc.spans[SPANS_KEY] = list(unique.values())
        return doc

    def decode(
        self, doc: Doc, confidence: Mapping[tuple[int, int, str], float] | None, threshold: float, multilabel: bool
    ) -> list[PredictedLabel]:
        group = doc.spans.get(SPANS_KEY)
        if group is None:
            return []
        scores = group.attrs.get("scores")
        out = []
        for index, span in enumerate(group):
            # spancat's scores are one number per span; spancat_singlelabel's a one-element row (an expert config).
            score = 1.0 if scores is None else float(scores[index].item())
            out.append(PredictedLabel(span.label_, round(score, 4), span.start_char, span.end_char - span.start_char,
                                      span.text))
        # Reading order, the longer of two spans that start together first (the outer of nested entities).
        out.sort(key=lambda e: (e.start, -(e.length or 0), e.category))
        return out


def candidate_probabilities(
    nlp: Language, texts: Iterable[str | Doc], floor: float, batch_size: int = 64
) -> list[dict[tuple[int, int, str], float]]:
    """Per text, every (span, type) the pipeline's span categorizer proposes (its suggester) whose probability
    reaches ``floor``, keyed by code-point (start, end, type): what it weighs, not only what reaches its threshold
    (the label-error check). A softmax variant's "no type" column is not a type and is left out."""
    from nerspec.errors import NerspecError

    name = next((n for n in nlp.pipe_names if nlp.get_pipe_meta(n).factory in FACTORIES), None)
    if name is None:
        raise NerspecError("the pipeline has no span categorizer to score candidate spans")
    component: SpanCategorizer = nlp.get_pipe(name)  # type: ignore[assignment]
    out: list[dict[tuple[int, int, str], float]] = []
    batch: list[Doc] = []
    for doc in nlp.pipe(texts, batch_size=batch_size, disable=nlp.pipe_names[nlp.pipe_names.index(name):]):
        batch.append(doc)
        if len(batch) == batch_size:
            out.extend(_scored(component, batch, floor))
            batch = []
    return out + (_scored(component, batch, floor) if batch else [])


def _scored(component: SpanCategorizer, docs: list[Doc], floor: float) -> list[dict[tuple[int, int, str], float]]:
    indices, scores = component.predict(docs)
    ops = component.model.ops
    table = ops.to_numpy(scores)
    labels = list(component.labels)
    out: list[dict[tuple[int, int, str], float]] = []
    offset = 0
    for i, doc in enumerate(docs):
        count = int(indices.lengths[i])
        rows = table[offset : offset + count]
        offset += count
        found: dict[tuple[int, int, str], float] = {}
        for (start, end), row in zip(ops.to_numpy(indices[i].dataXd), rows, strict=True):
            span = doc[int(start) : int(end)]
            for j, label in enumerate(labels):
                if float(row[j]) >= floor:
                    found[(span.start_char, span.end_char, label)] = float(row[j])
        out.append(found)
    return out
