"""SemEval-2013 partial-credit views cross-checked against nervaluate on random documents."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerspec.corpus.model import Document, Span
from nerspec.metrics.ner import score_ner
from nerspec.metrics.partial import SCHEMES, entities, score_partial
from tests.evaluate.evaluate_helpers import TYPES, docs_from_tags, tagged_pair

NERVALUATE_SCHEME = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


def nervaluate_overall(gold: list[Document], pred: list[Document]) -> dict[str, object]:
    from nervaluate import Evaluator

    # nervaluate's ends are inclusive; we give it the same sorted, deduplicated entities we score.
    def dicts(doc: Document) -> list[dict[str, object]]:
        return [{"label": lab, "start": s, "end": e - 1} for s, e, lab in entities(doc)]

    labels = sorted({s.label for d in (*gold, *pred) for s in d.spans}) or list(TYPES)
    ev = Evaluator([dicts(d) for d in gold], [dicts(d) for d in pred], tags=labels, loader="dict")
    return ev.evaluate()["overall"]


def assert_same(gold: list[Document], pred: list[Document]) -> None:
    ours = score_partial(gold, pred)
    theirs = nervaluate_overall(gold, pred)
    for scheme in SCHEMES:
        mine, ref = ours[scheme], theirs[NERVALUATE_SCHEME[scheme]]
        for key in ("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual"):
            assert mine[key] == getattr(ref, key), (scheme, key)
        for key in ("precision", "recall", "f1"):
            assert mine[key] == pytest.approx(getattr(ref, key)), (scheme, key)


@st.composite
def char_docs(draw: st.DrawFn) -> tuple[list[Document], list[Document]]:
    """Arbitrary (also overlapping, nested, long) character spans: every matching branch of nervaluate."""
    gold, pred = [], []
    for k in range(draw(st.integers(1, 4))):
        length = draw(st.sampled_from([20, 40, 250]))
        text = "x" * length

        def spans() -> list[Span]:
            out = []
            for _ in range(draw(st.integers(0, 5))):
                start = draw(st.integers(0, length - 1))  # noqa: B023 (called within the same iteration)
                end = draw(st.integers(start + 1, min(length, start + draw(st.sampled_from([3, 10, 220])))))  # noqa: B023 (called within the same iteration)
                out.append(Span(start, end, draw(st.sampled_from(TYPES[:2]))))
            return out

        g = spans()
        # Predictions near the gold spans make partial and incorrect matches likely.
        p = [Span(max(0, s.start + draw(st.integers(-2, 2))), s.end, draw(st.sampled_from(TYPES[:2])))
             for s in g if draw(st.booleans())]
        p = [s for s in p if s.start < s.end] + spans()
        gold.append(Document(str(k), text, g))
        pred.append(Document(str(k), text, p))
    return gold, pred


@settings(max_examples=300, deadline=None)
@given(char_docs())
def test_matches_nervaluate_on_character_spans(docs: tuple[list[Document], list[Document]]) -> None:
    assert_same(*docs)


@settings(max_examples=100, deadline=None)
@given(st.lists(tagged_pair(), min_size=1, max_size=5))
def test_matches_nervaluate_on_tagged_sequences(batch: list[tuple[list[str], list[str], list[str]]]) -> None:
    gold, pred = docs_from_tags(batch)
    assert_same(gold, pred)
    # Strict SemEval equals the strict entity-level micro scores when spans do not overlap.
    strict = score_partial(gold, pred)["strict"]
    micro = score_ner(gold, pred).micro
    assert strict["correct"] == micro.tp
    assert strict["precision"] == pytest.approx(micro.precision) and strict["recall"] == pytest.approx(micro.recall)


def test_partial_scheme_gives_half_credit() -> None:
    text = "John Smith"
    out = score_partial([Document("1", text, [Span(0, 10, "PER")])], [Document("1", text, [Span(0, 4, "LOC")])])
    assert out["partial"]["partial"] == 1 and out["partial"]["precision"] == 0.5
    assert out["strict"]["incorrect"] == 1 and out["strict"]["f1"] == 0.0
    assert out["type"]["incorrect"] == 1
    assert out["exact"]["incorrect"] == 1
