"""Working copies of one repository on one shared backend (PostgreSQL + S3), driven through the ``nerspec``
command line in subprocesses (``python -m tests.launch``), configured as users configure them: the committed
``nerspec.settings.yaml`` and the standard AWS variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.tiny import make_docs, manifest

ROOT = Path(__file__).resolve().parents[2]
FAKES = {"NERSPEC_TEST_TRAINER": "tests.fakes:train", "NERSPEC_TEST_EVALUATOR": "tests.fakes:evaluate"}
TEXT = "Alice moved to Paris in 1990."


def checkout(root: Path, pg_url: str, s3_url: str, target: dict[str, Any] | None = None, docs: int = 24) -> Path:
    """A fresh clone: settings naming the shared backend, one tiny project (``target`` None: the default)."""
    (root / ".git").mkdir(parents=True)
    (root / "nerspec.settings.yaml").write_text(
        f"apiVersion: nerspec/v1\nkind: Settings\nstate: {pg_url}\nartifacts: {s3_url}\n")
    project = root / "projects" / "tiny"
    (project / "data").mkdir(parents=True)
    deployment: dict[str, Any] = {"name": "production", **({"target": target} if target else {})}
    spec = manifest(training={"max_steps": 20, "eval_frequency": 10, "patience": 0, "dev_fraction": 0.0},
                    deployments=[deployment])
    (project / "nerspec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    write_docs(root, make_docs(docs))
    return root


def write_docs(root: Path, docs: list[dict[str, Any]]) -> None:
    (root / "projects/tiny/data/docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NERSPEC_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def nerspec(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.launch", *args], cwd=cwd, env=environment(**env), text=True,
                          capture_output=True, timeout=300)


def spawn(cwd: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.launch", *args], cwd=cwd, env=environment(**env),
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def served_fingerprint(port: int, fingerprint: str | None = None, seconds: float = 90) -> str:
    """The ``modelFingerprint`` the server's analyze endpoint answers with (once it is ``fingerprint``)."""
    deadline = time.monotonic() + seconds
    answer: dict[str, Any] = {}
    while True:
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/projects/tiny/deployments/production:analyze",
                                  json={"documents": [{"id": "1", "text": TEXT}]}, timeout=30)
            answer = response.json() if response.status_code == 200 else {}
        except (httpx.TransportError, ValueError):
            pass
        got = answer.get("modelFingerprint")
        if got and (fingerprint is None or got == fingerprint):
            return str(got)
        assert time.monotonic() < deadline, f"the server never answered with {fingerprint} (last: {answer})"
        time.sleep(0.25)


def last_fingerprint(root: Path) -> str:
    return str(json.loads((root / ".nerspec/reports/last-run.json").read_text())["projects"][0]["model"]["fingerprint"])
