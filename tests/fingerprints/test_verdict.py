"""The cached no-op verdict (``nerspec.fingerprints.verdict``): a repeated plan prints exactly what a full plan
prints, and any change to a manifest, a data file, the state, a pointer or a model sends it back to a full plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.fingerprints import verdict
from nerspec.paths import StatePaths

ROOT = Path(__file__).resolve().parents[2]


def azure_project(root: Path, n: int) -> Path:
    """An azure-layout project of ``n`` one-line documents, deployed locally."""
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
        "  data: [{name: az, format: azure, path: data/az/labels.json}]\n  split: {policy: manual}\n"
        "  deployments: [{name: production}]\n")
    return project


def applied(tmp_path: Path) -> tuple[Path, StatePaths]:
    from nerspec.apply import RunParts, apply
    from nerspec.manifest.load import load_projects
    from tests import fakes

    # Bytecode as an installed package has it: in a fresh clone the first process to import a module writes its
    # .pyc, a file younger than the racy window, and the plan's witnesses include the code it opened.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "nerspec")], check=True,
                   stdout=subprocess.DEVNULL)
    project, state = azure_project(tmp_path, 12), StatePaths(tmp_path / "state")
    time.sleep(2.1)  # the data (and the bytecode) older than the stat cache's racy window (ctime cannot be set back)
    apply(load_projects([project]), state, parts=RunParts(trainer=fakes.train, evaluator=fakes.evaluate))
    time.sleep(2.1)  # the state too: witnesses younger than the window are not trusted
    return project, state


def plan(project: Path, state: StatePaths, *flags: str) -> str:
    result = CliRunner().invoke(cli, ["plan", str(project), "--state", str(state.root), *flags])
    assert result.exit_code == 0, result.output
    return result.output


def cached(project: Path, state: StatePaths, as_json: bool = False) -> str | None:
    request = verdict.Request(state=str(state.root), paths=(str(project),), as_json=as_json)
    return verdict.cached_output(request, state.root)


def test_a_cached_no_op_plan_prints_what_the_full_plan_printed(tmp_path: Path) -> None:
    project, state = applied(tmp_path)
    assert cached(project, state) is None
    full, full_json = plan(project, state), plan(project, state, "--json")
    assert "No changes" in full and json.loads(full_json)["changes"] is False
    assert cached(project, state) == full
    assert cached(project, state, as_json=True) == full_json
    # As users run it: a fresh process answers before click is imported, with the same bytes and exit code.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": str(state.root)}
    # A full plan in a process of its own first, as users run it: a verdict recorded inside the test process also
    # witnesses what that process imported and listed for the tests around it, which a fresh process may not see.
    first = subprocess.run([sys.executable, "-m", "nerspec", "plan", str(project), "--detailed-exitcode"], env=env,
                           capture_output=True, text=True, timeout=120, cwd=os.getcwd())
    assert first.returncode == 0 and first.stdout == full, first.stderr
    probe = ("import sys, runpy; sys.argv = ['nerspec', 'plan', sys.argv[1], '--detailed-exitcode']\n"
             "runpy.run_module('nerspec', run_name='__main__')\nprint('click' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, str(project)], env=env, capture_output=True, text=True,
                          timeout=120, cwd=os.getcwd())  # the same request: the working directory is part of it
    assert done.returncode == 0 and done.stdout == full and done.stderr.strip() == "False", done.stderr


def _edit_manifest(project: Path, state: StatePaths) -> None:
    with open(project / "nerspec.yaml", "a") as handle:
        handle.write("# a comment changes no decision, but the file changed\n")


def _edit_data_in_place(project: Path, state: StatePaths) -> None:
    doc = project / "data" / "az" / "d5.txt"
    st = doc.stat()
    doc.write_text("Bobby 5")  # same size, mtime put back: only the ctime tells
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))


def _edit_state(project: Path, state: StatePaths) -> None:
    os.utime(state.db)


def _edit_pointer(project: Path, state: StatePaths) -> None:
    pointer = state.registry / "tiny" / "production.json"
    pointer.write_text(pointer.read_text())


def _edit_model(project: Path, state: StatePaths) -> None:
    model = next(p for p in state.models.rglob("*") if p.is_file() and p.name != "evaluation.json")
    model.write_bytes(model.read_bytes() + b"x")


@pytest.mark.parametrize("edit", [_edit_manifest, _edit_data_in_place, _edit_state, _edit_pointer, _edit_model])
def test_any_change_sends_the_plan_back_to_a_full_plan(tmp_path: Path, edit: Callable[[Path, StatePaths], None]) -> None:
    project, state = applied(tmp_path)
    full = plan(project, state)
    assert cached(project, state) == full
    edit(project, state)
    assert cached(project, state) is None
    assert plan(project, state) != full or edit in (_edit_manifest, _edit_state, _edit_pointer)


def test_a_plan_with_changes_or_fresh_files_stores_nothing(tmp_path: Path) -> None:
    project, state = applied(tmp_path)
    _edit_model(project, state)
    assert "repair" in plan(project, state).lower() or cached(project, state) is None
    assert cached(project, state) is None
    (project / "nerspec.yaml").write_text((project / "nerspec.yaml").read_text() + "\n")
    plan(project, state)  # no changes, but the manifest is younger than the racy window: not trusted
    assert cached(project, state) is None


def test_only_plain_plan_requests_are_answered_before_click() -> None:
    parse = verdict.parse_plan_request
    assert parse(["plan", "projects/a", "--json", "--state=s"]) == verdict.Request("s", ("projects/a",), True)
    assert parse(["plan", "--detailed-exitcode"]) == verdict.Request(None, (), False)
    for other in (["apply"], ["plan", "-o", "p.json"], ["plan", "--retry", "production"], ["plan", "--help"],
                  ["-q", "plan"], ["plan", "--artifacts", "s3://b/p"], []):
        assert parse(other) is None, other


def test_a_damaged_or_forged_verdict_file_is_no_verdict(tmp_path: Path) -> None:
    from nerspec.fingerprints import sealed

    project, state = applied(tmp_path)
    full = plan(project, state)
    file = verdict.verdict_file(state.root)
    good = file.read_bytes()
    key = verdict.Request(state=str(state.root), paths=(str(project),), as_json=False).key()
    forged = {"version": verdict.VERDICT_VERSION, "entries": {key: {"output": "forged", "stats": [1], "names": {},
                                                                     "sources": {}}}}
    for damaged in (good[: len(good) // 2], os.urandom(len(good)), good[:-1] + bytes([good[-1] ^ 1]),
                    sealed.seal(forged), None):
        file.unlink()
        if damaged is None:
            os.mkfifo(file)  # read with a plain open() it would block the plan forever
        else:
            file.write_bytes(damaged)
        answers: list[str | None] = []
        worker = threading.Thread(target=lambda out=answers: out.append(cached(project, state)), daemon=True)
        worker.start()
        worker.join(timeout=30)
        assert answers == [None], damaged
    file.unlink()
    assert plan(project, state) == full and cached(project, state) == full  # rebuilt
