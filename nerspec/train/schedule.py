"""The training schedule scaled to the data: batch size, evaluation frequency, step budget and patience.

A fixed step budget is wrong at both ends: 2,000 steps of 1,000 words is ~60 passes over a 30,000-word NER
corpus but one pass over 2,000 news articles. The schedule is set in *epochs* (passes over the training
words) and converted to steps for spaCy's loop; the manifest's `training.max_steps`, `patience`,
`eval_frequency` and `batch_size`, when given, override it field by field. Early stopping runs on the dev carve.
The numbers are the project kind's (``ProjectKind.schedule``, ``nerspec.kinds``), measured in ``docs/defaults.md``.

A kind may cap the budget on large data (NER does): "60 epochs" counted at the largest batch is many more passes
than that on a large corpus once the compounding ramp (100 words per batch at first) is counted, so beyond a
reference size the words actually processed grow sub-linearly with the data. The evaluations of a run may be
capped too: without early stopping they only feed the progress line, and each one scores the whole dev carve.
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
# spaCy's compounding batch size (``compounding.v1``): batch_start words, times this factor per step, up to batch_words.
BATCH_COMPOUND = 1.001


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
    start = min(spec.batch_start, batch)
    steps_per_epoch = max(1, math.ceil(words / batch))
    eval_frequency = int(min(spec.max_eval_frequency, max(spec.min_eval_frequency, steps_per_epoch / spec.evaluations_per_epoch)))
    steps = spec.epochs * steps_per_epoch
    if spec.cap_reference_words and words > spec.cap_reference_words:
        passes = spec.cap_passes * (spec.cap_reference_words / words) ** (1 - spec.cap_exponent)
        steps = min(steps, ramp_steps(passes * words, start, batch))
    max_steps = int(min(MAX_STEPS, max(MIN_STEPS, steps)))
    if spec.evaluations:
        eval_frequency = max(eval_frequency, math.ceil(max_steps / spec.evaluations))
    if spec.patience_evaluations == 0:
        # No early stopping keeps the last weights: end on an evaluation, so the kept model has a dev score.
        evaluations = math.ceil(max_steps / eval_frequency)
        if evaluations * eval_frequency > MAX_STEPS:
            evaluations -= 1  # stay within the bound
        max_steps = max(eval_frequency, evaluations * eval_frequency)
    return Schedule(
        batch_words=batch,
        batch_start=start,
        eval_frequency=eval_frequency,
        max_steps=max_steps,
        patience=eval_frequency * spec.patience_evaluations,
        learn_rate=spec.learn_rate,
    )


def ramp_steps(words: float, start: int, stop: int) -> int:
    """Steps of the compounding batch size (``start`` words, x ``BATCH_COMPOUND`` per step, at most ``stop``) that
    process ``words`` words: the ramp's steps are cheap in words but not in time, so they must be counted."""
    ramp = math.ceil(math.log(stop / start) / math.log(BATCH_COMPOUND)) if stop > start else 0
    ramp_words = start * (BATCH_COMPOUND**ramp - 1) / (BATCH_COMPOUND - 1)
    if words <= ramp_words:
        return math.ceil(math.log1p(words * (BATCH_COMPOUND - 1) / start) / math.log(BATCH_COMPOUND))
    return ramp + math.ceil((words - ramp_words) / stop)
