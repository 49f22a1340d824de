"""Runs the jobs of a GitHub Actions workflow file on this machine, step by step, the way a runner would: the
workflow's and steps' `env` and `if` expressions evaluated (the subset of GitHub's expression language the
nerspec workflow uses), `run` steps in `bash -eo pipefail`, outputs through `$GITHUB_OUTPUT`, a failed step
skipping the later steps that are not `always()`. A local composite action (`uses: ./`, the repository's
`action.yml`) runs its own steps with its `inputs` and maps its `outputs`. Other `uses` steps are not run: each
action the workflow may use has a stand-in here (checkout: the runner's working copy already holds the commit;
the cache actions must be skipped by their `if` in the configuration under test), and an unknown action fails the
run, so the test breaks when the workflow drifts from what it checks.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
TOKEN = re.compile(r"\s*('(?:[^']|'')*'|&&|\|\||==|!=|!|\(|\)|[A-Za-z_][A-Za-z0-9_.-]*\(\)|[A-Za-z_][A-Za-z0-9_.-]*)")
NO_OP_ACTIONS = ("actions/checkout@", "actions/setup-python@", "actions/upload-artifact@")
SKIPPED_ONLY = ("actions/cache/restore@", "actions/cache/save@")  # must never run in the configuration under test


@dataclass
class StepResult:
    name: str
    outcome: str  # success | failure | skipped
    output: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


def _lookup(contexts: Mapping[str, Any], path: str) -> Any:
    value: Any = contexts
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ""  # GitHub's null, which compares equal to ''
        value = value[part]
    return value


def evaluate(expression: str, contexts: Mapping[str, Any]) -> Any:
    """One expression: literals, context paths, `== != ! && || ( )`, and the status functions."""
    python: list[str] = []
    position = 0
    text = expression.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        assert match, f"unsupported expression: {expression!r}"
        token = match.group(1)
        position = match.end()
        if token.startswith("'"):
            python.append(repr(token[1:-1].replace("''", "'")))
        elif token in ("&&", "||"):
            python.append(" and " if token == "&&" else " or ")
        elif token == "!":
            python.append(" not ")
        elif token in ("==", "!=", "(", ")"):
            python.append(f" {token} ")
        elif token.endswith("()"):
            python.append(repr(bool(contexts["status"][token[:-2]])))
        elif token in ("true", "false"):
            python.append(repr(token == "true"))
        else:
            python.append(repr(_lookup(contexts, token)))
    return eval("".join(python), {"__builtins__": {}})  # noqa: S307 - built only from literals and operators


def render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def substitute(text: str, contexts: Mapping[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: render(evaluate(m.group(1), contexts)), text)


def condition(raw: Any, contexts: Mapping[str, Any]) -> bool:
    """A step's `if` (default `success()`); a condition without a status function implies `success() &&`."""
    if raw is None:
        return bool(contexts["status"]["success"])
    text = str(raw).strip()
    match = EXPRESSION.fullmatch(text)
    text = match.group(1) if match else text
    value = evaluate(text, contexts)
    if not re.search(r"\b(always|failure|cancelled|success)\(\)", text):
        value = value and contexts["status"]["success"]
    return bool(value)


@dataclass
class Runner:
    """One runner: a working copy of the repository, the secrets, the event, the environment it runs with."""

    workdir: Path
    secrets: dict[str, str]
    github: dict[str, Any]
    base_env: dict[str, str]
    workflow_path: Path
    _outputs: int = 0

    def run_job(self, job_name: str) -> list[StepResult]:
        workflow = yaml.safe_load(self.workflow_path.read_text())
        job = workflow["jobs"][job_name]
        steps: dict[str, Any] = {}
        contexts: dict[str, Any] = {"secrets": self.secrets, "github": self.github, "env": {},
                                    "runner": {"os": "Linux", "temp": self.base_env["RUNNER_TEMP"]},
                                    "steps": steps, "status": {"success": True, "always": True, "failure": False,
                                                               "cancelled": False}}
        assert condition(job.get("if"), contexts), f"job {job_name} does not run for {self.github['event_name']}"
        env = {key: render(evaluate(EXPRESSION.fullmatch(str(v)).group(1), contexts))  # type: ignore[union-attr]
               if EXPRESSION.fullmatch(str(v)) else substitute(str(v), contexts) for key, v in workflow["env"].items()}
        contexts["env"] = env
        results = []
        for step in job["steps"]:
            result = self._step(step, contexts)
            results.append(result)
            if "id" in step:
                steps[step["id"]] = {"outputs": result.outputs, "outcome": result.outcome,
                                     "conclusion": "success" if step.get("continue-on-error") is True else result.outcome}
            if result.outcome == "failure" and not self._continues(step, contexts):
                contexts["status"] = {**contexts["status"], "success": False, "failure": True}
        return results

    def _continues(self, step: Mapping[str, Any], contexts: Mapping[str, Any]) -> bool:
        raw = step.get("continue-on-error", False)
        return bool(evaluate(EXPRESSION.fullmatch(raw).group(1), contexts)) if isinstance(raw, str) else bool(raw)

    def _step(self, step: Mapping[str, Any], contexts: dict[str, Any]) -> StepResult:
        name = str(step.get("name") or step.get("uses") or step.get("run"))
        if not condition(step.get("if"), contexts):
            return StepResult(name, "skipped")
        if "uses" in step:
            uses = str(step["uses"])
            if uses.startswith("./"):
                return self._composite(name, step, contexts)
            assert not uses.startswith(SKIPPED_ONLY), f"step {name!r} ({uses}) ran in the configuration under test"
            assert uses.startswith(NO_OP_ACTIONS), f"step {name!r} uses {uses}, which this runner cannot stand in for"
            return StepResult(name, "success")
        script = str(step["run"])
        if "pip install" in script:
            assert "[team]" in script, f"{name}: CI must install the team extra"
            return StepResult(name, "success")  # installed already: this checkout runs the code under test
        env = {**self.base_env, **contexts["env"], **contexts.get("action_env", {})}
        env.update({k: substitute(str(v), contexts) for k, v in (step.get("env") or {}).items()})
        self._outputs += 1
        output_file = Path(self.base_env["RUNNER_TEMP"]) / f"output-{self._outputs}"
        output_file.write_text("")
        env["GITHUB_OUTPUT"] = str(output_file)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", substitute(script, contexts)],
                              cwd=self.workdir, env=env, text=True, capture_output=True, timeout=900)
        outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        return StepResult(name, "success" if done.returncode == 0 else "failure", done.stdout + done.stderr, outputs)

    def _composite(self, name: str, step: Mapping[str, Any], contexts: dict[str, Any]) -> StepResult:
        """A local composite action: its steps with its inputs (defaults, then `with`), its outputs mapped."""
        path = (self.workdir / str(step["uses"])).resolve()
        action = yaml.safe_load((path / "action.yml").read_text())
        assert action["runs"]["using"] == "composite", f"{name}: only composite local actions are supported"
        inputs = {key: substitute(str(spec.get("default", "")), contexts) for key, spec in action["inputs"].items()}
        unknown = set(step.get("with") or {}) - set(inputs)
        assert not unknown, f"{name}: the action has no inputs {sorted(unknown)}"
        inputs.update({key: substitute(str(value), contexts) for key, value in (step.get("with") or {}).items()})
        inner_steps: dict[str, Any] = {}
        inner = {**contexts, "inputs": inputs, "steps": inner_steps, "status": dict(contexts["status"]),
                 "action_env": {"GITHUB_ACTION_PATH": str(path)}}
        results = []
        for inner_step in action["runs"]["steps"]:
            assert "uses" in inner_step or inner_step.get("shell") == "bash", f"{name}: composite steps need a shell"
            result = self._step(inner_step, inner)
            results.append(result)
            if "id" in inner_step:
                inner_steps[inner_step["id"]] = {"outputs": result.outputs, "outcome": result.outcome}
            if result.outcome == "failure":
                inner["status"] = {**inner["status"], "success": False, "failure": True}
        outputs = {key: substitute(str(spec["value"]), inner) for key, spec in (action.get("outputs") or {}).items()}
        failed = any(r.outcome == "failure" for r in results)
        text = "\n".join(f"[{r.name}: {r.outcome}]\n{r.output}" for r in results)
        return StepResult(name, "failure" if failed else "success", text, outputs)


def event_file(path: Path, payload: dict[str, Any]) -> Path:
    path.write_text(json.dumps(payload))
    return path
