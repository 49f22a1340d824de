"""How the same surface string is labeled across a corpus: model-free evidence for likely label errors.

Where entities repeat (tweets about the same people, places and products), a string tagged as X in most of its
other occurrences but untagged here is a likely missing tag, and a string tagged as X here but as Y elsewhere a
likely wrong type. ``nerspec.corpus.label_errors`` combines these shares with the out-of-sample model's scores.
Strings match case-insensitively on word-token boundaries, so "Paris" inside "Parisian" is no occurrence.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from nerspec.corpus.model import Document

MAX_TOKENS = 8  # longer tagged strings are not looked for in other documents (they rarely repeat verbatim)
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Occurrence:
    """An untagged occurrence of a string tagged elsewhere: ``share`` of its other occurrences are tagged."""

    start: int
    end: int
    share: float
    suggested: str


@dataclass(frozen=True)
class StringLabels:
    """Per case-folded string tagged somewhere: its tags by type, and its untagged occurrences by document index."""

    tags: dict[str, Counter[str]]
    untagged: dict[str, list[tuple[int, int, int]]]  # string -> (document index, start, end)

    def other_type(self, text: str, label: str) -> tuple[float, str | None]:
        """(the share of the string's other tags that give another type, with one pseudo-count for this tag's
        type; the commonest other type). (0, None) where no other tag gives another type."""
        counts = self.tags.get(text.casefold(), Counter()).copy()
        counts[label] -= 1  # this tag itself
        others = {t: n for t, n in counts.items() if t != label and n > 0}
        if not others:
            return 0.0, None
        return sum(others.values()) / (sum(n for n in counts.values() if n > 0) + 1), max(others, key=lambda t: (others[t], t))

    def missing(self) -> dict[int, list[Occurrence]]:
        """Untagged occurrences by document index. Share: tagged / (tagged + other untagged occurrences + 1)."""
        out: dict[int, list[Occurrence]] = defaultdict(list)
        for key, places in self.untagged.items():
            counts = self.tags[key]
            tagged = sum(counts.values())
            share = tagged / (tagged + len(places))  # the other untagged ones, plus one pseudo-count
            suggested = max(counts, key=lambda t: (counts[t], t))
            for index, start, end in places:
                out[index].append(Occurrence(start, end, share, suggested))
        return out


def string_labels(docs: Sequence[Document]) -> StringLabels:
    tags: dict[str, Counter[str]] = defaultdict(Counter)
    longest = 0
    for doc in docs:
        for span in doc.spans:
            text = doc.text[span.start : span.end]
            tags[text.casefold()][span.label] += 1
            longest = max(longest, len(_TOKEN.findall(text)))
    longest = min(longest, MAX_TOKENS)
    untagged: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for index, doc in enumerate(docs):
        for start, end in _windows([m.span() for m in _TOKEN.finditer(doc.text)], longest):
            key = doc.text[start:end].casefold()
            if key in tags and not any(s.start < end and start < s.end for s in doc.spans):
                untagged[key].append((index, start, end))
    return StringLabels(dict(tags), dict(untagged))


def _windows(tokens: list[tuple[int, int]], longest: int) -> list[tuple[int, int]]:
    """(start, end) of every run of 1..``longest`` consecutive tokens."""
    return [(tokens[i][0], tokens[j][1]) for i in range(len(tokens)) for j in range(i, min(len(tokens), i + longest))]
