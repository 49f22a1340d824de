"""Benchmark: a no-op ``nerspec plan`` over 100,000 documents in the azure layout (one .txt per document).

    python bench/plan_noop.py [--docs 100000] [--dir /tmp/nerspec-bench-plan] [--runs 5]

Generates the project, applies it once with a stand-in trainer and evaluator (training 100,000 documents is
not what is measured), then times ``nerspec plan`` as a user runs it (a fresh process, warm stat cache, nerspec
byte-compiled): repeated, which answers from the cached no-op verdict (``nerspec.fingerprints.verdict``), and
full (the verdict file removed before each run), and checks that both print the same bytes.
Target (issues #15, #32): at most 0.35 s, ten times faster than ``dvc status`` on the same files tracked by one
stage, in wall and in CPU time (the machine is shared: the load average is printed).
dvc is installed by the bench into its own environment, ``bench/.venv`` (``--no-dvc`` skips the comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nerspec.evaluate.record import Evaluation

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENV = ROOT / "bench" / ".venv"
TARGET_S = 0.35


def dvc_python() -> Path | None:
    """bench/.venv with dvc installed (created on first use; pip from the usual index)."""
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import dvc"], capture_output=True)
    if probe.returncode != 0:
        print("installing dvc into bench/.venv ...")
        install = subprocess.run([str(python), "-m", "pip", "install", "-qq", "--disable-pip-version-check", "dvc"])
        if install.returncode != 0:
            return None
    return python


def generate(project: Path, docs: int) -> None:
    data = project / "data"
    data.mkdir(parents=True)
    names = ["Alice", "Bob", "Carol", "Dave"]
    documents = []
    for i in range(docs):
        name = names[i % 4]
        text = f"{name} signed loan {i} in Paris."
        (data / f"doc{i:06d}.txt").write_text(text)
        documents.append(
            {"location": f"doc{i:06d}.txt", "language": "en-us", "dataset": "Train" if i % 5 else "Test",
             "entities": [{"regionOffset": 0, "regionLength": len(text),
                           "labels": [{"category": "PER", "offset": 0, "length": len(name)}]}]}
        )
    labels = {
        "projectFileVersion": "2022-05-01",
        "stringIndexType": "Utf16CodeUnit",
        "metadata": {"projectKind": "CustomEntityRecognition", "projectName": "bench", "language": "en-us"},
        "assets": {"projectKind": "CustomEntityRecognition", "entities": [{"category": "PER"}], "documents": documents},
    }
    (data / "labels.json").write_text(json.dumps(labels))
    (project / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: bench}\n"
        "spec:\n  entities: [{name: PER}]\n"
        "  data: [{name: main, format: azure, path: data/labels.json}]\n"
        "  split: {policy: manual}\n"
        "  deployments: [{name: production}]\n"
    )


def stand_in_trainer(project: Any, corpus: Any, split: Any, out_dir: Path, fingerprint: str, data_fp: Any, **_: Any) -> None:
    (out_dir / "model").mkdir()
    (out_dir / "model" / "weights.bin").write_bytes(b"\0" * 1024)


def stand_in_evaluator(project: Any, corpus: Any, split: Any, model_dir: Path) -> Evaluation:
    from nerspec.evaluate.record import Evaluation

    return Evaluation.from_json({
        "kind": "NERProject", "micro": {"precision": 1.0, "recall": 1.0, "f1": 1.0}, "macro": {"f1": 1.0},
        "per_entity": {"PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": len(split.test)}}})


CPU: dict[str, list[float]] = {}  # command -> user+sys CPU seconds per run (steadier than wall on a busy machine)


def timed(cmd: list[str], cwd: Path, env: dict[str, str], runs: int, setup: Any = None) -> list[float]:
    import resource

    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        CPU.setdefault(" ".join(cmd), []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if out.returncode not in (0, 2):
            raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return times


def cpu(cmd: list[str]) -> float:
    return statistics.median(CPU[" ".join(cmd)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/nerspec-bench-plan"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-dvc", action="store_true", help="Skip the `dvc status` comparison.")
    parser.add_argument("--reuse", action="store_true", help="Keep the project and state already in --dir.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from nerspec.apply import RunParts, apply
    from nerspec.fingerprints.verdict import VERDICT_NAME
    from nerspec.manifest.load import load_projects
    from nerspec.paths import StatePaths

    project, state = args.dir / "projects" / "bench", StatePaths(args.dir / "state")
    if not (args.reuse and state.db.exists()):
        shutil.rmtree(args.dir, ignore_errors=True)
        started = time.perf_counter()
        generate(project, args.docs)
        print(f"generated {args.docs} documents in {time.perf_counter() - started:.1f}s")
        time.sleep(2.1)  # files younger than the mtime-race window are not cached (see StatCache.hash)
        started = time.perf_counter()
        parts = RunParts(trainer=stand_in_trainer, evaluator=stand_in_evaluator)
        apply(load_projects([project]), state, parts=parts)
        print(f"first apply (reads and parses all documents, stand-in training): {time.perf_counter() - started:.1f}s")
    shutil.rmtree(args.dir / ".dvc", ignore_errors=True)
    shutil.rmtree(args.dir / ".git", ignore_errors=True)
    for name in ("dvc.yaml", "dvc.lock", ".dvcignore", ".gitignore"):
        (args.dir / name).unlink(missing_ok=True)

    # Bytecode as an installed package has it (pip compiles on install; dvc's environment has it too): without
    # it, a run under PYTHONDONTWRITEBYTECODE compiles every nerspec module from source, 0.25 s of the timing.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "nerspec")], check=True,
                   stdout=subprocess.DEVNULL)
    env = {**os.environ, "NERSPEC_STATE": str(state.root), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "nerspec", "plan", str(project), "--detailed-exitcode"]
    print(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    verdict_file = state.cache / VERDICT_NAME
    verdict_file.unlink(missing_ok=True)
    for _ in range(3):  # the state and the fresh bytecode must be older than the racy window, or nothing is stored
        time.sleep(2.1)
        full_output = subprocess.run(cmd, cwd=args.dir, env=env, capture_output=True, text=True)
        assert full_output.returncode == 0, f"expected no changes:\n{full_output.stdout}{full_output.stderr}"
        if verdict_file.exists():
            break
    assert verdict_file.exists(), "the no-op plan stored no verdict"
    cached_output = subprocess.run(cmd, cwd=args.dir, env=env, capture_output=True, text=True)
    assert cached_output.stdout == full_output.stdout, "the cached verdict differs from the full plan's output"
    times = timed(cmd, args.dir, env, args.runs)
    full = timed(cmd, args.dir, env, args.runs, setup=lambda: verdict_file.unlink(missing_ok=True))
    full_cmd = cmd + ["(full)"]
    CPU[" ".join(full_cmd)] = CPU[" ".join(cmd)][args.runs:]
    CPU[" ".join(cmd)] = CPU[" ".join(cmd)][: args.runs]
    startup = timed([sys.executable, "-m", "nerspec", "--version"], args.dir, env, args.runs)
    median = statistics.median(times)
    print(f"no-op `nerspec plan` ({args.docs} docs, warm stat cache): median {median:.3f}s, "
          f"min {min(times):.3f}s over {args.runs} runs (target <= {TARGET_S} s: "
          f"{'PASS' if median <= TARGET_S else 'FAIL'})")
    print(f"  of which interpreter + CLI start-up (`nerspec --version`): median {statistics.median(startup):.3f}s")
    print(f"  CPU time (user+sys, median): {cpu(cmd):.3f}s; "
          f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"full no-op plan (verdict removed before each run): median {statistics.median(full):.3f}s wall, "
          f"{cpu(full_cmd):.3f}s CPU; the cached verdict is {statistics.median(full) / median:.1f} times faster in "
          f"wall time, {cpu(full_cmd) / cpu(cmd):.1f} times in CPU")

    python = None if args.no_dvc else dvc_python()
    if python is None:
        print("dvc: not available (--no-dvc, or bench/.venv could not install it); comparison skipped")
        return
    dvc_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    subprocess.run(["git", "init", "-q"], cwd=args.dir, check=True)
    subprocess.run([str(python), "-m", "dvc", "init", "-q"], cwd=args.dir, check=True, env=dvc_env)
    subprocess.run(
        [str(python), "-m", "dvc", "stage", "add", "-q", "-n", "train", "-d", "projects/bench/data", "-o", "model",
         "mkdir -p model"], cwd=args.dir, check=True, env=dvc_env,
    )
    subprocess.run([str(python), "-m", "dvc", "repro", "-q"], cwd=args.dir, check=True, env=dvc_env)
    version = subprocess.run([str(python), "-m", "dvc", "--version"], capture_output=True, text=True, env=dvc_env)
    subprocess.run([str(python), "-m", "dvc", "status"], cwd=args.dir, capture_output=True, env=dvc_env)  # warm
    dvc_cmd = [str(python), "-m", "dvc", "status"]
    dvc = timed(dvc_cmd, args.dir, dvc_env, args.runs)
    dvc_median = statistics.median(dvc)
    print(f"`dvc status` (dvc {version.stdout.strip()}): median {dvc_median:.3f}s over {args.runs} runs; "
          f"nerspec plan is {dvc_median / median:.1f} times faster (ratio nerspec/dvc = {median / dvc_median:.3f}; "
          f"target: 10 times); CPU time {cpu(dvc_cmd):.3f}s, {cpu(dvc_cmd) / cpu(cmd):.1f} times nerspec's; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
