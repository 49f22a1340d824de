"""Benchmark: text classification (issue 8) — training overhead and prediction throughput.

Data: a generated single-label corpus (default 2,500 documents, 5 classes). Each document mixes
words of its class with generic words and, with some probability, words of a confusable class, so
the model makes some mistakes. Written in a temp dir as a nerspec jsonl project; nothing is committed.

Measured (separate processes, interleaved, median of ``--repeats``):
1. ``nerspec train`` vs ``python -m spacy train`` on the same generated config and documents
   (nerspec's dev carve is spaCy's dev file): ratio target <= 1.05.
2. documents/second of ``Predictor.pipe`` (what ``nerspec predict`` runs) vs spaCy's ``nlp.pipe`` on the
   same model in one process, and of the whole ``nerspec predict -f docs.jsonl`` command (start-up included).

Usage: python bench/textcat.py [--docs 2500] [--steps 1500] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _calibration import print_calibration  # noqa: E402  (bench/_calibration.py)
from train_overhead import BIN, spacy_inputs, timed  # noqa: E402

CLASSES = {
    "sports": "match goal team coach league season player score stadium referee striker trophy fans injury transfer",
    "finance": "stock market bank shares profit investor loan price inflation bond dividend earnings quarter fund rates",
    "weather": "rain storm sunny forecast wind snow cloudy heat temperature flood drought humidity frost thunder warning",
    "food": "recipe bread cheese dinner soup bakery spicy menu chef restaurant flavour dessert kitchen sauce garlic",
    "tech": "software startup phone chip cloud app update laptop data network security launch device battery robot",
}
CONFUSABLE = {"sports": "finance", "finance": "tech", "weather": "food", "food": "weather", "tech": "finance"}
FILLER = ("the a of to in and on for with after before today yesterday new report said people city local "
          "many more than very could would this that week month year").split()


def generate(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    names = sorted(CLASSES)
    vocab = {c: CLASSES[c].split() for c in names}
    records = []
    for i in range(n):
        label = names[i % len(names)]
        words = [rng.choice(FILLER) for _ in range(rng.randint(10, 25))]
        words += rng.sample(vocab[label], rng.randint(2, 5))
        if rng.random() < 0.35:
            words += rng.sample(vocab[CONFUSABLE[label]], rng.randint(1, 4))
        rng.shuffle(words)
        records.append({"id": f"doc-{i:05d}", "text": " ".join(words).capitalize() + ".", "labels": [label]})
    return records


def build_project(root: Path, docs: int, steps: int, eval_frequency: int) -> Path:
    import yaml

    project = root / "topics"
    project.mkdir(parents=True)
    records = generate(docs)
    (project / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    manifest = {
        "apiVersion": "nerspec/v1",
        "kind": "TextClassificationProject",
        "metadata": {"name": "topics", "language": "en"},
        "spec": {
            "classes": [{"name": c} for c in sorted(CLASSES)],
            "data": [{"name": "generated", "format": "jsonl", "path": "data.jsonl"}],
            "training": {"max_steps": steps, "eval_frequency": eval_frequency, "patience": 0, "gpu": False},
        },
    }
    (project / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    print(f"generated {docs} documents, {len(CLASSES)} classes")
    return project


def throughput(artifact: Path, texts: list[str], work: Path) -> None:
    from nerspec.predict import load

    predictor = load(artifact)
    nlp = predictor.nlp
    list(predictor.pipe(texts[:200]))  # warm up both paths
    list(nlp.pipe(texts[:200]))
    t0 = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    t_spacy = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in predictor.pipe(texts, batch_size=64):
        pass
    t_nerspec = time.perf_counter() - t0
    n = len(texts)
    print(f"in-process docs/s ({n} docs): nerspec Predictor.pipe {n / t_nerspec:,.0f}, spaCy nlp.pipe "
          f"{n / t_spacy:,.0f}, ratio {t_spacy / t_nerspec:.3f} (nerspec/spaCy throughput)")
    source = work / "predict.jsonl"
    source.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
    seconds, _ = timed([str(BIN / "nerspec"), "predict", "--model", str(artifact), "-f", str(source)])
    print(f"`nerspec predict -f` command (start-up included): {n / seconds:,.0f} docs/s ({seconds:.1f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2500)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--eval-frequency", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--predict-docs", type=int, default=20000)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    if args.docs < 2000:
        print("note: issue 8 asks for at least 2,000 documents")
    work = args.keep or Path(tempfile.mkdtemp(prefix="nerspec-bench-tc-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        project = build_project(work / "src", args.docs, args.steps, args.eval_frequency)
        files = spacy_inputs(project, work)
        nerspec_times, spacy_times = [], []
        artifact = None
        for run in range(args.repeats):
            seconds, stdout = timed(
                [str(BIN / "nerspec"), "train", str(project), "--json", "--state", str(work / f"state{run}")], env
            )
            nerspec_times.append(seconds)
            model = json.loads(stdout)["models"][0]
            artifact = Path(model["path"])
            seconds, _ = timed(
                [sys.executable, "-m", "spacy", "train", str(files["config"]), "--output", str(work / f"spacy{run}")], env
            )
            spacy_times.append(seconds)
            print(f"run {run + 1}: nerspec train {nerspec_times[-1]:.1f}s  spacy train {spacy_times[-1]:.1f}s  "
                  f"(dev score {model['score']:.3f})")
        t_nerspec, t_spacy = statistics.median(nerspec_times), statistics.median(spacy_times)
        print(f"train wall time (median of {args.repeats}, {args.steps} steps): nerspec {t_nerspec:.1f}s, "
              f"spacy {t_spacy:.1f}s, ratio {t_nerspec / t_spacy:.3f} (target <= 1.05)")
        assert artifact is not None
        texts = [json.loads(line)["text"] for line in (project / "data.jsonl").read_text().splitlines()]
        texts = (texts * (args.predict_docs // len(texts) + 1))[: args.predict_docs]
        throughput(artifact, texts, work)
        print_calibration(project, artifact)  # issue 11: ECE of the default model's confidences
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
