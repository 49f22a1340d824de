"""Words as monitoring counts them: lower case, digits as 0, one word per CJK character."""

from __future__ import annotations

from nerspec.vocabulary import build, unseen, words


def test_words() -> None:
    assert words("Alice paid $2,500 on 2024-05-01.") == ["alice", "paid", "0", "000", "on", "0000", "00", "00"]
    assert words("東京へ行くAlice") == ["東", "京", "へ", "行", "く", "alice"]
    assert words("Straße café_au_lait") == ["straße", "café", "au", "lait"]


def test_vocabulary_keeps_the_most_frequent_words() -> None:
    assert build(["a b b c c c", "c"], limit=2) == ["b", "c"]
    assert unseen(words("a b z"), frozenset(build(["a b"]))) == 1
