"""The http deployment target: upload a model artifact to a remote ``nerspec serve`` and read what it serves.

Protocol (served by ``nerspec.serve.admin``): ``PUT {url}/admin/projects/{project}/deployments/{deployment}
?fingerprint=FP&sha256=HEX`` with the artifact directory as a gzip tarball body and ``Authorization: Bearer``
from ``os.environ[target.token_env]``; the server verifies the digest, unpacks, switches its pointer and loads
the model before answering. ``GET`` of the same path answers the pointer (``{"fingerprint", ...}``) or 404.

Connection failures, timeouts and 5xx answers are retried with exponential backoff (the upload is idempotent:
artifacts are content-addressed and the pointer switch is a replace); 401/403 and other 4xx are not retried.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

from nerspec.errors import DeployError, RemoteError

if TYPE_CHECKING:
    import httpx

    from nerspec.manifest.schema import HttpTarget

RETRIES = 4
BACKOFF_S = 0.5
CONNECT_TIMEOUT_S = 10.0
# Generous read timeout: the server unpacks and loads the model before it answers the upload.
UPLOAD_READ_TIMEOUT_S = 300.0
READ_TIMEOUT_S = 30.0
CHUNK = 1024 * 1024


def config_problems(target: HttpTarget) -> list[tuple[str, str]]:
    """(field, message) for what is wrong with the user's own configuration of this target, before any request:
    a URL without a host is a configuration error, not something to observe. (The token is a secret of the
    machine that deploys: ``secret_problems``.)"""
    from urllib.parse import urlsplit

    problems = []
    try:
        parts = urlsplit(target.url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected http(s)://HOST[:PORT][/PATH]")
    except ValueError as exc:
        problems.append(("url", f"malformed URL `{target.url}`: {exc}"))
    return problems


def secret_problems(target: HttpTarget) -> list[tuple[str, str]]:
    """(field, message) when this machine lacks the token: only commands that change the remote need it."""
    if os.environ.get(target.token_env, ""):
        return []
    return [("token_env", f"environment variable {target.token_env} is unset or empty; it must hold the bearer "
                          f"token of {target.url}")]


def _token(target: HttpTarget) -> str:
    token = os.environ.get(target.token_env, "")
    if not token:
        raise DeployError(f"http target {target.url}: environment variable {target.token_env} (token_env) is unset")
    return token


def _url(target: HttpTarget, project: str, deployment: str) -> str:
    return (f"{target.url.rstrip('/')}/admin/projects/{quote(project, safe='')}"
            f"/deployments/{quote(deployment, safe='')}")


def pack(artifact_dir: Path, out: IO[bytes]) -> str:
    """Write ``artifact_dir`` as a gzip tarball of plain files and directories to ``out``; returns its sha256."""
    artifact_dir = Path(artifact_dir)
    if not (artifact_dir / "meta.json").is_file() or not (artifact_dir / "model").is_dir():
        raise DeployError(f"{artifact_dir} is not a complete model artifact (meta.json and model/ expected)")

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if not (info.isreg() or info.isdir()):
            raise DeployError(f"artifact contains {info.name}, which is neither a file nor a directory")
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as tar:
        for path in sorted(artifact_dir.rglob("*")):
            if path.is_symlink():
                raise DeployError(f"artifact contains a symbolic link: {path}")
            tar.add(path, arcname=path.relative_to(artifact_dir).as_posix(), recursive=False, filter=clean)
    out.flush()
    out.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: out.read(CHUNK), b""):
        digest.update(chunk)
    out.seek(0)
    return digest.hexdigest()


def _with_retries(what: str, url: str, send: Callable[[], httpx.Response], retries: int) -> httpx.Response:
    import httpx

    delay = BACKOFF_S
    for attempt in range(retries + 1):
        try:
            response = send()
        except httpx.TransportError as exc:
            if attempt == retries:
                raise RemoteError(f"{what}: cannot reach {url}: {exc.__class__.__name__}: {exc}") from exc
        else:
            if response.status_code < 500 or attempt == retries:
                return response
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        inner = error.get("innererror") or {}
        return str(inner.get("message") or error.get("message") or response.text[:300])
    except ValueError:
        return response.text[:300]


def _refuse(what: str, target: HttpTarget, response: httpx.Response) -> None:
    status = response.status_code
    if status == 401:
        raise DeployError(f"{what}: {target.url} wants a bearer token; is {target.token_env} set on this side?")
    if status == 403:
        raise DeployError(f"{what}: {target.url} refused the token from {target.token_env} (HTTP 403): "
                          f"{_message(response)}")
    if status >= 400:
        raise DeployError(f"{what}: {target.url} answered HTTP {status}: {_message(response)}")


def upload(target: HttpTarget, project: str, deployment: str, artifact_dir: Path, fingerprint: str, *,
           retries: int = RETRIES) -> None:
    """Upload ``artifact_dir`` and make ``deployment`` serve it on the remote server. Raises DeployError."""
    import httpx

    token = _token(target)
    url = _url(target, project, deployment)
    what = f"upload of {project}/{deployment} ({fingerprint[:12]})"
    with tempfile.TemporaryFile(prefix="nerspec-upload-") as spool:
        sha256 = pack(Path(artifact_dir), spool)
        size = os.fstat(spool.fileno()).st_size

        def body() -> Iterator[bytes]:
            from nerspec import progress

            spool.seek(0)  # every retry sends the whole archive again
            with progress.task(f"upload {project}/{deployment} (bytes)", size) as bar:
                for chunk in iter(lambda: spool.read(CHUNK), b""):
                    yield chunk
                    bar.update(advance=len(chunk))

        timeout = httpx.Timeout(UPLOAD_READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        with httpx.Client(timeout=timeout) as client:
            response = _with_retries(what, url, lambda: client.put(
                url, params={"fingerprint": fingerprint, "sha256": sha256}, content=body(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/gzip",
                         "Content-Length": str(size)}), retries)
    _refuse(what, target, response)
    try:
        result = response.json()
    except ValueError as exc:
        raise DeployError(f"{what}: {target.url} answered something other than JSON") from exc
    if result.get("fingerprint") != fingerprint or not result.get("active", False):
        raise DeployError(f"{what}: the server stored the model but does not serve it: "
                          f"{result.get('failure') or 'unknown reason'}")


def _pointer_request(method: str, what: str, target: HttpTarget, project: str, deployment: str,
                     retries: int) -> httpx.Response | None:
    """``method`` on the remote pointer of ``deployment``, retried; None for 404 (the server has none), and a
    refused or failed answer raised as DeployError."""
    import httpx

    token = _token(target)
    url = _url(target, project, deployment)
    with httpx.Client(timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)) as client:
        response = _with_retries(
            what, url, lambda: client.request(method, url, headers={"Authorization": f"Bearer {token}"}), retries
        )
    if response.status_code == 404:
        return None
    _refuse(what, target, response)
    return response


def delete(target: HttpTarget, project: str, deployment: str, *, retries: int = RETRIES) -> None:
    """Stop ``deployment`` on the remote server (``DELETE``); a deployment it no longer has is fine."""
    what = f"removing {project}/{deployment} from {target.url}"
    _pointer_request("DELETE", what, target, project, deployment, retries)


def remote_fingerprint(target: HttpTarget, project: str, deployment: str, *, retries: int = 2) -> str | None:
    """The fingerprint ``deployment`` serves on the remote server; None when it serves none.

    Raises DeployError when the token is refused and RemoteError when the server cannot be reached, so that
    ``plan`` can tell "nothing deployed" from "unknown".
    """
    what = f"reading {project}/{deployment} from {target.url}"
    response = _pointer_request("GET", what, target, project, deployment, retries)
    if response is None:
        return None
    try:
        fingerprint = response.json().get("fingerprint")
    except ValueError as exc:
        raise RemoteError(f"{what}: the server answered something other than JSON") from exc
    return str(fingerprint) if fingerprint else None
