"""The stats prefetched by a child process at the start of ``plan`` decide exactly what stat'ing in the plan
would: an edit in place within the same second is still seen, and a verdict about another version of the stat
cache is never used. Each scenario runs in a fresh interpreter: the prefetch only forks a single-threaded process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def azure_project(root: Path, n: int) -> Path:
    """An azure-layout project of ``n`` one-line documents, older than the stat cache's racy window."""
    project = root / "projects" / "tiny"
    data = project / "data" / "az"
    data.mkdir(parents=True)
    docs = []
    for i in range(n):
        (data / f"d{i}.txt").write_text(f"Alice {i}")
        docs.append({"location": f"d{i}.txt", "dataset": "Train" if i % 4 else "Test", "entities": []})
    (data / "labels.json").write_text(json.dumps({"assets": {"projectKind": "CustomEntityRecognition",
                                                             "documents": docs}}))
    (project / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: tiny}\nspec:\n  entities: [{name: PER}]\n"
        "  data: [{name: az, format: azure, path: data/az/labels.json}]\n  split: {policy: manual}\n")
    time.sleep(2.1)  # older than the stat cache's racy window (ctime cannot be set back)
    return project

PRELUDE = """
import os, sys
from pathlib import Path
from nerspec import atomic
from nerspec.fingerprints import prefetch, stats
from nerspec.fingerprints.data import data_fingerprint
from nerspec.fingerprints.stat_cache import StatCache
from nerspec.manifest.load import load_projects
from nerspec.paths import StatePaths

project_dir, state_dir = Path(sys.argv[1]), Path(sys.argv[2])
state = StatePaths(state_dir)
calls = []
real_blob = stats.stat_blob
def counted(*args):
    calls.append(1)
    return real_blob(*args)
import nerspec.fingerprints.data as data_module
data_module.stat_blob = counted
def fingerprint():
    (project,) = load_projects([project_dir])
    return data_fingerprint(project, state.cache)
"""


def run(project: Path, tmp_path: Path, body: str) -> str:
    script = PRELUDE + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script, str(project), str(tmp_path / "state")], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_prefetched_verdict_replaces_the_stats_and_sees_a_same_second_edit(tmp_path: Path) -> None:
    out = run(azure_project(tmp_path, 12), tmp_path, """
        cold = fingerprint()  # fills the stat cache
        prefetch.start(str(state.root), [project_dir])
        calls.clear()
        warm = fingerprint()
        print("unchanged", warm.sha256 == cold.sha256, "stats in the plan", len(calls))
        prefetch.forget()

        doc = project_dir / "data" / "az" / "d7.txt"
        st = doc.stat()
        doc.write_text("Alice 9")  # same size, then the old mtime back: only ctime tells
        os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))
        prefetch.start(str(state.root), [project_dir])
        calls.clear()
        edited = fingerprint()
        prefetch.forget()
        print("edited seen", edited.sha256 != cold.sha256, "stats in the plan", len(calls))
    """)
    assert "unchanged True stats in the plan 0" in out
    assert "edited seen True stats in the plan 0" in out


def test_a_verdict_about_another_stat_cache_is_not_used(tmp_path: Path) -> None:
    out = run(azure_project(tmp_path, 12), tmp_path, """
        cold = fingerprint()
        prefetch.start(str(state.root), [project_dir])
        prefetch.verdict(None, "")  # the child has answered about the cache file as it was
        cache_file = StatCache(state.cache).path
        atomic.write_bytes(cache_file, cache_file.read_bytes())  # another writer replaced it meanwhile
        calls.clear()
        again = fingerprint()
        prefetch.forget()
        print("same", again.sha256 == cold.sha256, "stats in the plan", len(calls))
        prefetch.start(str(state.root), [project_dir / "elsewhere"])  # no source under the planned paths
        calls.clear()
        fingerprint()
        print("outside", len(calls))
    """)
    assert "same True stats in the plan 1" in out and "outside 1" in out


def test_the_plan_command_sees_a_same_second_edit_through_its_prefetch(tmp_path: Path) -> None:
    """End to end, as users run it: a fresh ``nerspec plan`` process, which forks the prefetch child."""
    from nerspec.apply import RunParts, apply
    from nerspec.manifest.load import load_projects
    from nerspec.paths import StatePaths
    from tests import fakes

    project, state = azure_project(tmp_path, 12), StatePaths(tmp_path / "state")
    apply(load_projects([project]), state, parts=RunParts(trainer=fakes.train, evaluator=fakes.evaluate))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": str(state.root)}
    plan = [sys.executable, "-m", "nerspec", "plan", str(project), "--detailed-exitcode"]
    assert subprocess.run(plan, env=env, capture_output=True, timeout=120).returncode == 0
    doc = project / "data" / "az" / "d5.txt"
    st = doc.stat()
    doc.write_text("Alice 6")  # same size
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime: only the ctime tells
    changed = subprocess.run(plan, env=env, capture_output=True, text=True, timeout=120)
    assert changed.returncode == 2 and "+ train" in changed.stdout, changed.stdout + changed.stderr
