"""How the same surface string is labeled across a corpus: model-free evidence for likely label errors.

Where entities repeat (tweets about the same people, places and products), a string tagged as X in most of its
other occurrences but untagged here is a likely missing tag, and a string tagged as X here but as Y elsewhere a
likely wrong type; so is a tag whose words are mostly part of tags of another type elsewhere ("Lohan" tagged as
a team where "Lindsay Lohan" is a person). ``nerspec.corpus.label_errors`` combines these shares with the
out-of-sample model's scores. Strings match case-insensitively on word-token boundaries, so "Paris" inside
"Parisian" is no occurrence.

Nested data (``string_labels(docs, nested=True)``, for ``nerspec.corpus.span_label_errors``): an occurrence is
untagged where no tag has exactly its span (it may lie inside or across other tags: a place inside a tagged
organisation is still a missing place), and a tag's words are no evidence (the place's word is legitimately part
of the organisation that holds it). A tag's exact string still is, less the other types its own span carries in
its document (``other_type``'s ``carried``): a span tagged with two types is the data's choice, not a wrong type.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from nerspec.corpus.model import Document

MAX_TOKENS = 8  # longer tagged strings are not looked for in other documents (they rarely repeat verbatim)
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w\w+")


@dataclass(frozen=True)
class Occurrence:
    """An untagged occurrence of a string tagged elsewhere: ``share`` of its other occurrences are tagged."""

    start: int
    end: int
    share: float
    suggested: str


@dataclass(frozen=True)
class StringLabels:
    """Per case-folded string tagged somewhere: its tags by type, and its untagged occurrences by document index;
    per word of a tag (two characters or more): the types of the tags it is part of."""

    tags: dict[str, Counter[str]]
    untagged: dict[str, list[tuple[int, int, int]]]  # string -> (document index, start, end)
    words: dict[str, Counter[str]]

    def other_type(self, text: str, label: str, carried: Collection[str] = ()) -> tuple[float, str | None]:
        """How strongly the other tags say this tag is another type: the share of the tags of its string, or of one
        of its words, that give another type (this tag's own included, a pseudo-count for its type), the highest;
        and that evidence's commonest other type. (0, None) where no other tag gives another type. ``carried``:
        other types this tag's own span is also tagged with (nested data); their tags are left out."""
        key = text.casefold()
        evidence = [self.tags.get(key, Counter()), *(self.words.get(w, Counter()) for w in _words(key))]
        kept = [Counter({t: n for t, n in counts.items() if t == label or t not in carried}) for counts in evidence]
        return max((_other_share(counts, label) for counts in kept), key=lambda found: found[0])

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


def _other_share(counts: Counter[str], label: str) -> tuple[float, str | None]:
    """(the share of ``counts`` (this tag's own included) that give a type other than ``label``, the commonest)."""
    others = {t: n for t, n in counts.items() if t != label}
    if not others:
        return 0.0, None
    return sum(others.values()) / sum(counts.values()), max(others, key=lambda t: (others[t], t))


def string_labels(docs: Sequence[Document], nested: bool = False) -> StringLabels:
    """The corpus's labels by string (``nested``: the rules for nested data, in the module docstring)."""
    tags: dict[str, Counter[str]] = defaultdict(Counter)
    words: dict[str, Counter[str]] = defaultdict(Counter)
    longest = 0
    for doc in docs:
        for span in doc.spans:
            text = doc.text[span.start : span.end].casefold()
            tags[text][span.label] += 1
            for word in () if nested else _words(text):
                words[word][span.label] += 1
            longest = max(longest, len(_TOKEN.findall(text)))
    longest = min(longest, MAX_TOKENS)
    untagged: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for index, doc in enumerate(docs):
        exact = {(s.start, s.end) for s in doc.spans}
        for start, end in _windows([m.span() for m in _TOKEN.finditer(doc.text)], longest):
            key = doc.text[start:end].casefold()
            if key not in tags or (start, end) in exact:
                continue
            if nested or not any(s.start < end and start < s.end for s in doc.spans):
                untagged[key].append((index, start, end))
    return StringLabels(dict(tags), dict(untagged), dict(words))


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text))


def _windows(tokens: list[tuple[int, int]], longest: int) -> list[tuple[int, int]]:
    """(start, end) of every run of 1..``longest`` consecutive tokens."""
    return [(tokens[i][0], tokens[j][1]) for i in range(len(tokens)) for j in range(i, min(len(tokens), i + longest))]
