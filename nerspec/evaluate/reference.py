"""The test split as production monitoring's reference (Evaluation JSON ``reference``).

``nerspec monitor`` compares a window of logged traffic with the data the model was trained and tested on,
without the corpus at hand: the evaluation records, for the test split, each document's length, language and
share of words outside the training vocabulary (``vocabulary.json`` of the artifact), and what the model
predicted there (labels and confidences). The state keeps the evaluation with the model, so a monitoring job
needs only the state. Test documents are the right reference: like production traffic, the model never trained
on them (training documents would show no unseen words at all).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

from nerspec.corpus.model import Document
from nerspec.languages import base
from nerspec.predictions import Prediction
from nerspec.vocabulary import unseen, words

VERSION = 1
NO_PREDICTION = "$none"  # documents the model returned nothing for (counted beside the labels)
MAX_SAMPLE = 5000  # per list: enough for any two-sample test, small enough for the state's JSON


T = TypeVar("T")


def _sample(values: list[T], seed: int = 0) -> list[T]:
    if len(values) <= MAX_SAMPLE:
        return values
    return random.Random(seed).sample(values, MAX_SAMPLE)


def reference_statistics(docs: list[Document], outputs: Sequence[Prediction],
                         vocabulary: frozenset[str] | None, language: str) -> dict[str, object]:
    """``docs``: the test split; ``outputs``: the predictor's results for them (``category``, ``confidenceScore``);
    ``language``: the project's, for documents without their own."""
    shares: list[float] = []
    for doc in docs:
        tokens = words(doc.text)
        if vocabulary is not None and tokens:
            shares.append(round(unseen(tokens, vocabulary) / len(tokens), 4))
    items = [item for output in outputs for item in output]
    labels = Counter(item.category for item in items)
    labels[NO_PREDICTION] = sum(1 for output in outputs if not output)
    return {
        "version": VERSION,
        "documents": len(docs),
        "lengths": _sample([len(doc.text) for doc in docs]),
        "unseen_shares": _sample(shares) if vocabulary is not None else None,
        "languages": dict(Counter(base(doc.language or language) for doc in docs)),
        "labels": dict(labels),
        "confidences": _sample([round(item.confidence, 4) for item in items]),
        "items": len(items),
    }
