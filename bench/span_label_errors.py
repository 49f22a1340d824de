"""Benchmark: ``nerspec lint --label-errors`` on an overlapping project finds errors injected into nested data.

Data: ``bench/nested_corpus.py`` (organisations whose names hold places: ``Bank of England`` ORG with ``England``
LOC inside), ``--docs`` documents. Noise: ``--noise`` (default 5%) of the entity labels, chosen with ``--seed``,
are flipped to another type or removed (half each); K = the number injected. The project declares
``overlapping: true`` (a span categorizer, its default training); the check cross-fits every document
(``--folds``) and ranks its findings. A finding hits an injected error when it is in the same document on the
same span (a flip found on the tag, a removal as a missing tag): in nested data an overlapping finding is often
another entity, so overlap is not enough.

Prints precision at K and recall at 2K (the issue's targets: 0.5, 0.6) against a random ranking of the same
findings (the reference: its expected score, not one shuffle), how many injected nested spans (inside another entity) are found, the cross-fit's time
and the time of a second run over the same data (cached folds).

    python bench/span_label_errors.py [--docs 300] [--noise 0.05] [--folds 5] [--seed 0] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from label_errors import expected_random, run  # noqa: E402  (the same timed call and reference as the WNUT-16 bench)
from nested_corpus import generate  # noqa: E402

Injected = tuple[str, int, int, str, bool]  # (document id, start, end, "flip" | "remove", nested in another span)


def noisy_records(docs: int, noise: float, seed: int) -> tuple[list[dict[str, Any]], list[Injected]]:
    records = generate(docs, seed)
    types = sorted({s["label"] for r in records for s in r["spans"]})
    spans = [(r, s) for r in records for s in r["spans"]]
    rng = random.Random(seed)
    injected: list[Injected] = []
    for n, (record, span) in enumerate(rng.sample(spans, round(noise * len(spans)))):
        nested = any(o is not span and o["start"] <= span["start"] and span["end"] <= o["end"] for o in record["spans"])
        if n % 2 == 0:
            span["label"] = rng.choice([t for t in types if t != span["label"]])
            injected.append((record["id"], span["start"], span["end"], "flip", nested))
        else:
            record["spans"].remove(span)
            injected.append((record["id"], span["start"], span["end"], "remove", nested))
    return records, injected


def write_project(root: Path, records: list[dict[str, Any]]) -> Path:
    import yaml

    project = root / "nested-noisy"
    project.mkdir(parents=True, exist_ok=True)
    (project / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    manifest = {
        "apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": "nested-noisy", "language": "en"},
        "spec": {"entities": [{"name": t} for t in sorted({s["label"] for r in records for s in r["spans"]})],
                 "overlapping": True, "data": [{"name": "nested", "format": "jsonl", "path": "data.jsonl"}],
                 "split": {"policy": "manual"}, "deployments": [{"name": "production"}]},
    }
    (project / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return project


def hits(ranked: list[Any], injected: list[Injected], k: int) -> tuple[int, set[Injected]]:
    """(findings among the first k on an injected error's span, the injected errors they find)."""
    by_span = {(i[0], i[1], i[2]): i for i in injected}
    found = [by_span.get((e.id, e.start, e.end)) for e in ranked[:k]]
    return sum(f is not None for f in found), {f for f in found if f is not None}


def on_span(error: Any, item: Injected) -> bool:
    return (error.id, error.start, error.end) == item[:3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None, help="Keep the project and its state here (resumes).")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="nerspec-span-label-errors-"))
    records, injected = noisy_records(args.docs, args.noise, args.seed)
    k = len(injected)
    print(f"nested corpus: {len(records)} documents, {sum(len(r['spans']) for r in records)} spans after injecting "
          f"{k} errors ({dict(Counter(i[3] for i in injected))}, {sum(i[4] for i in injected)} nested); "
          f"{args.folds} folds")
    report, seconds = run(write_project(work, records), work / "state", args.folds)
    ranked = report.errors
    at_k, at_2k = hits(ranked, injected, k)[0], len(hits(ranked, injected, 2 * k)[1])
    rand_k, rand_2k = expected_random(ranked, injected, k, on_span)
    print(f"findings: {len(ranked)}; top {k} by kind: {dict(Counter(e.kind for e in ranked[:k]))}")
    for change in ("flip", "remove"):
        some = [i for i in injected if i[3] == change]
        top, anywhere = hits(ranked, some, 2 * k)[1], hits(ranked, some, len(ranked))[1]
        print(f"  {change}: {len(top)} of {len(some)} in the top 2K ({sum(i[4] for i in top)} of "
              f"{sum(i[4] for i in some)} nested), {len(anywhere)} anywhere in the findings")
    print(f"precision@K  {at_k / k:.3f}  (target >= 0.5; a random ranking of the same findings, expected: "
          f"{rand_k / k:.3f}, ratio {at_k / rand_k:.1f}x)")
    print(f"recall@2K    {at_2k / k:.3f}  (target >= 0.6; random ranking, expected: {rand_2k / k:.3f}, "
          f"ratio {at_2k / rand_2k:.1f}x)")
    print(f"cross-fit: {seconds:.1f} s wall, {report.trained} fold models trained")
    _again, cached = run(write_project(work, records), work / "state", args.folds)
    print(f"second run (cached folds): {cached:.2f} s, {cached / seconds:.4f} of the first")


if __name__ == "__main__":
    main()
