"""Serving what a shared state records (PostgreSQL + S3), hot swaps and removals; admin DELETE for http targets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from nerspec.artifacts.layout import file_hashes
from nerspec.artifacts.stores import open_artifact_store
from nerspec.deploy import http as http_target
from nerspec.deploy.targets import TargetContext, target_for
from nerspec.errors import DeployError
from nerspec.fingerprints.stat_cache import StatCache
from nerspec.manifest.schema import HttpTarget
from nerspec.paths import StatePaths
from nerspec.state import open_store
from nerspec.state.store import DeploymentRecord, ModelRecord
from tests.serve.conftest import ADMIN_TOKEN, API_KEY, Server, run_server
from tests.serve.test_admin import _artifact_copy

TEXT = {"documents": [{"id": "1", "text": "Alice Smith moved to Paris last year."}]}


def test_removing_an_http_deployment_stops_the_remote_server(server: Server, trained: Any, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN_OK", ADMIN_TOKEN)
    target = HttpTarget(type="http", url=server.url, token_env="DEPLOY_TOKEN_OK")
    fingerprint = "e7" * 10
    http_target.upload(target, "leaving", "production", _artifact_copy(trained, tmp_path, fingerprint), fingerprint)
    url = server.url + "/projects/leaving/deployments/production:analyze"
    assert httpx.post(url, json=TEXT, headers={"Ocp-Apim-Subscription-Key": API_KEY}).status_code == 200
    context = TargetContext(server.paths, store=None)
    target_for(target.model_dump()).remove(context, "leaving", "production", target.model_dump())
    assert http_target.remote_fingerprint(target, "leaving", "production") is None
    assert httpx.post(url, json=TEXT, headers={"Ocp-Apim-Subscription-Key": API_KEY}).status_code == 404
    http_target.delete(target, "leaving", "production")  # already gone: fine
    monkeypatch.setenv("DEPLOY_TOKEN_BAD", "wrong")
    with pytest.raises(DeployError, match="refused the token"):
        http_target.delete(HttpTarget(type="http", url=server.url, token_env="DEPLOY_TOKEN_BAD"), "people", "staging")


def _publish(paths: StatePaths, trained: Any, fingerprint: str) -> ModelRecord:
    artifact = trained.root / "models" / fingerprint
    files = file_hashes(artifact, StatCache(paths.cache))
    store = open_artifact_store(paths)
    store.publish(fingerprint, artifact, files)
    return ModelRecord("people", fingerprint, "t", "d", store.location(fingerprint), artifact_files=files)


def _wait(http: httpx.Client, expected: int, fingerprint: str | None = None, seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = http.post("/projects/people/deployments/production:analyze", json=TEXT)
        if response.status_code == expected and (fingerprint is None or
                                                 response.json().get("modelFingerprint") == fingerprint):
            return response
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)


def test_serves_the_shared_state_and_follows_its_changes(trained: Any, tmp_path: Path, pg_url: str,
                                                          s3_bucket: str) -> None:
    from nerspec.serve.app import create_app

    paths = StatePaths(tmp_path / "server-local", state_url=pg_url, artifacts_url=s3_bucket)
    writer = open_store(paths)
    first, second = _publish(paths, trained, trained.ner), _publish(paths, trained, trained.ner_b)
    writer.record_model(first)
    writer.record_model(second)
    record = DeploymentRecord("people", "production", trained.ner, {"type": "registry"}, "t")
    writer.set_deployment(record, action="deploy", actor="ci", reason="", expected_from=None)
    writer.set_deployment(DeploymentRecord("people", "remote", trained.ner, {"type": "http", "url": "http://x"}, "t"),
                          action="deploy", actor="ci", reason="", expected_from=None)
    app = create_app(paths, poll_interval=0.1)
    for running in run_server(app, paths):
        with httpx.Client(base_url=running.url, timeout=30) as http:
            _wait(http, 200, trained.ner)
            served = http.get("/projects/people/deployments").json()["deployments"]
            assert [d["name"] for d in served] == ["production"]  # http deployments are served by their server
            writer.set_deployment(DeploymentRecord("people", "production", trained.ner_b, {"type": "registry"}, "t"),
                                  action="deploy", actor="ci", reason="", expected_from=trained.ner)
            _wait(http, 200, trained.ner_b)  # hot swap within a few polls

            # A model changed in the bucket is never served: the server keeps the previous one and says why.
            bucket, prefix = s3_bucket[5:].split("/", 1)
            boto3.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/{trained.single}/manifest.json", Body=b"{}")
            tampered = "c3" * 10
            writer.record_model(ModelRecord("people", tampered, "t", "d", f"{s3_bucket}/{tampered}",
                                            artifact_files={"meta.json": "0" * 64}))
            writer.set_deployment(DeploymentRecord("people", "production", tampered, {"type": "registry"}, "t"),
                                  action="deploy", actor="ci", reason="", expected_from=trained.ner_b)
            deadline = time.monotonic() + 30
            while not http.get("/readyz").json()["failures"]:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            assert _wait(http, 200).json()["modelFingerprint"] == trained.ner_b

            writer.remove_deployment("people", "production", actor="ci", reason="removed from the manifest")
            _wait(http, 404)
    writer.close()


def test_smoke_checks_go_through_the_server(server: Server, trained: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from nerspec.deploy.smoke import run_checks
    from nerspec.manifest.schema import SmokeCheck
    from tests.serve.conftest import API_KEY_ENV

    target = HttpTarget(type="http", url=server.url, api_key_env=API_KEY_ENV)
    passing = [SmokeCheck(text="Alice Smith moved to Paris last year.", entities=[{"category": "CITY", "text": "Paris"}])]
    assert run_checks(passing, target, "people", "production", trained.ner, None) is None
    failing = [SmokeCheck(text="Alice Smith moved to Paris last year.", classes=["SPORTS"])]
    message = run_checks(failing, target, "people", "production", trained.ner, None)
    assert message is not None and message.startswith("smoke check failed on text 'Alice Smith moved to Paris")
    assert "expected SPORTS, got" in message and "CITY 'Paris'" in message


def test_a_sqlite_state_serves_its_registry_deployments_next_to_the_pointers(trained: Any, tmp_path: Path) -> None:
    import shutil

    from nerspec.serve.app import create_app

    paths = StatePaths(tmp_path / "state")
    shutil.copytree(trained.root / "models", paths.models)
    with open_store(paths) as store:
        files = file_hashes(paths.models / trained.ner_b, StatCache(paths.cache))
        store.record_model(ModelRecord("people", trained.ner_b, "t", "d", str(paths.models / trained.ner_b),
                                       artifact_files=files))
        store.set_deployment(DeploymentRecord("people", "production", trained.ner_b, {"type": "registry"}, "t"),
                             action="deploy", actor="me", reason="", expected_from=None)
    for running in run_server(create_app(paths, poll_interval=0.1), paths):
        with httpx.Client(base_url=running.url, timeout=30) as http:
            _wait(http, 200, trained.ner_b)


def test_a_postgres_state_notifies_the_server_so_it_swaps_without_waiting_for_a_poll(
    trained: Any, tmp_path: Path, pg_url: str, s3_bucket: str
) -> None:
    from nerspec.serve.app import create_app

    paths = StatePaths(tmp_path / "server-local", state_url=pg_url, artifacts_url=s3_bucket)
    writer = open_store(paths)
    for fingerprint in (trained.ner, trained.ner_b):
        writer.record_model(_publish(paths, trained, fingerprint))
    writer.set_deployment(DeploymentRecord("people", "production", trained.ner, {"type": "registry"}, "t"),
                          action="deploy", actor="ci", reason="", expected_from=None)
    app = create_app(paths, poll_interval=600)  # polling alone would take ten minutes
    for running in run_server(app, paths):
        with httpx.Client(base_url=running.url, timeout=30) as http:
            _wait(http, 200, trained.ner)
            time.sleep(1.5)  # the listener is connected
            writer.set_deployment(DeploymentRecord("people", "production", trained.ner_b, {"type": "registry"}, "t"),
                                  action="deploy", actor="ci", reason="", expected_from=trained.ner)
            _wait(http, 200, trained.ner_b, seconds=20)
            writer.remove_deployment("people", "production", actor="ci", reason="gone")
            _wait(http, 404, seconds=20)
    writer.close()


def test_a_sqlite_state_announces_nothing_so_its_source_only_polls(tmp_path: Path) -> None:
    import threading

    from nerspec.serve.shared import StateSource

    source = StateSource(StatePaths(tmp_path / "state"))
    source.listen(lambda: None)  # Store.listen: only a store that announces changes gets a listener thread
    try:
        assert "nerspec-state-listener" not in {t.name for t in threading.enumerate()}
        assert source() == {}  # no state yet: nothing to serve
    finally:
        source.stop()
