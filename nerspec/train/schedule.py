"""The training schedule scaled to the data: batch size, evaluation frequency, step budget and patience.

A fixed step budget is wrong at both ends: 2,000 steps of 1,000 words is ~60 passes over a 30,000-word NER
corpus but one pass over 2,000 news articles. The schedule is set in *epochs* (passes over the training
words) and converted to steps for spaCy's loop; the manifest's `training.max_steps`, `patience`,
`eval_frequency` and `batch_size`, when given, override it field by field. Early stopping runs on the dev carve.
The numbers are per project kind (``KIND_SCHEDULES``) and were measured in ``docs/defaults.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from nerspec.corpus.model import Document
from nerspec.manifest.schema import CLASSIFICATION_KIND, NER_KIND


@dataclass(frozen=True)
class DataSize:
    documents: int
    words: int  # whitespace-separated words of the training documents (a tokenizer-free estimate)

    @classmethod
    def of(cls, documents: Sequence[Document]) -> DataSize:
        return cls(documents=len(documents), words=sum(len(d.text.split()) for d in documents))


@dataclass(frozen=True)
class KindSchedule:
    batch_words: int  # words per batch (largest)
    batch_start: int  # spaCy's compounding schedule starts here and grows to batch_words
    min_steps_per_epoch: int  # small data: smaller batches, so an epoch still has this many updates
    epochs: float  # step budget
    evaluations_per_epoch: float
    patience_evaluations: int  # stop after this many evaluations without a better dev score
    min_eval_frequency: int
    max_eval_frequency: int
    learn_rate: float  # Adam's; a linear model over normalised features needs larger steps than a deep tok2vec


KIND_SCHEDULES = {
    NER_KIND: KindSchedule(
        batch_words=1000, batch_start=100, min_steps_per_epoch=20, epochs=60, evaluations_per_epoch=1,
        patience_evaluations=15, min_eval_frequency=20, max_eval_frequency=200, learn_rate=0.002,
    ),
    CLASSIFICATION_KIND: KindSchedule(
        batch_words=4000, batch_start=4000, min_steps_per_epoch=20, epochs=5, evaluations_per_epoch=2,
        patience_evaluations=3, min_eval_frequency=10, max_eval_frequency=200, learn_rate=0.01,
    ),
}
# Multi-label classification: independent sigmoids (one logistic regression per class, each with few positives)
# need more, smaller updates than a softmax: on BBC News 1,000-word batches gave macro F1 0.9513, 2,000 0.9492,
# 4,000 (the single-label batch) 0.9322, against 0.9360 for one-vs-rest TF-IDF + LR (docs/defaults.md).
MULTILABEL_BATCH_WORDS = 1000
# Bounds whatever the data: very small projects still train a few hundred steps, huge ones stop in time.
MIN_STEPS, MAX_STEPS = 200, 20000


@dataclass(frozen=True)
class Schedule:
    batch_words: int
    batch_start: int
    eval_frequency: int
    max_steps: int
    patience: int
    learn_rate: float


def schedule_for(kind: str, size: DataSize | None, multilabel: bool = False) -> Schedule:
    """The default schedule of a project kind for ``size`` training data (``None``: a small project)."""
    spec = KIND_SCHEDULES[kind]
    if multilabel and kind == CLASSIFICATION_KIND:
        spec = replace(spec, batch_words=MULTILABEL_BATCH_WORDS, batch_start=MULTILABEL_BATCH_WORDS)
    words = max(size.words if size is not None else 5000, 1)
    batch = max(50, min(spec.batch_words, words // spec.min_steps_per_epoch))
    steps_per_epoch = max(1, math.ceil(words / batch))
    eval_frequency = int(min(spec.max_eval_frequency, max(spec.min_eval_frequency, steps_per_epoch / spec.evaluations_per_epoch)))
    max_steps = int(min(MAX_STEPS, max(MIN_STEPS, spec.epochs * steps_per_epoch)))
    return Schedule(
        batch_words=batch,
        batch_start=min(spec.batch_start, batch),
        eval_frequency=eval_frequency,
        max_steps=max_steps,
        patience=eval_frequency * spec.patience_evaluations,
        learn_rate=spec.learn_rate,
    )
