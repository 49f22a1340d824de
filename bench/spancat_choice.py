"""Benchmark: the overlapping kind's `spancat` (a sigmoid per type) against `spancat_singlelabel` (a softmax over
the types and "no entity"), everything else equal (docs/defaults.md, "Overlapping entities").

Both projects read the same generated nested corpus (``bench/nested_corpus.py``, the last quarter ``dataset:
test``); the single-label one is the generated config with its span categorizer swapped, given as
``training.config``. Each is trained by ``nerspec train`` and scored by ``nerspec evaluate`` on the test side.
Printed per variant: strict micro F1 (P / R), F1 per type, the training's wall and CPU seconds and the test ECE,
then the single-label/`spancat` ratios.

    python bench/spancat_choice.py [--docs 600] [--max-steps N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nested_corpus import generate  # noqa: E402

NERSPEC = [sys.executable, "-m", "nerspec"]


def write_project(root: Path, records: list[dict[str, Any]], max_steps: int | None, singlelabel: bool) -> Path:
    import yaml

    root.mkdir(parents=True)
    (root / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    labels = sorted({s["label"] for r in records for s in r["spans"]})
    training: dict[str, Any] = {"gpu": False, **({"max_steps": max_steps} if max_steps else {})}
    spec = {"entities": [{"name": label} for label in labels], "overlapping": True,
            "data": [{"name": "data", "format": "jsonl", "path": "data.jsonl"}], "split": {"policy": "manual"},
            "training": training}
    manifest = {"apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": root.name}, "spec": spec}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    if singlelabel:
        _swap_to_singlelabel(root, records)
        training["config"] = "spacy.cfg"
        (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def _swap_to_singlelabel(root: Path, records: list[dict[str, Any]]) -> None:
    """The generated config of the project with `spancat_singlelabel` in place of `spancat`, as ``spacy.cfg``."""
    from nerspec.corpus.load import load_corpus
    from nerspec.manifest.load import load_project
    from nerspec.train.config import default_config
    from nerspec.train.schedule import DataSize

    project = load_project(root)
    train = [d for d in load_corpus(project).documents if d.dataset != "test"]
    config = default_config(project, DataSize.of(train))
    block = config["components"]["spancat"]
    block["factory"] = "spancat_singlelabel"
    for key in ("threshold", "max_positive"):
        block.pop(key)
    block.update(negative_weight=1.0, allow_overlap=True)
    block["model"]["scorer"] = {"@layers": "Softmax.v2"}
    config.to_disk(root / "spacy.cfg")


def train_and_evaluate(root: Path) -> dict[str, Any]:
    state = root / "state"
    start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    trained = subprocess.run([*NERSPEC, "train", str(root), "--json", "--state", str(state)],
                             capture_output=True, text=True, check=True)
    seconds = (time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - cpu)
    model = json.loads(trained.stdout)["models"][0]["path"]
    evaluated = subprocess.run([*NERSPEC, "evaluate", str(root), "--model", model, "--json", "--state", str(state),
                                "--resamples", "10"], capture_output=True, text=True, check=True)
    evaluation = json.loads(evaluated.stdout)
    return {"f1": evaluation["micro"]["f1"], "precision": evaluation["micro"]["precision"],
            "recall": evaluation["micro"]["recall"],
            "per_type": {k: round(v["f1"], 3) for k, v in evaluation["per_entity"].items()},
            "train_wall_s": round(seconds[0], 1), "train_cpu_s": round(seconds[1], 1),
            "test_ece": (evaluation.get("calibration") or {}).get("ece")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=600)
    parser.add_argument("--max-steps", type=int, default=None, help="cap both trainings (default: the schedule)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the projects here")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="nerspec-spancat-choice-"))
    records = generate(args.docs, seed=0, test_fraction=0.25)
    results = {}
    for name, singlelabel in (("spancat", False), ("spancat_singlelabel", True)):
        results[name] = train_and_evaluate(write_project(base / name, records, args.max_steps, singlelabel))
        print(name, json.dumps(results[name]), flush=True)
    multi, single = results["spancat"], results["spancat_singlelabel"]
    print(f"spancat_singlelabel / spancat: F1 {single['f1'] / max(multi['f1'], 1e-9):.3f}, "
          f"training CPU {single['train_cpu_s'] / max(multi['train_cpu_s'], 1e-9):.2f}")
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
