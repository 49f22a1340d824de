"""The state is the truth on every machine: a `local` target (the manifests' default) with a shared PostgreSQL +
S3 state. Machine B's deploy is what machine A's plan, predict and already running server see, and a fresh clone
plans no changes: A's pointer file is only a cache of the state, never drift because another machine deployed."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.services import free_port
from tests.team.checkouts import FAKES, TEXT, checkout, last_fingerprint, nerspec, served_fingerprint, spawn, write_docs
from tests.tiny import make_docs

pytestmark = pytest.mark.slow


def test_another_machines_deploy_is_what_this_machine_plans_predicts_and_serves(
    tmp_path: Path, pg_url: str, s3_bucket: str
) -> None:
    a = checkout(tmp_path / "A", pg_url, s3_bucket)
    b = checkout(tmp_path / "B", pg_url, s3_bucket)
    first = nerspec(b, "apply", "projects/tiny")  # a real (tiny) training, uploaded and deployed by B
    assert first.returncode == 0, first.stderr
    old = last_fingerprint(b)

    # A is a fresh clone: nothing on its disk, no pointer. Not drift: the pointer is a cache of the state.
    plan = nerspec(a, "plan", "--detailed-exitcode", "projects/tiny")
    assert plan.returncode == 0 and "No changes" in plan.stdout, plan.stdout + plan.stderr
    assert "repair" not in plan.stdout
    predicted = nerspec(a, "predict", "projects/tiny", TEXT, "--json")
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)["modelFingerprint"] == old
    pointer = a / ".nerspec/registry/tiny/production.json"
    assert json.loads(pointer.read_text())["fingerprint"] == old  # the cache, written from the state

    port = free_port()
    server = spawn(a, "serve", "--port", str(port))
    try:
        assert served_fingerprint(port) == old
        # B deploys a changed model (the fake trainer copies a real pipeline: loadable, another fingerprint).
        for copy in (a, b):
            write_docs(copy, make_docs(30))
        changed = nerspec(b, "apply", "projects/tiny", **{**FAKES, "NERSPEC_TEST_TRAINER": "tests.fakes:train_copy",
                                                          "NERSPEC_FAKE_MODEL": str(b / ".nerspec/models" / old / "model")})
        assert changed.returncode == 0, changed.stdout + changed.stderr
        new = last_fingerprint(b)
        assert new != old
        started = time.monotonic()
        assert served_fingerprint(port, new, seconds=30) == new  # A's running server follows within 30 s
        assert time.monotonic() - started < 30
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    # A plans no changes although its pointer cache may still name B's earlier model; predict serves B's.
    replan = nerspec(a, "plan", "--detailed-exitcode", "projects/tiny")
    assert replan.returncode == 0 and "No changes" in replan.stdout, replan.stdout + replan.stderr
    predicted = nerspec(a, "predict", "projects/tiny", TEXT, "--json")
    assert json.loads(predicted.stdout)["modelFingerprint"] == new
    assert json.loads(pointer.read_text())["fingerprint"] == new

    # A third, fresh clone plans no changes either.
    c = checkout(tmp_path / "C", pg_url, s3_bucket, docs=30)
    third = nerspec(c, "plan", "--detailed-exitcode", "projects/tiny")
    assert third.returncode == 0 and "No changes" in third.stdout, third.stdout + third.stderr


def test_a_stale_or_hand_changed_pointer_cache(tmp_path: Path, pg_url: str, s3_bucket: str) -> None:
    a = checkout(tmp_path / "A", pg_url, s3_bucket)
    assert nerspec(a, "apply", "projects/tiny", **FAKES).returncode == 0
    old = last_fingerprint(a)
    write_docs(a, make_docs(30))
    assert nerspec(a, "apply", "projects/tiny", **FAKES).returncode == 0
    new = last_fingerprint(a)
    pointer = a / ".nerspec/registry/tiny/production.json"
    body = json.loads(pointer.read_text())
    pointer.write_text(json.dumps({**body, "fingerprint": old, "model_dir": f"models/{old}"}))
    stale = nerspec(a, "plan", "--detailed-exitcode", "projects/tiny")  # an earlier deployed model: a stale cache
    assert stale.returncode == 0, stale.stdout + stale.stderr
    assert f"pointer cache still names {old[:12]}" in stale.stdout
    pointer.write_text(json.dumps({**body, "fingerprint": "f" * 24, "model_dir": "models/" + "f" * 24}))
    drift = nerspec(a, "plan", "--detailed-exitcode", "projects/tiny")  # never deployed there: drift
    assert drift.returncode == 2 and "pointer changed outside nerspec" in drift.stdout, drift.stdout
    pointer.write_text(json.dumps({**body, "model_dir": str(tmp_path / "elsewhere" / new)}))
    moved = nerspec(a, "plan", "--detailed-exitcode", "projects/tiny")  # the location never comes from a pointer
    assert moved.returncode == 2 and "names model_dir" in moved.stdout, moved.stdout
    assert nerspec(a, "apply", "projects/tiny", **FAKES).returncode == 0
    assert nerspec(a, "plan", "--detailed-exitcode", "projects/tiny").returncode == 0


def test_a_rollback_on_the_shared_state_holds_back_until_retried(tmp_path: Path, pg_url: str, s3_bucket: str) -> None:
    a = checkout(tmp_path / "A", pg_url, s3_bucket)
    b = checkout(tmp_path / "B", pg_url, s3_bucket)
    assert nerspec(a, "apply", "projects/tiny", **FAKES).returncode == 0
    old = last_fingerprint(a)
    for copy in (a, b):
        write_docs(copy, make_docs(30))
    assert nerspec(a, "apply", "projects/tiny", **FAKES).returncode == 0
    new = last_fingerprint(a)
    rolled = nerspec(a, "rollback", "projects/tiny", "production")
    assert rolled.returncode == 0, rolled.stderr
    held = nerspec(b, "plan", "--detailed-exitcode", "projects/tiny")  # another machine sees the hold and why
    assert held.returncode == 0 and f"held back: {new[:12]} was rolled back" in held.stdout, held.stdout
    assert f"serves {old[:12]}" in held.stdout and "--retry production" in held.stdout
    retried = nerspec(b, "plan", "--detailed-exitcode", "--retry", "production", "projects/tiny")
    assert retried.returncode == 2 and f"retrying {new[:12]}" in retried.stdout, retried.stdout
    applied = nerspec(b, "apply", "--retry", "production", "projects/tiny", **FAKES)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    listed = json.loads(nerspec(a, "deployments", "list", "projects/tiny", "--json").stdout)
    assert listed[0]["fingerprint"] == new
    assert nerspec(a, "plan", "--detailed-exitcode", "projects/tiny").returncode == 0


def test_apply_removes_stale_temporaries_of_killed_pointer_writes_on_a_shared_state(
    tmp_path: Path, pg_url: str, s3_bucket: str
) -> None:
    import os

    a = checkout(tmp_path / "A", pg_url, s3_bucket)
    assert nerspec(a, "apply", "projects/tiny", **FAKES).returncode == 0
    leftover = a / ".nerspec/registry/tiny/.production.json.abc123.tmp"  # a pointer write killed long ago
    leftover.write_text("{")
    os.utime(leftover, (time.time() - 600, time.time() - 600))
    assert nerspec(a, "apply", "projects/tiny", **FAKES).returncode == 0  # PostgreSQL's lock has no lock file
    assert not leftover.exists()
