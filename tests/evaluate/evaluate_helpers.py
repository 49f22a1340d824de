"""Shared generators: token sequences with IOB2 tags, and the character spans they denote; the Evaluation JSON."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from nerspec.corpus.model import Document, Span
from nerspec.evaluate import evaluate


def evaluation_json(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The Evaluation JSON ``evaluate`` gives for these arguments (what these tests assert on)."""
    return evaluate(*args, **kwargs).to_json()

TYPES = ("PER", "LOC", "ORG")
WORDS = ("a", "bb", "ccc", "dddd", "e")


@st.composite
def iob2_tags(draw: st.DrawFn, n: int) -> list[str]:
    """A valid IOB2 sequence: I-X only continues a B-X or I-X."""
    tags: list[str] = []
    for _ in range(n):
        prev = tags[-1] if tags else "O"
        choices = ["O", *(f"B-{t}" for t in TYPES)]
        if prev != "O":
            choices.append("I-" + prev[2:])
        tags.append(draw(st.sampled_from(choices)))
    return tags


@st.composite
def tagged_pair(draw: st.DrawFn) -> tuple[list[str], list[str], list[str]]:
    """(tokens, gold tags, predicted tags); predictions are often a mutation of the gold tags."""
    n = draw(st.integers(0, 12))
    tokens = [draw(st.sampled_from(WORDS)) for _ in range(n)]
    gold = draw(iob2_tags(n))
    if draw(st.booleans()):
        pred = draw(iob2_tags(n))
    else:
        pred = list(gold)
        for i in range(n):
            if draw(st.integers(0, 4)) == 0:
                prev = pred[i - 1] if i else "O"
                choices = ["O", *(f"B-{t}" for t in TYPES)] + (["I-" + prev[2:]] if prev != "O" else [])
                pred[i] = draw(st.sampled_from(choices))
        # Repair: a mutation may leave an I- after O or after another type; make it a B-.
        for i, tag in enumerate(pred):
            prev = pred[i - 1] if i else "O"
            if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
                pred[i] = "B-" + tag[2:]
    return tokens, gold, pred


def spans_from_tags(tokens: list[str], tags: list[str]) -> list[Span]:
    """Character spans of an IOB2 sequence over ``" ".join(tokens)``."""
    starts, pos = [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    spans: list[Span] = []
    cur: list[int] | None = None
    label = ""
    for i, tag in enumerate(tags + ["O"]):
        if cur is not None and not tag.startswith("I-"):
            spans.append(Span(starts[cur[0]], starts[cur[1]] + len(tokens[cur[1]]), label))
            cur = None
        if tag.startswith("B-"):
            cur, label = [i, i], tag[2:]
        elif tag.startswith("I-") and cur is not None:
            cur[1] = i
    return spans


def docs_from_tags(batch: list[tuple[list[str], list[str], list[str]]]) -> tuple[list[Document], list[Document]]:
    gold, pred = [], []
    for k, (tokens, g, p) in enumerate(batch):
        text = " ".join(tokens)
        gold.append(Document(id=str(k), text=text, spans=spans_from_tags(tokens, g)))
        pred.append(Document(id=str(k), text=text, spans=spans_from_tags(tokens, p)))
    return gold, pred
