"""SIGKILL a real `nerspec serve` (a subprocess) while it shadows a candidate: the observations written before
survive in the SQLite state, and at most one batch (``BATCH_ROWS``) is lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from nerspec.paths import StatePaths
from nerspec.serve.rollouts import BATCH_ROWS
from nerspec.state import open_store
from tests.serve.test_rollouts import ANALYSIS, make_docs, post, stage

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _serve(state: StatePaths) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "nerspec", "serve", "--port", str(port), "--state",
                             str(state.root), "--poll", "0.05"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)


def _recorded(state: StatePaths) -> int:
    store = open_store(state)
    try:
        return len(store.rollout_observations(store.rollouts("tiny")["production"].id))
    finally:
        store.close()


def test_killed_server_loses_at_most_one_batch(tiny: Any, state: StatePaths) -> None:
    stage(tiny, state, {"strategy": "shadow", "analysis": ANALYSIS})
    proc, url = _serve(state)
    try:
        # Ready means the candidate is loaded too: the server reads the rollouts before it starts answering.
        traffic = make_docs(400, start=1000)
        for i in range(0, 400, 25):
            post(url, traffic[i:i + 25])
        deadline = time.monotonic() + 60
        while (metrics := _metrics(url))["nerspec_rollout_shadows_pending"] > 0:  # every shadow has run
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)  # the recorder's last batch may still be waiting
        proc.wait(timeout=30)
    observed = 400 - metrics["nerspec_rollout_shadows_dropped_total"]
    assert observed >= 200  # most shadows ran (a shadow gives way to production only while it is busy)
    recorded = _recorded(state)  # the state opens (no damage) and holds the batches written while serving
    assert observed - BATCH_ROWS <= recorded <= observed


def _metrics(url: str) -> dict[str, float]:
    lines = httpx.get(url + "/metrics").text.splitlines()
    return {line.split()[0]: float(line.split()[1]) for line in lines if line.startswith("nerspec_rollout")}

