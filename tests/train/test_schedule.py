"""The default schedule scaled to the data: the NER budget on large data and the evaluations of a run (no training)."""

from __future__ import annotations

from nerspec.kinds.ner import SCHEDULE as NER
from nerspec.train.schedule import BATCH_COMPOUND, DataSize, ramp_steps, schedule_for


def _words_processed(steps: int, start: int, stop: int) -> float:
    """spaCy's compounding batch sizes over ``steps`` steps, added up one step at a time."""
    return sum(min(stop, start * BATCH_COMPOUND**step) for step in range(steps))


def test_ramp_steps_counts_the_compounding_batches():
    for words, start, stop in ((5_000, 100, 1000), (814_000, 100, 1000), (2_000_000, 100, 1000), (90_000, 100, 150)):
        steps = ramp_steps(words, start, stop)
        assert _words_processed(steps, start, stop) >= words > _words_processed(steps - 1, start, stop)
    assert ramp_steps(50_000, 1000, 1000) == 50  # no ramp: a constant batch


def test_ner_budget_is_unchanged_up_to_the_measured_size_and_sub_linear_beyond():
    """60 epochs up to a WNUT-16 fold's 37,000 words (where it was measured: ~22 passes with the ramp counted);
    beyond, the words processed still grow with the data but the passes over it shrink (docs/defaults.md)."""
    for words in (3_000, 9_500, 20_000, NER.cap_reference_words):
        schedule = schedule_for("NERProject", DataSize(1, words))
        epochs = NER.epochs * -(-words // schedule.batch_words)
        assert epochs <= schedule.max_steps < epochs + schedule.eval_frequency  # rounded up to an evaluation
    passes, processed = [], []
    for words in (50_000, 100_000, 200_000, 600_000):
        schedule = schedule_for("NERProject", DataSize(1, words))
        processed.append(_words_processed(schedule.max_steps, schedule.batch_start, schedule.batch_words))
        passes.append(processed[-1] / words)
    assert processed == sorted(processed) and passes == sorted(passes, reverse=True)
    assert passes[0] < NER.cap_passes * 1.05 and passes[2] < 11  # CoNLL-2003's size: ~10 passes, not 53
    assert schedule_for("NERProject", DataSize(1, 200_000)).max_steps < 4_000  # was 12,000


def test_ner_evaluates_at_most_twenty_times_and_ends_on_an_evaluation():
    for words in (3_000, 37_000, 200_000, 10**8):
        schedule = schedule_for("NERProject", DataSize(1, words))
        assert schedule.max_steps // schedule.eval_frequency <= NER.evaluations
        assert schedule.max_steps % schedule.eval_frequency == 0
    # Text classification keeps its evaluations per epoch (early stopping reads them).
    single = schedule_for("TextClassificationProject", DataSize(1_750, 660_000))
    assert single.eval_frequency <= 200 and single.patience > 0
