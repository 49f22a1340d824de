"""Artifacts in an S3-compatible object store (boto3): ``s3://bucket/prefix``.

Layout, content-addressed by fingerprint: ``<prefix>/<fingerprint>/files/<relpath>`` for every file of the
artifact, then ``<prefix>/<fingerprint>/manifest.json`` = ``{"fingerprint", "files": {relpath: {"sha256",
"size", "etag"}}}``, uploaded last: a model exists only when its manifest does, so a killed upload leaves no
visible model (its stray files are overwritten by the next upload of the same fingerprint).

Readers verify: ``fetch`` downloads into the local cache (``<state>/models/<fingerprint>/`` through a staged
directory) and checks every file's sha256 against the hashes the state recorded; ``intact`` (plan's drift check)
compares the manifest with the recorded hashes and each object's ETag with the one recorded at upload, so a file
changed in the bucket is drift without downloading anything. The endpoint comes from ``AWS_ENDPOINT_URL``,
credentials and region from the standard AWS variables (or any boto3 credential source).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict, TypeVar, cast

from nerspec import atomic, progress
from nerspec.artifacts import layout
from nerspec.artifacts.stores.base import StoredModel
from nerspec.errors import ModelNotFoundError, RemoteError
from nerspec.model_meta import parse_model_meta
from nerspec.safeio import sha256_file

if TYPE_CHECKING:
    from datetime import datetime

    from botocore.client import BaseClient

    from nerspec.fingerprints.stat_cache import StatCache

T = TypeVar("T")


class StoredFile(TypedDict):
    sha256: str
    size: int
    etag: str


class ListedObject(TypedDict):
    """One entry of ``list_objects_v2``'s ``Contents`` (the fields nerspec reads)."""

    Key: str
    LastModified: datetime
    Size: NotRequired[int]


class StoredManifest(TypedDict, total=False):
    """The manifest object beside a model's files: what was uploaded, with each file's hash and ETag."""

    fingerprint: str
    files: dict[str, StoredFile]
    corrupt: bool  # not written: the reader's mark for a manifest that is not JSON

# A stalled endpoint must not hold the project lock in silence: each attempt gives up after these, and the retry
# policy ("standard": exponential backoff with jitter) tries MAX_ATTEMPTS times in all, saying so each time.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 20
MAX_ATTEMPTS = 4

MANIFEST_KEY = "manifest.json"
# ``<prefix>/<fingerprint>/gc-removing``: written by `nerspec gc` before it deletes the manifest, deleted after the
# last file; one left behind marks a removal a killed gc did not finish (the next gc does).
REMOVING_KEY = "gc-removing"


class S3ArtifactStore:
    remote = True

    def __init__(self, url: str, cache_root: Path) -> None:
        from nerspec.redact import has_credentials, redact_url

        if has_credentials(url):  # `s3://KEY:SECRET@bucket` would be a bucket named after the key, and printed
            raise RemoteError(f"{redact_url(url)}: credentials in the URL; keys come from the environment "
                              "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the AWS configuration")
        rest = url.split("://", 1)[1]
        self.bucket, _, prefix = rest.partition("/")
        if not self.bucket:
            raise RemoteError(f"{url}: no bucket name (s3://bucket/prefix)")
        self.prefix = prefix.strip("/")
        self.url = url.rstrip("/")
        self.cache_root = Path(cache_root)
        self._client: BaseClient | None = None

    # -- plumbing ------------------------------------------------------------------------------------
    @property
    def client(self) -> BaseClient:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                            connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S)
            client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None, config=config)
            client.meta.events.register_first("needs-retry.s3", self._retrying(progress.current()))
            self._client = client
        return self._client

    def _retrying(self, reporter: progress.Reporter) -> Callable[..., None]:
        """A botocore hook that says why a request is retried (a stalled endpoint used to block in silence while
        the project lock was held). It only watches: returning None leaves the decision to the retry policy."""

        def hook(attempts: int = 0, caught_exception: BaseException | None = None, response: object = None,
                 **_: object) -> None:
            parsed = response[1] if isinstance(response, tuple) and len(response) > 1 else None
            metadata = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
            status = metadata.get("HTTPStatusCode", 0) if isinstance(metadata, dict) else 0
            if caught_exception is None and status < 500:
                return None
            reason = type(caught_exception).__name__ if caught_exception is not None else f"HTTP {status}"
            if attempts < MAX_ATTEMPTS:
                progress.announce(f"{self.url}: no answer ({reason}) on attempt {attempts} of {MAX_ATTEMPTS}; "
                                  "retrying with backoff", reporter)
            return None

        return hook

    def _key(self, fingerprint: str, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, fingerprint, *parts) if p)

    def _call(self, what: str, function: Callable[..., T], **kwargs: object) -> T | None:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return function(**kwargs)
        except Boto3Error as exc:  # upload_file / download_file wrap the client's errors
            raise RemoteError(f"{what} in {self.url}: {exc}") from None
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise RemoteError(f"{what} in {self.url}: {code}: {exc}") from None
        except BotoCoreError as exc:
            raise RemoteError(f"{what} in {self.url}: {exc}") from None

    def location(self, fingerprint: str) -> str:
        return f"{self.url}/{fingerprint}"

    # -- reading -------------------------------------------------------------------------------------
    def manifest(self, fingerprint: str) -> StoredManifest | None:
        found = self._call("reading the manifest", self.client.get_object, Bucket=self.bucket,
                           Key=self._key(fingerprint, MANIFEST_KEY))
        if found is None:
            return None
        try:
            value = json.loads(found["Body"].read())
        except ValueError:
            return {"files": {}, "corrupt": True}
        return cast(StoredManifest, value) if isinstance(value, dict) else {"files": {}, "corrupt": True}

    def exists(self, fingerprint: str) -> bool:
        return self._call("looking up a model", self.client.head_object, Bucket=self.bucket,
                          Key=self._key(fingerprint, MANIFEST_KEY)) is not None

    def _etags(self, fingerprint: str) -> dict[str, str]:
        prefix = self._key(fingerprint, "files") + "/"
        out: dict[str, str] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in self._call("listing a model", lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix))) or []:
            for item in page.get("Contents", []):
                out[item["Key"][len(prefix):]] = item["ETag"]
        return out

    def intact(self, fingerprint: str, recorded: dict[str, str], cache: StatCache | None) -> bool:
        manifest = self.manifest(fingerprint)
        if manifest is None or manifest.get("corrupt"):
            return False
        files = manifest.get("files", {})
        if recorded and {rel: f.get("sha256") for rel, f in files.items()} != recorded:
            return False
        etags = self._etags(fingerprint)
        return all(etags.get(rel) == f.get("etag") for rel, f in files.items())

    def verify(self, fingerprint: str, recorded: dict[str, str]) -> list[str]:
        """The recorded files that are missing from the store or whose bytes do not hash to the recorded sha256."""
        if not self.exists(fingerprint):
            return ["manifest.json"]
        bad = []
        for rel, sha in sorted(recorded.items()):
            found = self._call("verifying", self.client.get_object, Bucket=self.bucket,
                               Key=self._key(fingerprint, "files", rel))
            digest = hashlib.sha256()
            if found is not None:
                for chunk in iter(functools.partial(found["Body"].read, 1 << 20), b""):
                    digest.update(chunk)
            if found is None or digest.hexdigest() != sha:
                bad.append(rel)
        return bad

    def read_file(self, fingerprint: str, rel: str) -> bytes | None:
        found = self._call("reading a file", self.client.get_object, Bucket=self.bucket,
                           Key=self._key(fingerprint, "files", rel))
        return found["Body"].read() if found is not None else None

    def list_fingerprints(self) -> list[str]:
        prefix = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        pages = self._call("listing models", lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix,
                                                                              Delimiter="/")))
        found = [p["Prefix"][len(prefix):].strip("/") for page in pages or [] for p in page.get("CommonPrefixes", [])]
        return sorted(fp for fp in found if self.exists(fp))

    # -- writing -------------------------------------------------------------------------------------
    def publish(self, fingerprint: str, local: Path, files: dict[str, str]) -> None:
        """Upload every recorded file, then the manifest (last: the model becomes visible in one PUT)."""
        from nerspec.state.crashpoints import pause

        # A killed gc may have been removing this very model: its mark must not outlive the new upload.
        self._call("clearing a removal mark", self.client.delete_object, Bucket=self.bucket,
                   Key=self._key(fingerprint, REMOVING_KEY))
        existing = self.manifest(fingerprint)
        if existing and {rel: f.get("sha256") for rel, f in existing.get("files", {}).items()} == files \
                and self.intact(fingerprint, files, None):
            return  # content-addressed and already complete: idempotent
        entries: dict[str, StoredFile] = {}
        for rel in sorted(files, key=lambda r: (r == layout.META, r)):
            path = Path(local) / rel
            key = self._key(fingerprint, "files", rel)
            self._call("uploading", self.client.upload_file, Filename=str(path), Bucket=self.bucket, Key=key)
            head = self._call("checking an upload", self.client.head_object, Bucket=self.bucket, Key=key)
            if head is None:
                raise RemoteError(f"uploaded {key} to {self.url} but it is not there")
            entries[rel] = {"sha256": files[rel], "size": path.stat().st_size, "etag": head["ETag"]}
        pause("upload")  # test-only crash point: files uploaded, manifest not yet
        body = json.dumps({"fingerprint": fingerprint, "files": entries}, indent=1, sort_keys=True).encode()
        self._call("writing the manifest", self.client.put_object, Bucket=self.bucket,
                   Key=self._key(fingerprint, MANIFEST_KEY), Body=body, ContentType="application/json")

    def fetch(self, fingerprint: str, recorded: dict[str, str], cache: StatCache | None) -> Path:
        """The model in the local cache, downloaded and verified when it is missing or does not match."""
        dest = self.cache_root / fingerprint
        manifest = None
        expected = recorded
        if not expected:
            manifest = self.manifest(fingerprint)
            if manifest is None:
                raise ModelNotFoundError(f"model {fingerprint[:12]} is not in {self.url}")
            expected = {rel: f["sha256"] for rel, f in manifest.get("files", {}).items()}
        if layout.is_complete(dest) and _matches(dest, expected, cache):
            return dest
        manifest = manifest or self.manifest(fingerprint)
        if manifest is None:
            raise ModelNotFoundError(f"model {fingerprint[:12]} is not in {self.url} (no manifest)")
        if dest.exists():  # a damaged local copy: keep it aside for inspection, fetch a fresh one
            dest.rename(dest.with_name(f".{fingerprint}.damaged-{int(time.time())}"))
        with atomic.staged_dir(dest) as staged:
            for rel in sorted(expected, key=lambda r: (r == layout.META, r)):  # meta.json last
                target = staged / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                self._call("downloading", self.client.download_file, Bucket=self.bucket,
                           Key=self._key(fingerprint, "files", rel), Filename=str(target))
                if not target.is_file() or sha256_file(target) != expected[rel]:
                    raise ModelNotFoundError(
                        f"the files of model {fingerprint[:12]} in {self.url} do not match the recorded hashes "
                        f"({rel}); they were changed in the bucket: not using them")
        return dest

    # -- nerspec gc ------------------------------------------------------------------------------------
    def _objects(self, fingerprint: str = "") -> list[ListedObject]:
        prefix = self._key(fingerprint) + "/" if fingerprint else (f"{self.prefix}/" if self.prefix else "")
        paginator = self.client.get_paginator("list_objects_v2")
        pages = self._call("listing models", lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix)))
        return [item for page in pages or [] for item in page.get("Contents", [])]

    def _fingerprint_of(self, key: str) -> str:
        rest = key[len(self.prefix) + 1:] if self.prefix else key
        return rest.split("/", 1)[0]

    def stored(self) -> list[str]:
        """Models with objects in the bucket (complete or not) and copies in the local cache."""
        found = {self._fingerprint_of(item["Key"]) for item in self._objects()
                 if not item["Key"].endswith("/" + REMOVING_KEY)}
        if self.cache_root.is_dir():
            found.update(p.name for p in self.cache_root.iterdir() if not p.name.startswith(".") and p.is_dir())
        return sorted(fp for fp in found if fp)

    def describe(self, fingerprint: str) -> StoredModel:
        from nerspec.artifacts.stores.local import LocalArtifactStore

        objects = self._objects(fingerprint)
        if not objects:  # only in the local cache
            return LocalArtifactStore(self.cache_root).describe(fingerprint)
        newest = max(item["LastModified"].timestamp() for item in objects)
        meta = self.read_file(fingerprint, layout.META)
        try:
            project = parse_model_meta(meta, layout.META, strict=False).project if meta is not None else None
        except ModelNotFoundError:  # a corrupt meta.json: the model is listed without its project
            project = None
        return StoredModel(fingerprint, sum(int(item.get("Size", 0)) for item in objects), time.time() - newest,
                           project)

    def mark_removal(self, fingerprint: str, project: str | None) -> None:
        self._call("marking a removal", self.client.put_object, Bucket=self.bucket,
                   Key=self._key(fingerprint, REMOVING_KEY), Body=json.dumps({"project": project}).encode())

    def remove(self, fingerprint: str, project: str | None) -> None:
        """Mark, delete the manifest (the model is gone for every reader in one request), delete the files,
        unmark; then the local cached copy."""
        from nerspec.state.crashpoints import pause

        self._call("marking a removal", self.client.put_object, Bucket=self.bucket,
                   Key=self._key(fingerprint, REMOVING_KEY), Body=json.dumps({"project": project}).encode())
        self._call("removing a manifest", self.client.delete_object, Bucket=self.bucket,
                   Key=self._key(fingerprint, MANIFEST_KEY))
        pause("gc")
        self.finish_removal(fingerprint)

    def interrupted_removals(self) -> dict[str, str | None]:
        from nerspec.artifacts.stores.local import tombstones

        out: dict[str, str | None] = {fp: None for fp in tombstones(self.cache_root)}
        for item in self._objects():
            if item["Key"].endswith("/" + REMOVING_KEY):
                fingerprint = self._fingerprint_of(item["Key"])
                found = self._call("reading a removal mark", self.client.get_object, Bucket=self.bucket,
                                   Key=item["Key"])
                try:
                    project = json.loads(found["Body"].read()).get("project") if found is not None else None
                except (ValueError, AttributeError):
                    project = None
                out[fingerprint] = project if isinstance(project, str) else None
        return out

    def finish_removal(self, fingerprint: str) -> None:
        """Delete every object of a model whose manifest is gone, the removal mark last; then the local copy."""
        from nerspec.artifacts.stores.local import LocalArtifactStore, remove_tree

        mark = self._key(fingerprint, REMOVING_KEY)
        keys = [item["Key"] for item in self._objects(fingerprint) if item["Key"] != mark]
        keys.sort(key=lambda key: key.endswith("/" + MANIFEST_KEY), reverse=True)  # a stray manifest first
        for start in range(0, len(keys), 1000):  # DeleteObjects takes up to 1,000 keys
            batch = [{"Key": key} for key in keys[start:start + 1000]]
            self._call("removing a model", self.client.delete_objects, Bucket=self.bucket,
                       Delete={"Objects": batch, "Quiet": True})
        self._call("clearing a removal mark", self.client.delete_object, Bucket=self.bucket, Key=mark)
        remove_tree(self.cache_root / fingerprint, crashpoint=False)
        LocalArtifactStore(self.cache_root).finish_removal(fingerprint)


def _matches(dest: Path, expected: dict[str, str], cache: StatCache | None) -> bool:
    for rel, sha in expected.items():
        path = dest / rel
        try:
            actual = cache.hash(path) if cache is not None else sha256_file(path)
        except FileNotFoundError:
            return False
        if actual != sha:
            return False
    return True


__all__ = ["S3ArtifactStore"]
