"""Benchmark: where the NER training budget goes, and what each schedule lever buys (issue 32).

One in-process training per variant on nerspec's generated config (the default, or the default with one lever
changed), on the same train / dev carve / test documents as ``bench/train_overhead.py`` builds. At every
evaluation the parameter-averaged weights (what a run stopped there would keep) are scored on the dev carve (as
the training loop does) *and* on the test documents (timed apart and left out of the training time). Since the
batch and learning-rate schedules depend only on the step (not on the budget), one long run of a constant-rate
variant gives the kept model of every shorter budget, and of any stopping rule on the dev curve, in one training.

Printed per variant: seconds per step (update only), the evaluations' share of the training time, words
processed (passes over the training words, the compounding batch included), and dev / test F1 at each
evaluation; then plateau rules replayed on the dev curve. ``--json FILE`` keeps every point.

Datasets: ``wnut16`` (fixed 80/20 split), ``news`` (BBC News paragraphs with SILVER labels from en_core_web_sm
3.8: see ``bench/datasets.py``), ``example`` (``projects/example``).

Usage: python bench/train_levers.py --dataset news [--chars 300000] [--variant default] [--steps N]
       [--eval-frequency N] [--threads 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_overhead import DATASETS, ROOT, build_project  # noqa: E402

# Each lever as a change to the generated config's [training] section (dotted keys below it).
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "batch-2000": {"batcher.size.stop": 2000},  # larger batches later: compounding on to 2,000 words
    "batch-3000": {"batcher.size.stop": 3000},
    "ramp-1.002": {"batcher.size.compound": 1.002},  # reach the largest batch in half the steps
    "lr-0.001": {"optimizer.learn_rate": 0.001},  # raw spaCy's rate
    "lr-0.004": {"optimizer.learn_rate": 0.004},
}


def _set(section: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        section = section[part]
    section[last] = value


def variant_config(project_dir: Path, work: Path, variant: dict[str, Any], steps: int | None,
                   eval_frequency: int | None) -> tuple[Any, dict[str, Path]]:
    from train_overhead import spacy_inputs

    files = spacy_inputs(project_dir, work)
    from thinc.api import Config

    config = Config().from_disk(files["config"])
    training = config["training"]
    for dotted, value in variant.items():
        _set(training, dotted, value)
    if steps:
        training["max_steps"] = steps
    if eval_frequency:
        training["eval_frequency"] = eval_frequency
    training["patience"] = 0
    return config, files


def curve(config: Any, test_path: Path) -> dict[str, Any]:
    """Train in-process; score the averaged weights on dev and test at every evaluation."""
    import spacy
    from spacy.schemas import ConfigSchemaTraining
    from spacy.training import Corpus
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import create_evaluation_callback, create_train_batches, train_while_improving
    from spacy.util import registry, resolve_dot_names

    started = time.perf_counter()
    nlp = init_nlp(config)
    init_seconds = time.perf_counter() - started
    interpolated = nlp.config.interpolate()
    T = registry.resolve(interpolated["training"], schema=ConfigSchemaTraining)
    train_corpus, dev_corpus = resolve_dot_names(interpolated, [T["train_corpus"], T["dev_corpus"]])
    test_examples = list(Corpus(str(test_path))(nlp))
    train_words = sum(len(eg.reference) for eg in train_corpus(nlp))
    optimizer = T["optimizer"]
    dev_evaluate = create_evaluation_callback(nlp, dev_corpus, T["score_weights"])
    timers = {"dev": 0.0, "test": 0.0, "test_cpu": 0.0}

    def timed_dev() -> Any:
        t0 = time.perf_counter()
        result = dev_evaluate()
        timers["dev"] += time.perf_counter() - t0
        return result

    words = [0]

    def counted(batches: Any) -> Any:
        for epoch, batch in batches:
            words[0] += sum(len(eg.reference) for eg in batch)
            yield epoch, batch

    steps = train_while_improving(
        nlp, optimizer, counted(create_train_batches(nlp, train_corpus, T["batcher"], T["max_epochs"])), timed_dev,
        dropout=T["dropout"], accumulate_gradient=1, patience=0, max_steps=T["max_steps"],
        eval_frequency=T["eval_frequency"], exclude=[], annotating_components=[], before_update=None,
    )
    points = []
    t0, c0 = time.perf_counter(), time.process_time()
    for _, info, is_best in steps:
        if is_best is None:
            continue
        t1, c1 = time.perf_counter(), time.process_time()
        with nlp.use_params(optimizer.averages):
            test_f1 = nlp.evaluate(test_examples)["ents_f"]
        timers["test"] += time.perf_counter() - t1
        timers["test_cpu"] += time.process_time() - c1
        seconds = time.perf_counter() - t0 - timers["test"]
        cpu = time.process_time() - c0 - timers["test_cpu"]
        points.append({"step": info["step"], "seconds": round(seconds, 2), "cpu": round(cpu, 2),
                       "dev_seconds": round(timers["dev"], 2),
                       "passes": round(words[0] / train_words, 2), "dev": round(float(info["score"]), 4),
                       "test": round(float(test_f1), 4)})
        print(f"  step {info['step']:6d}  {seconds:7.1f} s ({cpu:7.1f} s CPU)  passes {words[0] / train_words:6.2f}  "
              f"dev {info['score']:.4f}  test {test_f1:.4f}", flush=True)
    total = time.perf_counter() - t0 - timers["test"]
    total_cpu = time.process_time() - c0 - timers["test_cpu"]
    del spacy
    return {"points": points, "train_words": train_words, "init_seconds": round(init_seconds, 2),
            "seconds": round(total, 2), "cpu": round(total_cpu, 2), "dev_seconds": round(timers["dev"], 2),
            "cpu_threads": os.environ.get("OMP_NUM_THREADS")}


def step_cost(config: Any, batch_words: int, steps: int) -> tuple[float, float]:
    """CPU and wall seconds per update step at a fixed batch size (after a few warm-up steps; no evaluation)."""
    from spacy.schemas import ConfigSchemaTraining
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import create_train_batches, train_while_improving
    from spacy.util import registry, resolve_dot_names

    config["training"]["batcher"]["size"] = batch_words
    config["training"]["max_steps"] = steps + 5
    config["training"]["eval_frequency"] = 10**9
    nlp = init_nlp(config)
    interpolated = nlp.config.interpolate()
    T = registry.resolve(interpolated["training"], schema=ConfigSchemaTraining)
    train_corpus, _ = resolve_dot_names(interpolated, [T["train_corpus"], T["dev_corpus"]])
    batches = create_train_batches(nlp, train_corpus, T["batcher"], T["max_epochs"])
    loop = train_while_improving(nlp, T["optimizer"], batches, lambda: (0.0, {}), dropout=T["dropout"],
                                 accumulate_gradient=1, patience=0, max_steps=steps + 5, eval_frequency=10**9,
                                 exclude=[], annotating_components=[], before_update=None)
    for index, _ in enumerate(loop):
        if index == 4:
            t0, c0 = time.perf_counter(), time.process_time()
    return (time.process_time() - c0) / steps, (time.perf_counter() - t0) / steps


def plateau_stop(points: list[dict[str, Any]], evaluations: int, min_gain: float) -> dict[str, Any]:
    """The point where "no dev gain of ``min_gain`` over the best for ``evaluations`` evaluations" would stop."""
    best = -1.0
    since = 0
    for point in points:
        if point["dev"] >= best + min_gain:
            best, since = point["dev"], 0
        else:
            since += 1
        if since >= evaluations:
            return point
    return points[-1]


def report(name: str, result: dict[str, Any]) -> None:
    points = result["points"]
    last = points[-1]
    update = (result["seconds"] - result["dev_seconds"]) / max(1, last["step"])
    print(f"\n{name}: {result['train_words']:,} training words; {last['step']} steps in {result['seconds']:.0f} s "
          f"({result.get('cpu', 0):.0f} s CPU; +{result['init_seconds']:.0f} s init): {update * 1000:.0f} ms per update step, evaluations "
          f"{result['dev_seconds']:.0f} s ({result['dev_seconds'] / result['seconds']:.1%} of the training)")
    best_test = max(points, key=lambda p: p["test"])
    print(f"  last weights: dev {last['dev']:.4f} test {last['test']:.4f} after {last['passes']} passes; "
          f"best test on the curve {best_test['test']:.4f} at step {best_test['step']} ({best_test['seconds']:.0f} s)")
    for evaluations, gain in ((3, 0.0), (5, 0.0), (3, 0.002), (5, 0.002), (5, 0.005), (10, 0.002)):
        stop = plateau_stop(points, evaluations, gain)
        print(f"  plateau rule: stop after {evaluations} evaluations without +{gain}: step {stop['step']} "
              f"({stop['seconds']:.0f} s, {stop['passes']} passes) dev {stop['dev']:.4f} test {stop['test']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=DATASETS, default="news")
    parser.add_argument("--chars", type=int, default=300_000, help="news: training characters")
    parser.add_argument("--variant", choices=sorted(VARIANTS), action="append")
    parser.add_argument("--steps", type=int, help="override the scaled step budget")
    parser.add_argument("--eval-frequency", type=int, help="override the scaled evaluation frequency")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step-cost", type=int, nargs="*", metavar="WORDS",
                        help="only time update steps at these fixed batch sizes (words)")
    parser.add_argument("--json", type=Path, help="append every variant's points to this file")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    for name in args.variant or ["default"]:
        with tempfile.TemporaryDirectory(prefix="nerspec-levers-") as tmp:
            work = Path(tmp)
            project, _ = build_project(work, {"seed": args.seed}, None, 5, args.dataset, args.chars)
            config, files = variant_config(project, work, VARIANTS[name], args.steps, args.eval_frequency)
            if args.step_cost:
                for words in args.step_cost:
                    cpu, wall = step_cost(config, words, args.steps or 40)
                    print(f"{args.dataset} / {name}: batch {words} words: {cpu * 1000:.0f} ms CPU, {wall * 1000:.0f} ms "
                          f"wall per update step ({cpu / words * 1e6:.0f} us CPU per word)", flush=True)
                continue
            training = config["training"]
            print(f"{args.dataset} / {name}: max_steps {training['max_steps']}, eval every "
                  f"{training['eval_frequency']}, batch {training['batcher']['size']}, "
                  f"learn rate {training['optimizer']['learn_rate']}", flush=True)
            result = curve(config, files["test"])
        report(f"{args.dataset} / {name}", result)
        if args.json:
            with args.json.open("a") as out:
                out.write(json.dumps({"dataset": args.dataset, "chars": args.chars, "variant": name,
                                      "seed": args.seed, **result}) + "\n")


if __name__ == "__main__":
    main()
