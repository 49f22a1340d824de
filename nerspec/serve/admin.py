"""Admin upload and removal: a remote ``nerspec apply`` (http deployment target) pushes a model artifact and activates it.

``PUT /admin/projects/{project}/deployments/{deployment}?fingerprint=FP&sha256=HEX`` with the artifact
directory as a gzip tarball in the body and ``Authorization: Bearer <token>``. The server checks the token
(constant time), streams the body to a temporary file while hashing it, refuses a digest mismatch, unpacks
into ``<state>/models/<fingerprint>/`` through a staged directory (so the directory appears complete or not at
all), loads it, and records it in the server's own state (the truth the registry serves; the pointer file is
its cache); the registry picks the new model up before the response.

``GET`` answers what the server's state records for the deployment; ``DELETE`` of the same path forgets it, so
the server stops serving it (a removed ``http`` deployment must not live on).

Archive members must be plain files or directories with relative names that stay inside the target:
absolute names, ``..`` components, symbolic and hard links, devices and FIFOs make the whole upload fail.
Members are written by this module, not by ``tarfile.extract``, so no tar feature (ownership, modes, links)
ever reaches the filesystem.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import io
import json
import re
import shutil
import tarfile
import tempfile
import threading
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, TypedDict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from nerspec import atomic
from nerspec.deploy import local
from nerspec.errors import DeployError, ModelNotFoundError
from nerspec.model_meta import read_model_meta
from nerspec.serve.errors import ApiError
from nerspec.serve.registry import read_meta

if TYPE_CHECKING:
    from nerspec.paths import StatePaths
    from nerspec.serve.state import ServeState

NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,49}$")
FINGERPRINT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{7,127}$")
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_UPLOAD_BYTES = 2 * 1024**3
MAX_UNPACKED_BYTES = 8 * 1024**3
MAX_MEMBERS = 100_000
# Model weights hardly compress (about 1.1x); a stream inflating far beyond its size is a bomb, not a model.
MAX_COMPRESSION_RATIO = 50
MIN_UNPACKED_BUDGET = 64 * 1024**2


def _check_token(state: ServeState, request: Request) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header or scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Unauthorized", "Admin endpoints need 'Authorization: Bearer <token>'.",
                       headers={"WWW-Authenticate": "Bearer"})
    if state.admin_token is None:
        raise ApiError(403, "Forbidden", f"Admin uploads are disabled on this server ({state.admin_token_env} is unset).")
    if not hmac.compare_digest(token.strip().encode(), state.admin_token.encode()):
        raise ApiError(403, "Forbidden", "The admin token is not valid for this server.")


class RecordedPointer(TypedDict):
    """What the admin API answers for a deployment: the state's record of it."""

    project: str
    deployment: str
    fingerprint: str
    deployed_at: str


def _check_names(project: str, deployment: str) -> None:
    for what, value in (("project", project), ("deployment", deployment)):
        if not NAME.match(value):
            raise ApiError(400, "InvalidArgument",
                           f"{what} name must be 1-50 letters, digits, '_', '.' or '-', not starting with '.' or '-'.")


def _existing_pointer(state: ServeState, request: Request, project: str, deployment: str) -> RecordedPointer:
    """An admin call on one deployment: token and names checked, then what the server's state records, or 404."""
    _check_token(state, request)
    _check_names(project, deployment)
    found = _recorded(state.paths, project, deployment)
    if found is None:
        raise ApiError(404, "NotFound", f"no deployment '{deployment}' in project '{project}'")
    return found


def _recorded(paths: StatePaths, project: str, deployment: str) -> RecordedPointer | None:
    from nerspec.deploy.targets import has_state
    from nerspec.state import open_store

    if not has_state(paths):
        return None
    store = open_store(paths, create=False, fresh_ok=True)
    try:
        record = store.deployments(project).get(deployment)
    finally:
        store.close()
    if record is None:
        return None
    return {"project": project, "deployment": deployment, "fingerprint": record.fingerprint,
            "deployed_at": record.deployed_at}


def _forget(paths: StatePaths, project: str, deployment: str) -> None:
    from nerspec.state import open_store

    store = open_store(paths, create=False, fresh_ok=True)
    try:
        store.remove_deployment(project, deployment, actor="admin", reason="removed through the admin API")
    finally:
        store.close()
    local.remove(paths, project, deployment)  # this server's cache of it


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path of an archive member, or None when the name could escape the target directory."""
    if not name or "\x00" in name or "\\" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or any(part == ".." for part in path.parts):
        return None
    parts = [part for part in path.parts if part not in ("", ".")]
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def unpack(archive: IO[bytes], target: Path) -> None:
    """Unpack a gzip tarball into the (empty, staged) directory ``target``; raises DeployError on any bad member."""
    root = target.resolve()
    total = 0
    archive.seek(0, 2)
    compressed = archive.tell()
    archive.seek(0)
    budget = min(MAX_UNPACKED_BYTES, max(MIN_UNPACKED_BUDGET, MAX_COMPRESSION_RATIO * compressed))
    try:
        # Inflated here and read as a stream ("r|") through a counter: the bound holds for what gzip actually produces, whatever
        # the tar headers claim, so a bomb is refused after `budget` bytes instead of filling the disk.
        inflated = _Budget(gzip.GzipFile(fileobj=archive, mode="rb"), budget, compressed)
        with tarfile.open(fileobj=inflated, mode="r|") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise DeployError(f"archive has more than {MAX_MEMBERS} members")
                relative = safe_member_path(member.name)
                if relative is None:
                    raise DeployError(f"archive member {member.name!r} escapes the target directory")
                if not (member.isreg() or member.isdir()):
                    kind = "link" if (member.issym() or member.islnk()) else "special file"
                    raise DeployError(f"archive member {member.name!r} is a {kind}; only files and directories")
                destination = (root / relative).resolve()
                if destination != root and root not in destination.parents:
                    raise DeployError(f"archive member {member.name!r} escapes the target directory")
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                total += member.size
                if total > MAX_UNPACKED_BYTES:
                    raise DeployError(f"archive unpacks to more than {MAX_UNPACKED_BYTES} bytes")
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    raise DeployError(f"archive member {member.name!r} cannot be read")
                with source, open(destination, "xb") as out:  # "x": a duplicate member is refused, not merged
                    shutil.copyfileobj(source, out, 1024 * 1024)
    except _TooLarge as exc:
        raise DeployError(str(exc)) from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise DeployError(f"archive is not a readable tar.gz: {exc}") from exc


class _TooLarge(Exception):
    pass


class _Budget(io.RawIOBase):
    """A decompressed stream that counts what it yields and stops past ``budget`` bytes."""

    def __init__(self, inflated: io.BufferedIOBase, budget: int, compressed: int) -> None:
        self.inflated, self.budget, self.compressed = inflated, budget, compressed
        self.done = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.inflated.read(size if size is not None and size >= 0 else 1024 * 1024)
        self.done += len(data)
        if self.done > self.budget:
            raise _TooLarge(
                f"archive's uncompressed size exceeds {self.budget} bytes (more than "
                f"{self.done // max(self.compressed, 1)}x its {self.compressed} compressed bytes): "
                f"refused as a possible gzip bomb"
            )
        return data


_INSTALLING = threading.Lock()  # one upload installs at a time: a leftover is replaced, never under another's load


def install(state: ServeState, project: str, deployment: str, fingerprint: str, archive: IO[bytes],
            ) -> dict[str, object]:
    """Blocking: unpack (unless this fingerprint is stored and recorded), switch the pointer, load the model."""
    with _INSTALLING:
        final = local.artifact_dir(state.paths, fingerprint)
        unpacked = not (local.is_complete(final) and _model_recorded(state.paths, fingerprint))
        if unpacked:
            _unpack_into(final, fingerprint, archive)
        try:
            return _activate(state, project, deployment, fingerprint, final)
        except DeployError:
            if unpacked:  # what cannot be served must not stay to be trusted by the corrected upload
                shutil.rmtree(final, ignore_errors=True)
            raise


def _model_recorded(paths: StatePaths, fingerprint: str) -> bool:
    """The state records this model (its files hashed when stored); a directory it does not record is a leftover
    of a failed or interrupted upload, replaced by the next upload rather than served."""
    from nerspec.deploy.verify import open_state

    store = open_state(paths)
    if store is None:
        return False
    try:
        return store.get_model(fingerprint) is not None
    finally:
        store.close()


def _unpack_into(final: Path, fingerprint: str, archive: IO[bytes]) -> None:
    if final.exists():  # a leftover: replace it rather than trust it
        shutil.rmtree(final)
    with atomic.staged_dir(final) as staged:
        unpack(archive, staged)
        if not local.is_complete(staged):
            raise DeployError("archive lacks meta.json or model/ at its top level")
        try:  # strict: a meta.json the loader would refuse is refused before it takes the fingerprint's place
            claimed = read_model_meta(staged).fingerprint
        except ModelNotFoundError as exc:
            raise DeployError(f"the uploaded archive's {exc}") from None
        if claimed and claimed != fingerprint:
            raise DeployError(f"meta.json says fingerprint {claimed}, the upload says {fingerprint}")
        from nerspec.state.crashpoints import pause  # test-only crash point

        pause("upload-unpacked")


def _activate(state: ServeState, project: str, deployment: str, fingerprint: str, final: Path) -> dict[str, object]:
    """Load the stored model, then record and point the deployment at it (the answer of an upload)."""
    paths = state.paths
    previous = _recorded(paths, project, deployment)
    # Load, then switch, then answer: a model this server cannot load (or whose files do not match what was
    # recorded for its fingerprint) never becomes the deployment, and the pointer is left as it was.
    candidate = {"project": project, "deployment": deployment, "fingerprint": fingerprint, "model_dir": str(final)}
    with state.registry.switching():  # the watcher never sees the pointer without its state record
        try:
            state.registry.preload(project, deployment, candidate)
        except DeployError:
            raise
        except Exception as exc:
            was = previous["fingerprint"] if previous else None
            raise DeployError(f"the server cannot load model {fingerprint}: {exc}; "
                              f"{project}/{deployment} still serves {was or 'nothing'}") from None
        pause_before_switch()
        _record_upload(paths, project, deployment, fingerprint, final)  # the truth first, then its cache
        local.point(paths, project, deployment, fingerprint)
    state.registry.scan()
    try:
        active = state.registry.get(project, deployment).fingerprint == fingerprint
    except Exception:
        active = False
    return {"project": project, "deployment": deployment, "fingerprint": fingerprint,
            "previous": previous["fingerprint"] if previous else None, "active": active,
            "failure": state.registry.failures().get(f"{project}/{deployment}")}


def pause_before_switch() -> None:
    from nerspec.state.crashpoints import pause  # test-only crash point

    pause("upload-switch")


def _record_upload(paths: StatePaths, project: str, deployment: str, fingerprint: str, artifact: Path) -> None:
    """The server's own state: the uploaded model with its file hashes (checked at every later load)."""
    from nerspec.deploy.targets import UploadTarget
    from nerspec.safeio import sha256_file
    from nerspec.state import ModelRecord, open_store
    from nerspec.state.store import DeploymentRecord, utc_now

    meta = read_meta(artifact)
    files = {p.relative_to(artifact).as_posix(): sha256_file(p) for p in sorted(artifact.rglob("*")) if p.is_file()}
    files.pop("evaluation.json", None)
    store = open_store(paths, fresh_ok=True)
    try:
        if store.get_model(fingerprint) is None:
            store.record_model(ModelRecord(
                project=project, fingerprint=fingerprint, created=meta.created or utc_now(),
                data_fingerprint=meta.data_fingerprint or "", model_dir=str(artifact),
                versions=dict(meta.versions), artifact_files=files,
            ))
        store.set_deployment(DeploymentRecord(project, deployment, fingerprint, {"type": UploadTarget.type}, utc_now()),
                             action="deploy", actor="admin upload", reason="uploaded to this server")
    finally:
        store.close()


async def _spool(request: Request, spool: IO[bytes], sha256: str) -> None:
    """Write the request body into ``spool`` (bounded), check its sha256, and rewind it."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise ApiError(413, "InvalidArgument", f"Upload is larger than {MAX_UPLOAD_BYTES} bytes.")
        digest.update(chunk)
        spool.write(chunk)
    if not hmac.compare_digest(digest.hexdigest(), sha256.lower()):
        raise ApiError(400, "InvalidArgument", "sha256 of the body does not match the sha256 parameter.",
                       "DigestMismatch")
    spool.seek(0)


def _token_guard(state: ServeState) -> Callable[[Request], Awaitable[None]]:
    """A dependency: the token is checked before the parameters, so a caller without it learns nothing but 401."""

    async def admin_token(request: Request) -> None:
        _check_token(state, request)

    return admin_token


def router(state: ServeState) -> APIRouter:
    api = APIRouter(tags=["admin"])

    @api.put(
        "/admin/projects/{project}/deployments/{deployment}",
        summary="Upload a model artifact (tar.gz) and activate it for a deployment",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/gzip": {"schema": {"type": "string", "format": "binary"}}}}},
        responses={400: {"description": "Bad names, digest mismatch or hostile archive"},
                   401: {"description": "No bearer token"}, 403: {"description": "Wrong bearer token"}},
        dependencies=[Depends(_token_guard(state))],
    )
    async def upload(
        request: Request,
        project: str,
        deployment: str,
        fingerprint: str = Query(..., description="Model fingerprint: the artifact directory's name"),
        sha256: str = Query(..., description="Hex SHA-256 of the request body"),
    ) -> JSONResponse:
        _check_names(project, deployment)
        if not FINGERPRINT.match(fingerprint):
            raise ApiError(400, "InvalidArgument", "fingerprint must be 8-128 letters, digits, '_' or '-'.")
        if not SHA256.match(sha256):
            raise ApiError(400, "InvalidArgument", "sha256 must be 64 hex digits.")
        state.paths.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=state.paths.root, prefix=".upload-") as spool:
            await _spool(request, spool, sha256)
            loop = asyncio.get_running_loop()
            try:
                # The default executor, not the inference pool: an upload must not wait behind predictions.
                result = await loop.run_in_executor(None, install, state, project, deployment, fingerprint, spool)
            except DeployError as exc:
                raise ApiError(400, "InvalidArgument", str(exc), "InvalidArchive") from exc
        return JSONResponse(result)

    @api.get(
        "/admin/projects/{project}/deployments/{deployment}",
        summary="The pointer of a deployment (the fingerprint it serves)",
        responses={401: {"description": "No bearer token"}, 403: {"description": "Wrong bearer token"},
                   404: {"description": "No such deployment"}},
    )
    async def pointer(request: Request, project: str, deployment: str) -> JSONResponse:
        found = _existing_pointer(state, request, project, deployment)
        return JSONResponse(json.loads(json.dumps(found)))

    @api.delete(
        "/admin/projects/{project}/deployments/{deployment}",
        summary="Stop serving a deployment (its model files stay; `nerspec gc` reclaims them)",
        responses={401: {"description": "No bearer token"}, 403: {"description": "Wrong bearer token"},
                   404: {"description": "No such deployment"}},
    )
    async def remove(request: Request, project: str, deployment: str) -> JSONResponse:
        found = _existing_pointer(state, request, project, deployment)
        await asyncio.get_running_loop().run_in_executor(None, _forget, state.paths, project, deployment)
        await asyncio.get_running_loop().run_in_executor(None, state.registry.scan)  # gone when this returns
        return JSONResponse({"project": project, "deployment": deployment, "removed": found["fingerprint"]})

    return api
