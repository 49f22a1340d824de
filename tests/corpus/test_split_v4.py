"""Split version 4 (nerspec/corpus/split_v4.py): exact shares, recorded documents never move (hypothesis)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from nerspec.corpus.model import Document
from nerspec.corpus.split import unit_hash
from nerspec.corpus.split_v4 import assign_test, strata_of

CLASSES = st.sampled_from(["a", "b", "c", "d"])
IMBALANCED = st.sampled_from(["a", "a", "a", "a", "a", "a", "b", "b", "c", "d"])
FRACTIONS = st.sampled_from([0.1, 0.2, 0.25, 0.3, 0.5])


def _docs(labels: list, start: int = 0) -> list[Document]:
    return [Document(f"d{start + i}", "x", labels=sorted(x) if isinstance(x, set) else [x]) for i, x in enumerate(labels)]


def _within_one(docs: list[Document], test: set[str], fraction: float) -> None:
    stratum = strata_of(docs)
    size, tested = Counter(stratum.values()), Counter(stratum[i] for i in test)
    for group, n in size.items():
        if n >= 10:
            assert abs(tested[group] - fraction * n) <= 1, (group, n, tested[group])


@settings(max_examples=150, deadline=None)
@given(st.lists(IMBALANCED, min_size=1, max_size=300), st.lists(CLASSES, max_size=200), FRACTIONS, st.integers(0, 9))
def test_additions_move_nothing_and_keep_quotas(first: list, added: list, fraction: float, seed: int) -> None:
    old = _docs(first)
    before = assign_test(old, fraction, seed, None, unit_hash)
    _within_one(old, before, fraction)
    recorded = {d.id: d.id in before for d in old}
    grown = old + _docs(added, start=len(first))
    after = assign_test(grown, fraction, seed, recorded, unit_hash)
    assert all((d.id in after) == recorded[d.id] for d in old)
    _within_one(grown, after, fraction)


@settings(max_examples=150, deadline=None)
@given(st.lists(CLASSES, min_size=1, max_size=300), st.sets(st.integers(0, 299), max_size=100),
       st.lists(CLASSES, max_size=200), FRACTIONS)
def test_removals_move_nothing_and_drift_by_at_most_what_was_removed(first: list, gone: set, added: list,
                                                                     fraction: float) -> None:
    old = _docs(first)
    recorded = {d.id: d.id in assign_test(old, fraction, 1, None, unit_hash) for d in old}
    kept = [d for i, d in enumerate(old) if i not in gone]
    after = assign_test(kept, fraction, 1, recorded, unit_hash)
    assert all((d.id in after) == recorded[d.id] for d in kept)
    removed = Counter(strata_of(old)[d.id] for i, d in enumerate(old) if i in gone)
    stratum = strata_of(kept)
    size, tested = Counter(stratum.values()), Counter(stratum[i] for i in after)
    for group, n in size.items():
        assert abs(tested[group] - fraction * n) <= 0.5 + removed[group] + 1e-9


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sets(CLASSES, min_size=1, max_size=3), min_size=1, max_size=300), FRACTIONS)
def test_multi_label_strata_by_rarest_class(labels: list, fraction: float) -> None:
    docs = _docs(labels)
    _within_one(docs, assign_test(docs, fraction, 0, None, unit_hash), fraction)


def test_fresh_assignment_is_reproducible_from_the_data() -> None:
    docs = _docs(["a", "b"] * 50)
    first = assign_test(docs, 0.2, 3, None, unit_hash)
    assert first == assign_test(list(reversed(docs)), 0.2, 3, None, unit_hash) and len(first) == 20
