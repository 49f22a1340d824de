"""SIGKILL a real `nerspec serve` during an admin upload: before the artifact is complete and before the switch.

Either way the deployment keeps serving what it served (no pointer to a half model), the hidden staging
directory is recognised as dead and removed by the next locked command, and the upload can simply be retried.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from nerspec.deploy import http as http_target
from nerspec.deploy import local
from nerspec.manifest.schema import HttpTarget
from nerspec.paths import StatePaths
from tests.serve.conftest import ADMIN_TOKEN, Models

ROOT = Path(__file__).resolve().parents[2]


def _serve(state: StatePaths, stage: str, marker: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERSPEC_ADMIN_TOKEN": ADMIN_TOKEN,
           "NERSPEC_TEST_PAUSE_AT": stage, "NERSPEC_TEST_PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.launch", "serve", "--port", str(port), "--state", str(state.root),
                             "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)


@pytest.mark.parametrize("stage", ["upload-unpacked", "upload-switch"])
def test_kill_during_admin_upload(trained: Models, tmp_path: Path, stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    state = StatePaths(tmp_path / "state")
    shutil.copytree(trained.root / "models" / trained.ner, state.models / trained.ner)
    local.point(state, "people", "production", trained.ner)
    marker = tmp_path / "paused"
    proc, url = _serve(state, stage, marker)
    upload = tmp_path / "upload" / trained.ner_b
    shutil.copytree(trained.root / "models" / trained.ner_b, upload)
    monkeypatch.setenv("KILL_TOKEN", ADMIN_TOKEN)
    target = HttpTarget(type="http", url=url, token_env="KILL_TOKEN")
    thread = threading.Thread(target=lambda: _ignore(http_target.upload, target, "people", "production", upload,
                                                     trained.ner_b, retries=0), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline, f"never reached {stage}"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    thread.join(timeout=30)
    assert local.read_pointer(state, "people", "production")["fingerprint"] == trained.ner  # type: ignore[index]
    partials = list(state.models.glob(".*.partial"))
    if stage == "upload-unpacked":
        assert partials and not (state.models / trained.ner_b).exists()  # hidden, never a model
    from nerspec.owner import owner_alive

    assert all(owner_alive(p.name) is False for p in partials)  # the next locked command removes them


def _ignore(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:
        pass
