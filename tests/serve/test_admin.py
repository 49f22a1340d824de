"""Hot swap under load, admin upload (token checks, digest, hostile archives) and the http deploy target."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from nerspec.deploy import http as http_target
from nerspec.deploy import local
from nerspec.errors import DeployError
from nerspec.manifest.schema import HttpTarget
from tests.serve.conftest import ADMIN_TOKEN, API_KEY, Server, deploy, undeploy


def test_hot_swap_under_concurrent_requests_has_no_failures(server: Server, trained: Any) -> None:
    """Four clients hammer one deployment while its pointer flips between two models ten times."""
    failures: list[str] = []
    seen: set[str] = set()
    stop = threading.Event()
    url = server.url + "/projects/people/deployments/swap:analyze"
    body = {"documents": [{"id": str(i), "text": "Alice Smith moved to Paris last year."} for i in range(5)]}

    def client() -> None:
        with httpx.Client(headers={"Ocp-Apim-Subscription-Key": API_KEY}, timeout=30) as c:
            deadline = time.monotonic() + 30  # bounded even if the stop flag were never set
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    r = c.post(url, json=body)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if r.status_code != 200 or len(r.json()["documents"]) != 5:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                else:
                    seen.add(r.json()["modelFingerprint"])

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(10):
            deploy(server.paths, "people", "swap", trained.ner_b if i % 2 == 0 else trained.ner)
            time.sleep(0.25)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert failures == []
    assert seen == {trained.ner, trained.ner_b}
    registry = server.app.state.nerspec.registry
    assert registry.get("people", "swap").fingerprint == trained.ner  # the last pointer written


def _artifact_copy(trained: Any, tmp_path: Path, fingerprint: str) -> Path:
    target = tmp_path / fingerprint
    shutil.copytree(trained.root / "models" / trained.ner, target)
    meta = json.loads((target / "meta.json").read_text())
    (target / "meta.json").write_text(json.dumps({**meta, "fingerprint": fingerprint, "project": "uploaded"}))
    return target


def test_http_target_uploads_and_activates(server: Server, trained: Any, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN_OK", ADMIN_TOKEN)
    target = HttpTarget(type="http", url=server.url, token_env="DEPLOY_TOKEN_OK")
    assert http_target.remote_fingerprint(target, "uploaded", "production") is None
    fingerprint = "e5" * 10
    http_target.upload(target, "uploaded", "production", _artifact_copy(trained, tmp_path, fingerprint), fingerprint)
    assert http_target.remote_fingerprint(target, "uploaded", "production") == fingerprint
    r = httpx.post(server.url + "/projects/uploaded/deployments/production:analyze",
                   json={"documents": [{"id": "1", "text": "Bob Jones lives in Berlin."}]},
                   headers={"Ocp-Apim-Subscription-Key": API_KEY})
    assert r.status_code == 200 and r.json()["modelFingerprint"] == fingerprint
    assert (server.paths.models / fingerprint / "model").is_dir()
    # Uploading the same fingerprint again is idempotent (content-addressed store).
    http_target.upload(target, "uploaded", "production", _artifact_copy(trained, tmp_path / "again", fingerprint),
                       fingerprint)


def test_http_target_reports_missing_and_wrong_tokens(server: Server, trained: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    artifact = _artifact_copy(trained, tmp_path, "f6" * 10)
    monkeypatch.delenv("DEPLOY_TOKEN_UNSET", raising=False)
    with pytest.raises(DeployError, match="DEPLOY_TOKEN_UNSET"):
        http_target.upload(HttpTarget(type="http", url=server.url, token_env="DEPLOY_TOKEN_UNSET"),
                           "uploaded", "wrong", artifact, "f6" * 10)
    monkeypatch.setenv("DEPLOY_TOKEN_BAD", "not-the-token")
    with pytest.raises(DeployError, match="403"):
        http_target.upload(HttpTarget(type="http", url=server.url, token_env="DEPLOY_TOKEN_BAD"),
                           "uploaded", "wrong", artifact, "f6" * 10)
    assert local.read_pointer(server.paths, "uploaded", "wrong") is None


def test_http_target_retries_then_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      trained: Any) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN_OK", ADMIN_TOKEN)
    monkeypatch.setattr(http_target, "BACKOFF_S", 0.01)
    target = HttpTarget(type="http", url="http://127.0.0.1:9", token_env="DEPLOY_TOKEN_OK")  # discard port
    from nerspec.errors import RemoteError

    with pytest.raises(RemoteError, match="cannot reach"):
        http_target.upload(target, "p", "d", _artifact_copy(trained, tmp_path, "a9" * 10), "a9" * 10, retries=2)


def _put(server: Server, archive: bytes, token: str | None = ADMIN_TOKEN, fingerprint: str = "c0ffee" * 4,
         sha256: str | None = None, project: str = "evil") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.put(f"{server.url}/admin/projects/{project}/deployments/production",
                     params={"fingerprint": fingerprint, "sha256": sha256 or hashlib.sha256(archive).hexdigest()},
                     content=archive, headers={**headers, "content-type": "application/gzip"}, timeout=30)


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        meta = json.dumps({"fingerprint": "c0ffee" * 4}).encode()
        info = tarfile.TarInfo("meta.json")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
        model = tarfile.TarInfo("model")
        model.type = tarfile.DIRTYPE
        tar.addfile(model)
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def test_admin_token_checks(server: Server) -> None:
    archive = _tar()
    no_token = _put(server, archive, token=None)
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "Unauthorized"
    assert no_token.headers["www-authenticate"] == "Bearer"
    wrong = _put(server, archive, token="nope")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "Forbidden"
    assert httpx.get(f"{server.url}/admin/projects/people/deployments/production").status_code == 401
    bare = httpx.put(f"{server.url}/admin/projects/people/deployments/production", content=archive)
    assert bare.status_code == 401, bare.text  # before the missing fingerprint and sha256 (was 400 naming them)


def test_admin_refuses_digest_mismatch_and_bad_names(server: Server) -> None:
    archive = _tar()
    assert _put(server, archive, sha256="0" * 64).json()["error"]["innererror"]["code"] == "DigestMismatch"
    assert _put(server, archive, fingerprint="../../x").status_code == 400
    assert _put(server, archive, project=".hidden").status_code == 400
    assert _put(server, b"not a tarball").status_code == 400


@pytest.mark.parametrize(
    "member",
    [
        (_member("../escaped.txt"), b"x"),
        (_member("model/../../escaped.txt"), b"x"),
        (_member("/tmp/nerspec-absolute-escape.txt"), b"x"),
        (_member("model/link", tarfile.SYMTYPE, "/etc/passwd"), None),
        (_member("model/hard", tarfile.LNKTYPE, "meta.json"), None),
        (_member("model/device", tarfile.CHRTYPE), None),
        (_member("model/fifo", tarfile.FIFOTYPE), None),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink", "hardlink", "device", "fifo"],
)
def test_hostile_archives_are_refused(server: Server, member: tuple[tarfile.TarInfo, bytes | None]) -> None:
    response = _put(server, _tar(member))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["innererror"]["code"] == "InvalidArchive"
    assert not (server.paths.models / ("c0ffee" * 4)).exists()
    assert not (server.paths.root.parent / "escaped.txt").exists()
    assert not (server.paths.models.parent / "escaped.txt").exists()
    assert not Path("/tmp/nerspec-absolute-escape.txt").exists()
    assert local.read_pointer(server.paths, "evil", "production") is None
    leftovers = [p.name for p in server.paths.models.iterdir() if p.name.endswith(".partial")]
    assert leftovers == []


def _wait(predicate: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_deployment_of_a_broken_model_keeps_the_old_one_and_removal_unserves(server: Server, trained: Any) -> None:
    registry = server.app.state.nerspec.registry
    deploy(server.paths, "people", "broken", trained.ner)
    assert _wait(lambda: "people/broken" in {f"{p}/{d}" for p, d in registry.snapshot()})
    deploy(server.paths, "people", "broken", "missing0000000000")  # recorded, but no such model here
    assert _wait(lambda: "people/broken" in registry.failures())
    assert registry.get("people", "broken").fingerprint == trained.ner  # still served by the last good model
    ready = httpx.get(server.url + "/readyz").json()
    assert "missing" in ready["failures"]["people/broken"]
    undeploy(server.paths, "people", "broken")
    assert _wait(lambda: ("people", "broken") not in registry.snapshot())
    response = httpx.post(server.url + "/projects/people/deployments/broken:analyze",
                          json={"documents": [{"id": "1", "text": "x"}]}, headers={"Ocp-Apim-Subscription-Key": API_KEY})
    assert response.status_code == 404


def test_an_upload_without_a_content_type_is_not_read_as_json(server: Server, trained: Any, tmp_path: Path) -> None:
    """`curl -T model.tar.gz` sends no Content-Type: the upload is still a tarball bounded by the upload limit, not
    a JSON body over the analyze limit (it was 413 'larger than 8388608 bytes', or 400 'not valid JSON')."""
    import os

    from nerspec.serve.limits import MAX_BODY_BYTES

    fingerprint = "a7" * 10
    artifact = _artifact_copy(trained, tmp_path, fingerprint)
    (artifact / "padding.bin").write_bytes(os.urandom(MAX_BODY_BYTES + 1024))  # incompressible
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(artifact, arcname=".")
    archive = buffer.getvalue()
    response = httpx.put(f"{server.url}/admin/projects/uploaded/deployments/untyped",
                         params={"fingerprint": fingerprint, "sha256": hashlib.sha256(archive).hexdigest()},
                         content=archive, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60)
    assert "content-type" not in response.request.headers
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True
    undeploy(server.paths, "uploaded", "untyped")


def _tar_dir(artifact: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(artifact, arcname=".")
    return buffer.getvalue()


def test_a_failed_upload_leaves_nothing_that_blocks_the_corrected_one(server: Server, trained: Any,
                                                                      tmp_path: Path) -> None:
    """The unloadable artifact stayed under models/<fingerprint>, and every later upload of that fingerprint was
    skipped as 'already stored': the corrected model could never be deployed."""
    fingerprint = "b8" * 10
    broken = _artifact_copy(trained, tmp_path / "broken", fingerprint)
    (broken / "model" / "config.cfg").write_text("not a config [[[")
    first = _put(server, _tar_dir(broken), fingerprint=fingerprint, project="uploaded")
    assert first.status_code == 400 and "cannot load" in first.json()["error"]["message"]
    assert not (server.paths.models / fingerprint).exists()
    good = _put(server, _tar_dir(_artifact_copy(trained, tmp_path / "good", fingerprint)), fingerprint=fingerprint,
                project="uploaded")
    assert good.status_code == 200 and good.json()["active"] is True, good.text
    undeploy(server.paths, "uploaded", "production")


def test_a_stored_artifact_the_state_does_not_record_is_replaced_by_the_upload(server: Server, trained: Any,
                                                                               tmp_path: Path) -> None:
    fingerprint = "c9" * 10
    leftover = server.paths.models / fingerprint  # e.g. an earlier server's failed upload
    shutil.copytree(_artifact_copy(trained, tmp_path / "left", fingerprint), leftover)
    (leftover / "model" / "config.cfg").write_text("not a config [[[")
    good = _put(server, _tar_dir(_artifact_copy(trained, tmp_path / "good", fingerprint)), fingerprint=fingerprint,
                project="uploaded")
    assert good.status_code == 200 and good.json()["active"] is True, good.text
    assert "[[[" not in (leftover / "model" / "config.cfg").read_text()
    undeploy(server.paths, "uploaded", "production")
