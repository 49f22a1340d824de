"""One owner of model artifacts: where they are, whether they are complete, their file hashes and integrity.

An artifact ``<fingerprint>/`` holds ``model/`` (the spaCy pipeline), ``meta.json`` (written last: its presence
marks a complete artifact), ``manifest.json``, ``fingerprints.json``, ``metrics.json`` and, once scored,
``evaluation.json`` (not part of the recorded hashes: it is written after training). ``train/artifact.py`` writes
one; everything else reads it through here, and through the artifact store (``nerspec.artifact_stores``) when
the models live in an object store shared by several machines.

A ``ModelRecord.model_dir`` is the artifact's location as recorded: a local directory, or the store's URL of the
model (``s3://bucket/prefix/<fingerprint>``); ``local_dir`` maps either to the directory on this machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nerspec.train.artifact import FINGERPRINTS, MANIFEST, META, METRICS, MODEL_DIR, is_complete, read_artifact

EVALUATION = "evaluation.json"
UNRECORDED = frozenset({EVALUATION})  # files written after the hashes were recorded

__all__ = [
    "EVALUATION", "FINGERPRINTS", "MANIFEST", "META", "METRICS", "MODEL_DIR", "file_hashes", "intact",
    "is_complete", "local_dir", "read_artifact", "read_json", "store_for",
]


def file_hashes(artifact: Path, cache: Any) -> dict[str, str]:
    """relpath -> sha256 of every file of an artifact except those written after training."""
    out: dict[str, str] = {}
    if not artifact.is_dir():
        return out
    for root, _dirs, files in os.walk(artifact):
        for name in files:
            path = Path(root) / name
            rel = path.relative_to(artifact).as_posix()
            if rel in UNRECORDED:
                continue
            out[rel] = cache.hash(path)
    return out


def intact(artifact: Path, recorded: dict[str, str], cache: Any) -> bool:
    """The artifact still has its ``meta.json`` and every file with the hash recorded when it was stored."""
    if not (artifact / META).is_file():
        return False
    for rel, sha in recorded.items():
        try:
            if cache.hash(artifact / rel) != sha:
                return False
        except FileNotFoundError:
            return False
    return True


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def local_dir(paths: Any, fingerprint: str, recorded_dir: str | None = None) -> Path:
    """The directory of a model on this machine (it may not exist yet: ``store_for(paths).fetch`` brings it)."""
    if recorded_dir and "://" not in recorded_dir:
        path = Path(recorded_dir)
        return path if path.is_absolute() else Path(paths.root) / path
    return Path(paths.models) / fingerprint


def store_for(paths: Any) -> Any:
    """The artifact store the state paths name (``nerspec.artifact_stores.open_artifact_store``)."""
    from nerspec.artifact_stores import open_artifact_store

    return open_artifact_store(paths)
