"""The S3 artifact store against moto's standalone server, through the same boto3 client users run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import boto3
import pytest

from nerspec.artifacts.layout import file_hashes
from nerspec.artifacts.stores import open_artifact_store
from nerspec.artifacts.stores.s3 import S3ArtifactStore
from nerspec.errors import ModelNotFoundError
from nerspec.fingerprints.stat_cache import StatCache
from nerspec.paths import StatePaths

FP = "f" * 16


def _artifact(root: Path) -> Path:
    artifact = root / FP
    (artifact / "model" / "ner").mkdir(parents=True)
    (artifact / "model" / "config.cfg").write_text("[nlp]\nlang = \"en\"\n")
    (artifact / "model" / "ner" / "model").write_bytes(os.urandom(4096))
    (artifact / "meta.json").write_text(json.dumps({"fingerprint": FP, "kind": "NERProject"}))
    return artifact


def _store(tmp_path: Path, url: str) -> S3ArtifactStore:
    store = open_artifact_store(StatePaths(tmp_path / "local", artifacts_url=url))
    assert isinstance(store, S3ArtifactStore)
    return store


def test_publish_then_fetch_verifies_into_the_local_cache(tmp_path: Path, s3_bucket: str) -> None:
    artifact = _artifact(tmp_path / "built")
    cache = StatCache(tmp_path / "cache")
    files = file_hashes(artifact, cache)
    store = _store(tmp_path, s3_bucket)
    assert not store.exists(FP)
    store.publish(FP, artifact, files)
    assert store.exists(FP) and store.intact(FP, files, cache) and store.list_fingerprints() == [FP]
    assert json.loads(store.read_file(FP, "meta.json"))["fingerprint"] == FP
    store.publish(FP, artifact, files)  # idempotent
    other = _store(tmp_path / "b", s3_bucket)  # another machine: empty cache
    local = other.fetch(FP, files, StatCache(tmp_path / "b" / "cache"))
    assert local == tmp_path / "b" / "local" / "models" / FP
    assert file_hashes(local, StatCache(tmp_path / "b" / "cache2")) == files


def test_a_file_changed_in_the_bucket_is_drift_and_never_used(tmp_path: Path, s3_bucket: str) -> None:
    artifact = _artifact(tmp_path / "built")
    files = file_hashes(artifact, StatCache(tmp_path / "cache"))
    store = _store(tmp_path, s3_bucket)
    store.publish(FP, artifact, files)
    bucket, prefix = s3_bucket[5:].split("/", 1)
    boto3.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/{FP}/files/model/ner/model", Body=b"tampered")
    assert not store.intact(FP, files, None)
    with pytest.raises(ModelNotFoundError, match="do not match the recorded hashes"):
        _store(tmp_path / "b", s3_bucket).fetch(FP, files, None)
    assert not (tmp_path / "b" / "local" / "models" / FP).exists()


def test_killed_upload_leaves_no_visible_model(tmp_path: Path, s3_bucket: str) -> None:
    artifact = _artifact(tmp_path / "built")
    files = file_hashes(artifact, StatCache(tmp_path / "cache"))
    marker = tmp_path / "paused"
    script = textwrap.dedent(f"""
        import json, pathlib
        import tests.launch
        tests.launch.install()  # the test-only crash point hook
        from nerspec.artifacts.stores.s3 import S3ArtifactStore
        store = S3ArtifactStore({s3_bucket!r}, pathlib.Path({str(tmp_path / 'x')!r}))
        store.publish({FP!r}, pathlib.Path({str(artifact)!r}), json.loads({json.dumps(files)!r}))
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "NERSPEC_TEST_PAUSE_AT": "upload", "NERSPEC_TEST_PAUSE_MARKER": str(marker)}
    child = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        child.kill()
    store = _store(tmp_path, s3_bucket)
    assert store.read_file(FP, "meta.json") is not None  # the files were there...
    assert not store.exists(FP) and store.list_fingerprints() == []  # ...but no model is visible
    with pytest.raises(ModelNotFoundError):
        store.fetch(FP, {}, None)
    store.publish(FP, artifact, files)  # the next upload completes it
    assert store.exists(FP)


def test_a_missing_bucket_or_unreachable_endpoint_is_a_clear_error(tmp_path: Path, s3_bucket: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from nerspec.errors import RemoteError
    from tests.services import free_port

    artifact = _artifact(tmp_path / "built")
    files = file_hashes(artifact, StatCache(tmp_path / "cache"))
    with pytest.raises(RemoteError, match="s3://no-such-bucket-here/p"):
        _store(tmp_path, "s3://no-such-bucket-here/p").publish(FP, artifact, files)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RemoteError, match="Could not connect"):
        _store(tmp_path, s3_bucket).exists(FP)


def test_a_stalled_endpoint_times_out_with_retries_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint that accepts connections and never answers: bounded by the timeouts, each retry announced."""
    import io
    import socket
    import threading

    from nerspec import progress
    from nerspec.artifacts.stores import s3
    from nerspec.errors import RemoteError

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # keep it open, never answer
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setattr(s3, "READ_TIMEOUT_S", 0.3)
    monkeypatch.setattr(s3, "CONNECT_TIMEOUT_S", 0.3)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    out = io.StringIO()
    started = time.monotonic()
    try:
        with progress.use(progress.PlainReporter(out)), pytest.raises(RemoteError, match="s3://stalled/p"):
            _store(tmp_path, "s3://stalled/p").exists(FP)
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    assert time.monotonic() - started < 30
    lines = out.getvalue().splitlines()
    assert len(lines) == s3.MAX_ATTEMPTS - 1, lines
    assert lines[0].startswith("s3://stalled/p: no answer (ReadTimeoutError) on attempt 1 of 4; retrying")
