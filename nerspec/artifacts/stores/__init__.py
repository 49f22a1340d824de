"""Artifact stores behind one protocol (``base.ArtifactStore``), chosen by the URL scheme: one table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.errors import StateError

if TYPE_CHECKING:
    from nerspec.artifacts.stores.base import ArtifactStore
    from nerspec.paths import StatePaths


def _s3(url: str, cache_root: Path) -> ArtifactStore:
    from nerspec.artifacts.stores.s3 import S3ArtifactStore  # boto3 only when the store is S3

    return S3ArtifactStore(url, cache_root=cache_root)


# URL scheme -> the store at that URL, with its local cache (verified copies) under ``cache_root``; a directory
# (no scheme) is the local store.
SCHEMES: dict[str, Callable[[str, Path], ArtifactStore]] = {"s3": _s3}


def open_artifact_store(paths: StatePaths) -> ArtifactStore:
    from nerspec.artifacts.stores.local import LocalArtifactStore

    url = paths.artifacts_url
    if not url or "://" not in url:
        return LocalArtifactStore(paths.models)
    scheme = url.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        raise StateError(f"unsupported artifact store {url!r}: use a directory or one of {', '.join(s + '://' for s in SCHEMES)}")
    return SCHEMES[scheme](url, paths.models)
