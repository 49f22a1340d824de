"""Never serve the wrong model: the state is the truth, a pointer file is only a cache of it.

The registry (what `nerspec serve` runs) and `nerspec predict` resolve a deployment to the model the state
records, at the location its fingerprint gives, with every file's recorded sha256 (``nerspec.deploy.targets``,
``nerspec.deploy.verify``). These tests reproduce each way a pointer can lie and check that it changes nothing
that is served, while damaged model files are refused with the reason on /readyz.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import time
from pathlib import Path

import httpx

from nerspec import atomic
from nerspec.deploy import local
from nerspec.paths import StatePaths
from nerspec.serve.registry import Registry
from tests.serve.conftest import ADMIN_TOKEN, API_KEY, Models, Server, deploy, make_state


def _registry(paths: StatePaths) -> Registry:
    registry = Registry(paths, loader=lambda model_dir: object())  # verification happens before any load
    registry.scan()
    return registry


def _hand_write(paths: StatePaths, project: str, deployment: str, fingerprint: str, model_dir: Path) -> None:
    pointer = {"project": project, "deployment": deployment, "fingerprint": fingerprint, "model_dir": str(model_dir)}
    atomic.write_text(local.pointer_path(paths, project, deployment), json.dumps(pointer))


def test_a_pointer_is_never_trusted_for_where_the_model_lives(trained: Models, tmp_path: Path) -> None:
    from nerspec.predict import resolve

    paths = make_state(trained, tmp_path / "state")
    copy = tmp_path / "elsewhere" / trained.ner  # a copy of the deployed model outside the state, then tampered
    shutil.copytree(paths.models / trained.ner, copy)
    (copy / "model" / "tokenizer").write_bytes(b"tampered")
    _hand_write(paths, "people", "production", trained.ner, copy)
    registry = _registry(paths)
    assert registry.get("people", "production").model_dir == paths.models / trained.ner
    manifest = tmp_path / "people" / "nerspec.yaml"
    manifest.parent.mkdir()
    manifest.write_text("apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: people, language: en}\n"
                        "spec:\n  entities: [{name: PERSON}]\n  data: [{name: d, format: jsonl, path: d.jsonl}]\n")
    (manifest.parent / "d.jsonl").write_text('{"id": "1", "text": "Alice", "entities": []}\n')
    assert resolve(manifest, "production", paths.root) == paths.models / trained.ner


def test_a_pointer_switched_before_the_state_was_written_serves_the_state(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    local.point(paths, "people", "production", trained.ner_b)  # a kill after the pointer switch, before the record
    registry = _registry(paths)
    assert registry.get("people", "production").fingerprint == trained.ner  # consistent: what the state records
    assert registry.failures() == {}
    deploy(paths, "people", "production", trained.ner_b)  # the next apply records it: served at once
    registry.scan()
    assert registry.get("people", "production").fingerprint == trained.ner_b


def test_hand_written_pointers_the_state_never_recorded_are_never_served(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    _hand_write(paths, "evilproj", "production", trained.ner, paths.models / trained.ner)
    _hand_write(paths, "people", "extra", trained.ner, paths.models / trained.ner)
    outside = tmp_path / "outside" / trained.ner_b
    shutil.copytree(paths.models / trained.ner_b, outside)
    _hand_write(paths, "people", "outside", trained.ner_b, outside)  # a model_dir outside the state, intact bytes
    registry = _registry(paths)
    served = set(registry.snapshot())
    assert not {("evilproj", "production"), ("people", "extra"), ("people", "outside")} & served
    assert ("people", "production") in served


def test_model_files_changed_keeping_size_and_mtime_are_refused(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    weights = max((p for p in (paths.models / trained.ner / "model").rglob("*") if p.is_file()),
                  key=lambda p: p.stat().st_size)
    st = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))  # a stat cache would not notice
    registry = _registry(paths)
    assert "do not match their recorded hashes" in registry.failures()["people/production"]
    assert ("people", "production") not in registry.snapshot()


def test_readyz_reports_a_refused_deployment_and_requests_get_an_error(server: Server, trained: Models) -> None:
    paths = server.paths
    deploy(paths, "people", "liar", "f0" * 10)  # recorded, but no such model: nothing verified to fall back on
    registry = server.app.state.nerspec.registry
    deadline = time.monotonic() + 10
    while "people/liar" not in registry.failures() and time.monotonic() < deadline:
        time.sleep(0.05)
    response = httpx.get(server.url + "/readyz")
    ready = response.json()
    assert "people/liar" in ready["failures"]
    assert response.status_code == 503 and ready["status"] == "degraded"
    assert ready["error"]["code"] == "ServiceUnavailable" and "people/liar" in ready["error"]["message"]
    response = httpx.post(server.url + "/projects/people/deployments/liar:analyze",
                          json={"documents": [{"id": "1", "text": "Alice"}]},
                          headers={"Ocp-Apim-Subscription-Key": API_KEY})
    assert response.status_code >= 400 and "liar" in response.text
    from tests.serve.conftest import undeploy

    undeploy(paths, "people", "liar")
    deadline = time.monotonic() + 10
    while registry.failures() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert httpx.get(server.url + "/readyz").status_code == 200  # ready again once nothing fails


def _upload(server: Server, fingerprint: str, meta: dict[str, object]) -> httpx.Response:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("meta.json", json.dumps(meta).encode()),
                           ("model/config.cfg", b"[nlp]\nthis is not a spaCy config\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = buffer.getvalue()
    return httpx.put(f"{server.url}/admin/projects/people/deployments/production",
                     params={"fingerprint": fingerprint, "sha256": hashlib.sha256(archive).hexdigest()},
                     content=archive, headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                               "content-type": "application/gzip"}, timeout=60)


def test_admin_upload_the_server_cannot_load_does_not_switch(server: Server) -> None:
    fingerprint = "badbad" * 4
    before = local.read_pointer(server.paths, "people", "production")
    response = _upload(server, fingerprint, {"fingerprint": fingerprint, "kind": "NERProject"})
    assert response.status_code == 400 and "cannot load" in response.text, response.text
    assert local.read_pointer(server.paths, "people", "production") == before  # never switched
    assert server.app.state.nerspec.registry.get("people", "production").fingerprint == before["fingerprint"]


def test_an_upload_whose_meta_the_loader_would_refuse_is_not_kept(server: Server) -> None:
    """Kept under its fingerprint, a later good upload of that fingerprint would find it "complete", skip
    unpacking and fail again."""
    fingerprint = "badbae" * 4
    response = _upload(server, fingerprint, {"fingerprint": 123, "kind": "NERProject"})
    assert response.status_code == 400 and "`fingerprint`" in response.text, response.text
    assert not local.artifact_dir(server.paths, fingerprint).exists()
