"""A shadow rollout on the team backend: apply stages the candidate in PostgreSQL (models in S3, moto), two real
servers serving that shared state both record observations (they add up), and the next apply promotes it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from nerspec.paths import StatePaths
from tests.serve.test_rollouts import ANALYSIS, make_docs, parts, post, with_rollout
from tests.tiny import TinyProject, manifest

pytest.importorskip("spacy")
pytestmark = pytest.mark.slow


def _production(paths: StatePaths) -> str:
    from nerspec.state import open_store

    store = open_store(paths)
    try:
        return store.deployments("tiny")["production"].fingerprint
    finally:
        store.close()


def test_shadow_rollout_on_postgres_adds_up_across_servers(tmp_path: Path, pg_url: str, s3_bucket: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import ExitStack

    from nerspec.apply import apply
    from nerspec.serve.app import create_app
    from nerspec.state import open_store

    monkeypatch.chdir(tmp_path)
    tiny = TinyProject(tmp_path)
    tiny.write_manifest(manifest())
    tiny.write_docs(make_docs(24))
    paths = StatePaths(tmp_path / "local", state_url=pg_url, artifacts_url=s3_bucket)
    apply(tiny.load(), paths, parts=parts())
    production = _production(paths)
    tiny.write_manifest(with_rollout(strategy="shadow", analysis=ANALYSIS))
    tiny.write_docs(make_docs(30))
    apply(tiny.load(), paths, parts=parts())
    assert _production(paths) == production

    traffic = make_docs(40, start=300)
    apps = [create_app(StatePaths(tmp_path / f"server{i}", state_url=pg_url, artifacts_url=s3_bucket),
                       poll_interval=0.1) for i in range(2)]
    with ExitStack() as stack:
        servers: list[Any] = [stack.enter_context(_running(app, paths)) for app in apps]
        for app in apps:  # each server fetches both models from S3 and loads the candidate
            deadline = time.monotonic() + 60
            while app.state.nerspec.rollouts.get("tiny", "production") is None:
                assert time.monotonic() < deadline, "a server did not load the candidate"
                time.sleep(0.1)
        for i, server in enumerate(servers):  # half the traffic to each
            for start in range(20 * i, 20 * i + 20, 10):
                body = post(server.url, traffic[start:start + 10])
                assert {d["modelFingerprint"] for d in body["documents"]} == {production}
        store = open_store(paths)
        rollout = store.rollouts("tiny")["production"]
        deadline = time.monotonic() + 30
        while len(store.rollout_observations(rollout.id)) < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(store.rollout_observations(rollout.id)) == 40  # 20 from each server
        store.close()
        apply(tiny.load(), paths, parts=parts())  # 40 documents: the verdict is in, apply promotes
        assert _production(paths) == rollout.candidate
        deadline = time.monotonic() + 30  # both servers follow the shared state
        while any(post(s.url, traffic[:1])["modelFingerprint"] != rollout.candidate for s in servers):
            assert time.monotonic() < deadline, "a server still serves the old model"
            time.sleep(0.2)


def _running(app: Any, paths: StatePaths) -> Any:
    from contextlib import contextmanager

    from tests.serve.conftest import run_server

    @contextmanager
    def running() -> Any:
        generator = run_server(app, paths)
        server = next(generator)
        try:
            yield server
        finally:
            generator.close()

    return running()
