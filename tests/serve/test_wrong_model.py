"""Never serve the wrong model: a pointer is trusted only when its model is the one the state recorded.

The registry (what `nerspec serve` runs) and `nerspec predict` share ``nerspec.deploy.verify``; these tests
reproduce each way a pointer can lie and check that the deployment is refused with the reason on /readyz,
while a deployment that was verified earlier keeps its verified weights.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import httpx

from nerspec import atomic
from nerspec.deploy import local
from nerspec.paths import StatePaths
from nerspec.serve.registry import Registry
from nerspec.state import DeploymentRecord, ModelRecord, open_store
from tests.serve.conftest import ADMIN_TOKEN, API_KEY, Models, Server, make_state


def _files(artifact: Path) -> dict[str, str]:
    return {p.relative_to(artifact).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(artifact.rglob("*")) if p.is_file()}


def _record(paths: StatePaths, project: str, deployment: str, fingerprint: str) -> None:
    store = open_store(paths, fresh_ok=True)  # pointers were written without a state (as a server's uploads)
    try:
        artifact = paths.models / fingerprint
        store.record_model(ModelRecord(project, fingerprint, "2024-01-01", "0", str(artifact), artifact_files=_files(artifact)))
        store.set_deployment(DeploymentRecord(project, deployment, fingerprint, {"type": "local"}, "now"),
                             action="deploy", actor="test", reason="test")
    finally:
        store.close()


def _registry(paths: StatePaths) -> Registry:
    registry = Registry(paths, loader=lambda model_dir: object())  # verification happens before any load
    registry.scan()
    return registry


def test_pointer_with_another_model_dir_is_refused(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    pointer = json.loads(local.pointer_path(paths, "people", "production").read_text())
    pointer["model_dir"] = str(paths.models / trained.ner_b)  # other weights under the production fingerprint
    atomic.write_text(local.pointer_path(paths, "people", "production"), json.dumps(pointer))
    registry = _registry(paths)
    assert ("people", "production") not in registry.snapshot()
    assert "names model_dir" in registry.failures()["people/production"]
    assert ("people", "staging") in registry.snapshot()  # other deployments are unaffected


def test_pointer_that_disagrees_with_the_state_is_refused(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    _record(paths, "people", "production", trained.ner_b)  # state: ner_b; pointer: ner
    registry = _registry(paths)
    message = registry.failures()["people/production"]
    assert "the state recorded" in message and "nerspec apply" in message
    local.point(paths, "people", "production", trained.ner_b)  # repaired: served again
    registry.scan()
    assert registry.get("people", "production").fingerprint == trained.ner_b


def test_model_files_changed_keeping_size_and_mtime_are_refused(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    _record(paths, "people", "production", trained.ner)
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
    import time

    paths = server.paths
    pointer = {"project": "people", "deployment": "liar", "fingerprint": trained.ner,
               "model_dir": str(paths.models / trained.ner_b)}  # never valid: nothing verified to fall back on
    atomic.write_text(local.pointer_path(paths, "people", "liar"), json.dumps(pointer))
    registry = server.app.state.nerspec.registry
    deadline = time.monotonic() + 10
    while "people/liar" not in registry.failures() and time.monotonic() < deadline:
        time.sleep(0.05)
    response = httpx.get(server.url + "/readyz")
    ready = response.json()
    assert "refusing to serve people/liar" in ready["failures"]["people/liar"]
    assert response.status_code == 503 and ready["status"] == "degraded"
    assert ready["error"]["code"] == "ServiceUnavailable" and "people/liar" in ready["error"]["message"]
    response = httpx.post(server.url + "/projects/people/deployments/liar:analyze",
                          json={"documents": [{"id": "1", "text": "Alice"}]},
                          headers={"Ocp-Apim-Subscription-Key": API_KEY})
    assert response.status_code >= 400 and "refusing to serve" in response.text
    local.remove(paths, "people", "liar")
    deadline = time.monotonic() + 10
    while registry.failures() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert httpx.get(server.url + "/readyz").status_code == 200  # ready again once nothing fails


def test_admin_upload_the_server_cannot_load_does_not_switch(server: Server) -> None:
    fingerprint = "badbad" * 4
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("meta.json", json.dumps({"fingerprint": fingerprint, "kind": "NERProject"}).encode()),
                           ("model/config.cfg", b"[nlp]\nthis is not a spaCy config\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = buffer.getvalue()
    before = local.read_pointer(server.paths, "people", "production")
    response = httpx.put(f"{server.url}/admin/projects/people/deployments/production",
                         params={"fingerprint": fingerprint, "sha256": hashlib.sha256(archive).hexdigest()},
                         content=archive, headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                                   "content-type": "application/gzip"}, timeout=60)
    assert response.status_code == 400 and "cannot load" in response.text, response.text
    assert local.read_pointer(server.paths, "people", "production") == before  # never switched
    assert server.app.state.nerspec.registry.get("people", "production").fingerprint == before["fingerprint"]
