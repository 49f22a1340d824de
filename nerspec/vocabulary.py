"""Words as monitoring counts them, and a model's training vocabulary (``vocabulary.json`` in the artifact).

Language-neutral and cheap (one regex): lower-cased runs of letters and digits, every digit written ``0`` (so
amounts and dates are not all "new words"), and each Han, kana or Hangul character a word of its own (those
scripts do not separate words with spaces). The same function counts words at training time (the vocabulary),
at evaluation time (the test split's reference) and in the server (each logged document), so the share of unseen
words means the same everywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_DIGIT = re.compile(r"\d")
MAX_WORDS = 200_000  # the most frequent words are kept; rarer ones count as unseen everywhere alike
VERSION = 1


def words(text: str) -> list[str]:
    return [_DIGIT.sub("0", w) for w in _WORD.findall(text.lower())]


def build(texts: Iterable[str], limit: int = MAX_WORDS) -> list[str]:
    """The ``limit`` most frequent words of ``texts``, sorted (ties by word, so it is deterministic)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(words(text))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return sorted(word for word, _ in ranked)


def unseen(tokens: list[str], vocabulary: frozenset[str]) -> int:
    return sum(1 for t in tokens if t not in vocabulary)
