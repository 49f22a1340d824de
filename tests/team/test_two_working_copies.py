"""Two working copies of one repository, separate local directories, one shared backend (PostgreSQL + S3).

Everything goes through the ``nerspec`` command line in subprocesses, configured by the committed
``nerspec.settings.yaml`` (state and artifact URLs) and the standard AWS variables, as users run it.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.services import free_port
from tests.team.checkouts import FAKES, checkout, nerspec, spawn, write_docs
from tests.tiny import make_docs

pytestmark = pytest.mark.slow


def _wait_for(path: Path, child: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert child.poll() is None, child.stdout.read() if child.stdout else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _served(port: int, seconds: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/projects/tiny/deployments", timeout=5)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server never served tiny"
        time.sleep(0.25)


def test_two_working_copies_share_one_backend(tmp_path: Path, pg_url: str, s3_bucket: str) -> None:
    a = checkout(tmp_path / "A", pg_url, s3_bucket, {"type": "registry"})
    b = checkout(tmp_path / "B", pg_url, s3_bucket, {"type": "registry"})

    # A applies: trains a real (tiny) model, uploads it, deploys it to the shared registry.
    first = nerspec(a, "apply", "projects/tiny")
    assert first.returncode == 0, first.stderr
    assert "warning:" not in first.stderr  # models go to the object store: nothing to warn about
    assert "+ train" in first.stderr + first.stdout
    fingerprint = json.loads((a / ".nerspec/reports/last-run.json").read_text())["projects"][0]["model"]["fingerprint"]

    # B plans no changes and applies without training (nothing of A's is on B's disk).
    assert not (b / ".nerspec" / "models").exists()
    plan = nerspec(b, "plan", "--detailed-exitcode", "projects/tiny")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout
    again = nerspec(b, "apply", "projects/tiny")
    assert again.returncode == 0 and "train" not in again.stdout + again.stderr.replace("no changes", "")

    listed = json.loads(nerspec(b, "deployments", "list", "projects/tiny", "--json").stdout)
    assert [(r["deployment"], r["fingerprint"], r["target"], r["drift"]) for r in listed] == \
        [("production", fingerprint, "registry", [])]

    # B serves A's model, pulled from the object store and verified.
    port = free_port()
    server = spawn(b, "serve", "--port", str(port))
    try:
        served = _served(port)
        assert served["deployments"][0]["fingerprint"] == fingerprint
        answer = httpx.post(f"http://127.0.0.1:{port}/projects/tiny/deployments/production:analyze", timeout=30,
                            json={"documents": [{"id": "1", "text": "Alice moved to Paris in 1990."}]}).json()
        assert answer["modelFingerprint"] == fingerprint
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    predicted = nerspec(b, "predict", "projects/tiny", "Alice moved to Paris in 1990.", "--json")
    assert predicted.returncode == 0, predicted.stderr  # the library path finds the shared deployment too
    evaluated = nerspec(b, "evaluate", "projects/tiny", "--json")
    assert evaluated.returncode == 0, evaluated.stderr  # the model comes from the store into B's cache
    assert (b / ".nerspec" / "models" / fingerprint / "meta.json").is_file()

    # Both copies get the same new data. A applies and is stopped in training: B gets the lock error naming A.
    for copy in (a, b):
        write_docs(copy, make_docs(30))
    marker = tmp_path / "a-training"
    holder = spawn(a, "apply", "projects/tiny", NERSPEC_TEST_PAUSE_AT="train", NERSPEC_TEST_PAUSE_MARKER=str(marker),
                    NERSPEC_TEST_PAUSE_SECONDS="120", **FAKES)
    try:
        _wait_for(marker, holder)
        blocked = nerspec(b, "apply", "projects/tiny", **FAKES)
        assert blocked.returncode == 1
        assert f"pid {holder.pid}" in blocked.stderr and "apply, since" in blocked.stderr
        assert "project tiny is locked" in blocked.stderr
        holder.send_signal(signal.SIGKILL)  # A dies in training: its connection, and so its lock, goes with it
        holder.wait()
    finally:
        holder.kill()
    proceeded = nerspec(b, "apply", "projects/tiny", **FAKES)  # at once, no force-unlock
    assert proceeded.returncode == 0, proceeded.stderr
    assert "+ train" in proceeded.stderr + proceeded.stdout
    assert nerspec(a, "plan", "--detailed-exitcode", "projects/tiny").returncode == 0  # A sees B's work

    # A killed during its upload leaves no visible model: B still has to train it.
    for copy in (a, b):
        write_docs(copy, make_docs(33))
    marker = tmp_path / "a-uploading"
    uploader = spawn(a, "apply", "projects/tiny", NERSPEC_TEST_PAUSE_AT="upload",
                      NERSPEC_TEST_PAUSE_MARKER=str(marker), NERSPEC_TEST_PAUSE_SECONDS="120", **FAKES)
    try:
        _wait_for(marker, uploader)
        uploader.send_signal(signal.SIGKILL)
        uploader.wait()
    finally:
        uploader.kill()
    planned = nerspec(b, "plan", "--json", "projects/tiny")
    actions = json.loads(planned.stdout)["projects"][0]["actions"]
    assert [x["type"] for x in actions] == ["train", "deploy"]
    shutil.rmtree(a / ".nerspec", ignore_errors=True)


def test_lost_connection_mid_apply_is_an_error_and_records_no_half_deploy(tmp_path: Path, pg_url: str,
                                                                        s3_bucket: str) -> None:
    import psycopg

    a = checkout(tmp_path / "A", pg_url, s3_bucket, {"type": "registry"})
    marker = tmp_path / "before-record"
    child = spawn(a, "apply", "projects/tiny", NERSPEC_TEST_PAUSE_AT="record-deploy",
                   NERSPEC_TEST_PAUSE_MARKER=str(marker), NERSPEC_TEST_PAUSE_SECONDS="3", **FAKES)
    try:
        _wait_for(marker, child)
        database = pg_url.rsplit("/", 1)[1]
        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                          "pg_backend_pid()", (database,))
        output = child.communicate(timeout=120)[0]
    finally:
        child.kill()
    assert child.returncode == 1, output
    assert "lost the connection to the PostgreSQL state" in output and "Traceback" not in output
    plan = nerspec(a, "plan", "--json", "projects/tiny")
    actions = json.loads(plan.stdout)["projects"][0]["actions"]
    assert [x["type"] for x in actions] == ["reuse", "deploy"]  # model recorded, deploy not: apply finishes it
    assert nerspec(a, "apply", "projects/tiny", **FAKES).returncode == 0
    assert nerspec(a, "plan", "--detailed-exitcode", "projects/tiny").returncode == 0


def test_shared_state_with_models_in_a_local_directory_is_warned_about(tmp_path: Path, pg_url: str) -> None:
    a = checkout(tmp_path / "A", pg_url, "unused", {"type": "registry"})
    (a / "nerspec.settings.yaml").write_text(f"apiVersion: nerspec/v1\nkind: Settings\nstate: {pg_url}\n")
    run = nerspec(a, "apply", "projects/tiny")
    assert run.returncode == 0, run.stderr
    assert "warning: the state is shared" in run.stderr and "other machines will find them missing" in run.stderr
    assert str(a / ".nerspec" / "models") in run.stderr
