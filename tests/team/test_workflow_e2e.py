""".github/workflows/nerspec.yml in shared mode, end to end: its steps, extracted from the file and run in order
(tests/team/workflow_runner.py), against a real PostgreSQL and the S3 server, with the secrets a repository sets.

Two runner checkouts: a pull request plans and runs `apply --no-deploy` (training and uploading the model, posting
the report to a stand-in GitHub API), the merge applies and deploys on another runner (reusing that model, no
training), and a third, fresh checkout plans no changes. The Actions cache steps must be skipped throughout.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.team.checkouts import FAKES, ROOT, checkout, environment, nerspec
from tests.team.workflow_runner import Runner, StepResult, event_file

pytestmark = pytest.mark.slow
WORKFLOW = ROOT / ".github" / "workflows" / "nerspec.yml"


class _FakeGitHub(BaseHTTPRequestHandler):
    comments: list[dict[str, Any]] = []

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/user"):
            self._answer(403, {"message": "Resource not accessible by integration"})
        else:
            self._answer(200, [])

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.comments.append({"path": self.path, "body": body["body"]})
        self._answer(201, {"id": len(self.comments), "html_url": "http://github.test/comment"})

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def github_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeGitHub)
    _FakeGitHub.comments = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _FakeGitHub.comments
    finally:
        server.shutdown()


def _runner_env(tmp: Path, name: str, api: str, event: Path) -> dict[str, str]:
    """What a runner provides: its temp directory, GitHub's variables, and `nerspec` on PATH (this checkout's code,
    with the fake trainer and evaluator: what is under test is the workflow and the shared state, not training)."""
    bin_dir = tmp / f"{name}-bin"
    bin_dir.mkdir()
    shim = bin_dir / "nerspec"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tests.launch "$@"\n')
    shim.chmod(0o755)
    temp = tmp / f"{name}-temp"
    temp.mkdir()
    summary = temp / "step-summary.md"
    summary.write_text("")
    env = environment(**FAKES)
    env.update({"PATH": f"{bin_dir}{os.pathsep}{env['PATH']}", "RUNNER_TEMP": str(temp), "RUNNER_OS": "Linux",
                "GITHUB_ACTIONS": "true", "GITHUB_API_URL": api, "GITHUB_REPOSITORY": "acme/models",
                "GITHUB_EVENT_PATH": str(event), "GITHUB_STEP_SUMMARY": str(summary)})
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        env.pop(key, None)  # only what the workflow's env passes on from the secrets
    return env


def _clone(origin: Path, where: Path) -> Path:
    shutil.copytree(origin, where, ignore=shutil.ignore_patterns(".nerspec"))
    return where


def _ran(results: list[StepResult]) -> dict[str, str]:
    return {r.name: r.outcome for r in results}


def _failures(results: list[StepResult]) -> str:
    return "\n".join(f"--- {r.name}\n{r.output}" for r in results if r.outcome == "failure")


def test_the_workflow_on_a_shared_backend_pull_request_then_merge_then_a_fresh_checkout(
    tmp_path: Path, pg_url: str, s3_bucket: str, s3_endpoint: str, github_api: tuple[str, list[dict[str, Any]]]
) -> None:
    api, comments = github_api
    origin = checkout(tmp_path / "origin", pg_url, s3_bucket)
    (origin / "nerspec.settings.yaml").unlink()  # the workflow names the backend through the secrets, not a file
    shutil.copy2(ROOT / "action.yml", origin / "action.yml")  # the repository's own action, which the workflow uses
    secrets = {"NERSPEC_STATE_URL": pg_url, "NERSPEC_ARTIFACTS_URL": s3_bucket, "NERSPEC_PGPASSWORD": "",
               "NERSPEC_AWS_ENDPOINT_URL": s3_endpoint, "NERSPEC_AWS_ACCESS_KEY_ID": "testing",
               "NERSPEC_AWS_SECRET_ACCESS_KEY": "testing"}

    # The pull request, on runner 1: plan, apply --no-deploy (trains and uploads), report posted.
    pr_event = event_file(tmp_path / "pr-event.json", {"pull_request": {"number": 7, "head": {"repo": {"fork": False}},
                                                                         "base": {"sha": "b" * 40}}})
    github = {"event_name": "pull_request", "ref": "refs/pull/7/merge", "sha": "c" * 40, "token": "t0ken",
              "event": json.loads(pr_event.read_text())}
    runner1 = _clone(origin, tmp_path / "runner1")
    results = Runner(runner1, secrets, github, _runner_env(tmp_path, "r1", api, pr_event), WORKFLOW).run_job(
        "pull-request")
    ran = _ran(results)
    assert "failure" not in ran.values(), _failures(results)
    assert ran["Plan"] == ran["Apply without deploying"] == "success"
    assert ran["Fail when a gate failed"] == "skipped"
    assert not any(r.outcome == "success" and "cache" in r.name.lower() for r in results)  # no Actions cache
    apply_step = next(r for r in results if r.name == "Apply without deploying")
    assert apply_step.outputs == {"exit-code": "0"}
    assert "+ train" in apply_step.output and "--no-deploy" in apply_step.output
    assert len(comments) == 1 and comments[0]["path"] == "/repos/acme/models/issues/7/comments"
    state_env = {"NERSPEC_STATE": pg_url, "NERSPEC_ARTIFACTS": s3_bucket, "AWS_ENDPOINT_URL": s3_endpoint,
                 "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    listed = json.loads(nerspec(runner1, "deployments", "list", "projects/tiny", "--json", **state_env).stdout)
    assert [r["fingerprint"] for r in listed] == [None]  # a pull request never deploys

    # The merge, on runner 2 (nothing on its disk): apply reuses the pull request's model and deploys it.
    push_event = event_file(tmp_path / "push-event.json", {"ref": "refs/heads/main"})
    github = {"event_name": "push", "ref": "refs/heads/main", "sha": "d" * 40, "token": "t0ken",
              "event": json.loads(push_event.read_text())}
    runner2 = _clone(origin, tmp_path / "runner2")
    results = Runner(runner2, secrets, github, _runner_env(tmp_path, "r2", api, push_event), WORKFLOW).run_job(
        "deploy")
    ran = _ran(results)
    assert "failure" not in ran.values(), _failures(results)
    assert ran["Apply"] == ran["Report"] == "success"
    apply_output = next(r.output for r in results if r.name == "Apply")
    assert "= reuse" in apply_output and "+ train" not in apply_output and "deployed production" in apply_output
    listed = json.loads(nerspec(runner2, "deployments", "list", "projects/tiny", "--json", **state_env).stdout)
    assert listed[0]["fingerprint"] and listed[0]["drift"] == []

    # A third, fresh checkout plans no changes.
    third = _clone(origin, tmp_path / "runner3")
    plan = nerspec(third, "plan", "--detailed-exitcode", **state_env)
    assert plan.returncode == 0 and "No changes" in plan.stdout, plan.stdout + plan.stderr
