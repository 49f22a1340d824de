"""Ranking strategies on given predictions: reasons, diversity, determinism (no model needed)."""

from __future__ import annotations

from nerspec.corpus.model import Document
from nerspec.label.next import rank
from nerspec.predictions import PredictedLabel


def ent(text: str, label: str, score: float) -> PredictedLabel:
    return PredictedLabel(label, score, 0, len(text), text)


POOL = [
    Document("sure", "Alice went to Paris yesterday"),
    Document("shaky", "Zorblat visited Quux near the river"),
    Document("shaky-copy", "Zorblat visited Quux near the river!"),
    Document("empty", "nothing to see here at all"),
    Document("many", "Bob and Carol and Dave met in Lima"),
]
PREDICTIONS = [
    [ent("Alice", "PERSON", 0.99), ent("Paris", "CITY", 0.98)],
    [ent("Zorblat", "PERSON", 0.41), ent("Quux", "CITY", 0.55)],
    [ent("Zorblat", "PERSON", 0.40), ent("Quux", "CITY", 0.55)],
    [],
    [ent("Bob", "PERSON", 0.7), ent("Carol", "PERSON", 0.8), ent("Dave", "PERSON", 0.75), ent("Lima", "CITY", 0.9)],
]


def test_uncertainty_ranks_by_expected_wrong_entities_with_reasons() -> None:
    picks = rank(POOL, 3, strategy="uncertainty", predictions=PREDICTIONS)
    assert [p.id for p in picks] == ["shaky-copy", "shaky", "many"]
    assert picks[0].reasons[0].startswith("lowest entity confidence 0.40 (`Zorblat` as PERSON)")
    assert picks[0].score > picks[1].score > picks[2].score


def test_diverse_never_picks_near_duplicates_together_and_is_deterministic() -> None:
    first = rank(POOL, 4, strategy="diverse", predictions=PREDICTIONS, seed=3)
    again = rank(POOL, 4, strategy="diverse", predictions=PREDICTIONS, seed=3)
    ids = [p.id for p in first]
    assert ids == [p.id for p in again]
    assert not {"shaky", "shaky-copy"} <= set(ids)
    assert ids[0] in ("shaky", "shaky-copy")


def test_diverse_prefers_vocabulary_the_labeled_data_lacks() -> None:
    labeled = [Document("l1", "nothing to see here at all, Alice went to Paris yesterday")]
    picks = rank(POOL, 5, strategy="diverse", predictions=PREDICTIONS, labeled=labeled)
    assert [p.id for p in picks] == ["shaky-copy", "many", "sure", "empty"]  # `shaky` is a near-duplicate
    assert "new vocabulary: 100% of its words are in no labeled document or earlier pick" in picks[1].reasons
    assert picks[-1].reasons == ["fills the batch: no more uncertain or novel document is left"]


def test_under_represented_types_get_a_bonus_and_a_reason() -> None:
    picks = rank(POOL, 5, strategy="uncertainty", predictions=PREDICTIONS, under_represented={"CITY": "3 training instances"})
    reasons = {p.id: p.reasons for p in picks}
    assert "predicts CITY, which guidance calls under-represented (3 training instances)" in reasons["sure"]
    assert [p.id for p in picks][-1] == "empty"


def test_random_depends_on_the_seed_only() -> None:
    a = [p.id for p in rank(POOL, 5, strategy="random", seed=1)]
    assert a == [p.id for p in rank(list(reversed(POOL)), 5, strategy="random", seed=1)]
    assert sorted(a) == sorted(d.id for d in POOL)
    assert any([p.id for p in rank(POOL, 5, strategy="random", seed=s)] != a for s in range(2, 6))


def test_classification_near_tie() -> None:
    docs = [Document("a", "x"), Document("b", "y")]
    preds = [[PredictedLabel("A", 0.52)], [PredictedLabel("B", 0.97)]]
    picks = rank(docs, 2, strategy="uncertainty", predictions=preds, spans=False)
    assert picks[0].id == "a" and picks[0].reasons == ["near-tie between classes: top class A only 0.52"]
