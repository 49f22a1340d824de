"""One owner of model artifacts: where they are, whether they are complete, their file hashes and integrity.

An artifact ``<fingerprint>/`` holds ``model/`` (the spaCy pipeline), ``meta.json`` (written last: its presence
marks a complete artifact), ``manifest.json``, ``fingerprints.json``, ``metrics.json`` and, once scored,
``evaluation.json`` (not part of the recorded hashes: it is written after training). This module owns that
contract (names, completeness, reading, file hashes, integrity); ``train/artifact.py`` writes an artifact and
everything else reads it through here, and through the artifact store (``nerspec.artifacts.stores``) when
the models live in an object store shared by several machines.

A ``ModelRecord.model_dir`` is the artifact's location as recorded: a local directory, or the store's URL of the
model (``s3://bucket/prefix/<fingerprint>``); ``local_dir`` maps either to the directory on this machine.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.errors import ModelNotFoundError
from nerspec.model_meta import META, ModelMeta, read_model_meta
from nerspec.safeio import NotRegularFile, describe, read_bytes, read_text

if TYPE_CHECKING:
    from nerspec.fingerprints.stat_cache import StatCache
    from nerspec.json_types import JsonObject
    from nerspec.paths import StatePaths

PIPELINE_DIR = "model"
MANIFEST = "manifest.json"
FINGERPRINTS = "fingerprints.json"
METRICS = "metrics.json"


@dataclass(frozen=True)
class ModelArtifact:
    fingerprint: str
    path: Path
    meta: ModelMeta

    @property
    def pipeline_dir(self) -> Path:
        return self.path / PIPELINE_DIR

    @property
    def metrics(self) -> JsonObject:
        return json.loads(read_text(self.path / METRICS))


def is_complete(path: Path) -> bool:
    return (path / META).is_file() and (path / PIPELINE_DIR).is_dir()


def read_artifact(path: Path) -> ModelArtifact:
    path = Path(path)
    if not is_complete(path):
        raise ModelNotFoundError(f"{path} is not a nerspec model artifact (no {META} and {PIPELINE_DIR}/)")
    meta = read_model_meta(path)  # checks what a loader would trip over (``predict --model DIR`` takes any directory)
    odd = _not_regular(path / PIPELINE_DIR)
    if odd:
        raise ModelNotFoundError(f"{odd} (spaCy would wait on it forever or fail reading it)")
    return ModelArtifact(fingerprint=meta.fingerprint or path.name, path=path, meta=meta)


def _not_regular(pipeline: Path) -> str:
    """The first entry of the pipeline directory that is neither a directory nor a regular file (a FIFO, a device,
    a dangling link), described; "" when there is none. spaCy opens its files with a plain ``open``."""
    for root, dirs, files in os.walk(pipeline):
        for name in [*dirs, *files]:
            entry = Path(root) / name
            try:
                mode = entry.stat().st_mode
            except OSError as exc:
                return f"{entry}: {exc.strerror or exc}"
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                return str(NotRegularFile(entry, describe(mode)))
    return ""


EVALUATION = "evaluation.json"
# The training side's words (nerspec.vocabulary), for monitoring's unseen-word share; absent in older artifacts.
VOCABULARY = "vocabulary.json"
UNRECORDED = frozenset({EVALUATION})  # files written after the hashes were recorded

__all__ = [
    "EVALUATION", "FINGERPRINTS", "MANIFEST", "META", "METRICS", "PIPELINE_DIR", "VOCABULARY", "ModelArtifact",
    "ModelMeta", "file_hashes", "intact", "is_complete", "local_dir", "read_artifact", "read_json", "read_vocabulary",
]


def read_vocabulary(artifact: Path) -> frozenset[str] | None:
    """The artifact's training vocabulary, or None for a model trained before nerspec recorded one."""
    try:
        data = json.loads(read_text(Path(artifact) / VOCABULARY))
    except (OSError, ValueError):
        return None
    found = data.get("words") if isinstance(data, dict) else None
    return frozenset(str(w) for w in found) if isinstance(found, list) else None


def file_hashes(artifact: Path, cache: StatCache | None) -> dict[str, str]:
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
            out[rel] = _hash(path, cache)
    return out


def intact(artifact: Path, recorded: dict[str, str], cache: StatCache | None) -> bool:
    """The artifact still has its ``meta.json`` and every file with the hash recorded when it was stored."""
    if not (artifact / META).is_file():
        return False
    for rel, sha in recorded.items():
        try:
            if _hash(artifact / rel, cache) != sha:
                return False
        except OSError:  # missing, unreadable, or a FIFO in its place (refused, never read): not the recorded file
            return False
    return True


def _hash(path: Path, cache: StatCache | None) -> str:
    if cache is not None:
        return cache.hash(path)
    from nerspec.safeio import sha256_file

    return sha256_file(path)


def read_json(path: Path) -> JsonObject | None:
    try:
        value = json.loads(read_bytes(path))  # a FIFO is refused (NotRegularFile), never waited on
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def local_dir(paths: StatePaths, fingerprint: str, recorded_dir: str | None = None) -> Path:
    """The directory of a model on this machine (it may not exist yet: ``open_artifact_store(paths).fetch`` brings it)."""
    if recorded_dir and "://" not in recorded_dir:
        path = Path(recorded_dir)
        return path if path.is_absolute() else Path(paths.root) / path
    return Path(paths.models) / fingerprint
