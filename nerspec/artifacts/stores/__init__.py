"""Artifact stores behind one protocol (``base.ArtifactStore``), chosen by the URL scheme: one table."""

from __future__ import annotations

from typing import Any

from nerspec.errors import StateError

# scheme -> "module:class"; a directory (no scheme) is the local store.
SCHEMES = {"s3": "nerspec.artifacts.stores.s3:S3ArtifactStore"}


def open_artifact_store(paths: Any) -> Any:
    import importlib

    from nerspec.artifacts.stores.local import LocalArtifactStore

    url = paths.artifacts_url
    if not url or "://" not in url:
        return LocalArtifactStore(paths.models)
    scheme = url.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        raise StateError(f"unsupported artifact store {url!r}: use a directory or one of {', '.join(s + '://' for s in SCHEMES)}")
    module, _, name = SCHEMES[scheme].partition(":")
    return getattr(importlib.import_module(module), name)(url, cache_root=paths.models)
