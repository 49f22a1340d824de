"""The training schedule scaled to the data: batch size, evaluation frequency, step budget and patience.

A fixed step budget is wrong at both ends: 2,000 steps of 1,000 words is ~60 passes over a 30,000-word NER
corpus but one pass over 2,000 news articles. The schedule is set in *epochs* (passes over the training
words) and converted to steps for spaCy's loop; the manifest's `training.max_steps`, `patience`,
`eval_frequency` and `batch_size`, when given, override it field by field. Early stopping runs on the dev carve.
The numbers are the project kind's (``ProjectKind.schedule``, ``nerspec.kinds``), measured in ``docs/defaults.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from nerspec.corpus.model import Document
from nerspec.kinds import ProjectKind, kind_of


@dataclass(frozen=True)
class DataSize:
    documents: int
    words: int  # whitespace-separated words of the training documents (a tokenizer-free estimate)
    longest_span: int = 0  # the longest entity in (estimated) tokens: what a span model's candidates must cover

    @classmethod
    def of(cls, documents: Sequence[Document]) -> DataSize:
        from nerspec.kinds.spans import span_tokens

        return cls(documents=len(documents), words=sum(len(d.text.split()) for d in documents),
                   longest_span=span_tokens(documents))


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


def schedule_for(kind: str | ProjectKind, size: DataSize | None, multilabel: bool = False) -> Schedule:
    """The default schedule of a project kind (or its name) for ``size`` training data (``None``: a small project)."""
    spec = (kind_of(kind) if isinstance(kind, str) else kind).schedule(multilabel)
    words = max(size.words if size is not None else 5000, 1)
    batch = max(50, min(spec.batch_words, words // spec.min_steps_per_epoch))
    steps_per_epoch = max(1, math.ceil(words / batch))
    eval_frequency = int(min(spec.max_eval_frequency, max(spec.min_eval_frequency, steps_per_epoch / spec.evaluations_per_epoch)))
    max_steps = int(min(MAX_STEPS, max(MIN_STEPS, spec.epochs * steps_per_epoch)))
    if spec.patience_evaluations == 0:
        # No early stopping keeps the last weights: end on an evaluation, so the kept model has a dev score.
        evaluations = math.ceil(max_steps / eval_frequency)
        if evaluations * eval_frequency > MAX_STEPS:
            evaluations -= 1  # stay within the bound
        max_steps = max(eval_frequency, evaluations * eval_frequency)
    return Schedule(
        batch_words=batch,
        batch_start=min(spec.batch_start, batch),
        eval_frequency=eval_frequency,
        max_steps=max_steps,
        patience=eval_frequency * spec.patience_evaluations,
        learn_rate=spec.learn_rate,
    )
