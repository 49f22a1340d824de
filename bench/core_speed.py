"""Benchmark: two pure-Python hot spots that once had timed tests, now measured here instead.

- `lint_ner` over 20,000 documents naming 2,000 people (the untagged-mention scan), target 3 s;
- `bootstrap_ci` over 5,000 documents x 30 types with 1,000 resamples, target 5 s.

Prints each wall time and its ratio to the target (below 1.0 meets it).

    python bench/core_speed.py
"""

from __future__ import annotations

import time

LINT_TARGET_SECONDS = 3.0
BOOTSTRAP_TARGET_SECONDS = 5.0


def lint_seconds(documents: int = 20_000, names: int = 2_000) -> float:
    from nerspec.corpus.lint import lint_ner
    from nerspec.corpus.model import Corpus, Document, Span

    people = [f"Name{i}" for i in range(names)]
    docs = []
    for i in range(documents):
        name = people[i % names]
        text = f"Yesterday {name} signed the contract with {people[(i * 7) % names]} in the city of Oslo again."
        docs.append(Document(str(i), text, [Span(10, 10 + len(name), "Person")]))
    started = time.perf_counter()
    lint_ner(Corpus(docs))
    return time.perf_counter() - started


def bootstrap_seconds() -> float:
    import numpy as np

    from nerspec.metrics.bootstrap import bootstrap_ci

    counts = np.random.default_rng(0).integers(0, 3, size=(5000, 30, 3))
    started = time.perf_counter()
    bootstrap_ci(counts, [str(i) for i in range(30)], resamples=1000)
    return time.perf_counter() - started


def main() -> None:
    for name, seconds, target in (
        ("lint_ner, 20,000 documents", lint_seconds(), LINT_TARGET_SECONDS),
        ("bootstrap_ci, 5,000 x 30, 1,000 resamples", bootstrap_seconds(), BOOTSTRAP_TARGET_SECONDS),
    ):
        print(f"{name}: {seconds:.2f} s (target {target:.0f} s, ratio {seconds / target:.2f})")


if __name__ == "__main__":
    main()
