"""Benchmark: ``nerspec extract`` throughput on every core and on Ray vs one ``nlp.pipe`` process (issue 18).

Documents: the example project's loan texts (``projects/example/data/*.txt``, ~250 characters each), cycled and
shuffled to ``--docs`` documents (100,000 by default) in one jsonl file. Model: ``--artifact DIR``, else the
example project trained once into ``bench/.data/extract-state`` (reused by later runs).

Measured in one run, so the ratios compare like with like on a shared machine:
1. reference: one process, ``spacy.load`` + ``for doc in nlp.pipe(texts, batch_size=64)``;
2. ``--engine local`` (every core; wall time includes spawning the workers and loading the model in each);
3. ``--engine ray`` on a local Ray instance of every core, started before the clock as a running cluster would be
   (Ray and Ray Data's per-cluster service actors; the seconds are printed);
4. resume: one partition's marker removed, the local rerun timed (verifies every other partition, redoes one).
Extraction runs with ``--beam-width 1`` (greedy parse, as the reference, plus the greedy confidences) unless ``--beam-width``.
Target: each engine >= 1.7x the reference on 2 cores.

Usage: python bench/extract_scale.py [--docs 100000] [--partition-size 5000] [--artifact DIR] [--beam-width 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "projects" / "example"


def example_artifact(state: Path) -> Path:
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_projects
    from nerspec.paths import StatePaths
    from nerspec.train import artifact_path, fingerprint_of, is_complete, train

    (project,) = load_projects([EXAMPLE])
    paths = StatePaths(state)
    final = artifact_path(paths, fingerprint_of(project, paths), None)
    if is_complete(final):
        return final
    print("training the example project once (bench/.data/extract-state) ...", flush=True)
    corpus = load_corpus(project, paths.cache)
    return train(project, corpus, split_corpus(project, corpus), paths=paths).path


def make_input(path: Path, docs: int, seed: int) -> list[str]:
    texts = [p.read_text(encoding="utf-8").strip() for p in sorted((EXAMPLE / "data").glob("*.txt"))]
    rng = random.Random(seed)
    chosen = [texts[i % len(texts)] for i in range(docs)]
    rng.shuffle(chosen)
    with open(path, "w", encoding="utf-8") as handle:
        for number, text in enumerate(chosen):
            handle.write(json.dumps({"id": f"doc-{number:07d}", "text": text}, ensure_ascii=False) + "\n")
    return chosen


def reference(artifact: Path, texts: list[str]) -> float:
    import spacy

    started = time.perf_counter()
    nlp = spacy.load(artifact / "model")
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    return time.perf_counter() - started


class _PassThrough:
    def __call__(self, batch: object) -> object:
        return batch


def start_ray_cluster(ray: Any, cores: int) -> float:
    """A local Ray of ``cores`` CPUs, as a running cluster is: Ray itself and Ray Data's per-cluster services.

    Ray Data creates three detached actors the first time any dataset runs on a cluster (stats, autoscaling
    coordinator, actor location tracker; about 2 CPU seconds here) and later jobs reuse them, so a one-row job
    starts them here, before the clock, as ``ray.init`` is. Every actor of the measured job, its model load
    included, is on the clock.
    """
    started = time.perf_counter()
    ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    with warnings.catch_warnings():  # max_restarts=0 as the engine (quiets Ray's note on restarts)
        warnings.simplefilter("ignore", DeprecationWarning)
        ray.data.range(1).map_batches(_PassThrough, batch_size=1, compute=ray.data.ActorPoolStrategy(size=1),
                                      max_restarts=0).take_all()
    return time.perf_counter() - started


def timed_extract(artifact: Path, source: Path, out: Path, **options: object) -> tuple[float, object]:
    import nerspec

    started = time.perf_counter()
    summary = nerspec.extract(artifact, input=source, output=out, **options)
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--partition-size", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--beam-width", type=int, default=1)
    parser.add_argument("--artifact", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()

    artifact = args.artifact or example_artifact(ROOT / "bench" / ".data" / "extract-state")
    cores = len(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="nerspec-extract-bench-"))
    try:
        source = work / "docs.jsonl"
        texts = make_input(source, args.docs, args.seed)
        print(f"load average before: {os.getloadavg()[0]:.1f} (the machine is shared; ratios are of one run)")
        print(f"{args.docs} documents ({sum(map(len, texts)) / len(texts):.0f} chars avg), {cores} cores, "
              f"model {artifact.name}, beam width {args.beam_width}, partitions of {args.partition_size}", flush=True)
        options = {"partition_size": args.partition_size, "batch_size": args.batch_size,
                   "beam_width": args.beam_width}
        base = reference(artifact, texts)
        rows = [("nlp.pipe, 1 process (reference)", base)]
        print(f"reference nlp.pipe: {base:.1f}s, {args.docs / base:,.0f} docs/s", flush=True)
        local_s, _ = timed_extract(artifact, source, work / "local", engine="local", **options)
        rows.append((f"--engine local ({cores} processes)", local_s))
        print(f"local: {local_s:.1f}s", flush=True)
        if not args.skip_ray:
            import ray.data

            startup = start_ray_cluster(ray, cores)
            print(f"ray start-up (not counted: a cluster is up before jobs arrive): {startup:.1f}s", flush=True)
            try:
                ray_s, _ = timed_extract(artifact, source, work / "ray", engine="ray", **options)
            finally:
                ray.shutdown()
            rows.append((f"--engine ray ({cores} actors)", ray_s))
        marker = sorted((work / "local" / "_parts").glob("*.json"))[0]
        marker.unlink()
        resume_s, resumed = timed_extract(artifact, source, work / "local", engine="local", **options)
        noop_s, _ = timed_extract(artifact, source, work / "local", engine="local", **options)
        print()
        print(f"| run ({args.docs} docs) | seconds | docs/s | vs reference |")
        print("| --- | ---: | ---: | ---: |")
        for name, seconds in rows:
            print(f"| {name} | {seconds:.1f} | {args.docs / seconds:,.0f} | {base / seconds:.2f}x |")
        print(f"\nresume with one partition ({args.partition_size} docs) to redo: {resume_s:.1f}s "
              f"({resumed.partitions_skipped} partitions verified and skipped, "  # type: ignore[attr-defined]
              f"{resumed.partitions_run} redone); "  # type: ignore[attr-defined]
              f"rerun with nothing to redo: {noop_s:.2f}s")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
