"""Content digests: what training sees, not how the files spell it.

``content_digest(project, files_sha, cache_dir)`` returns two digests of a project's data:

- ``data``: the documents (id, text, labels, language) in id order, plus their train/test assignment. The
  file bytes, the order of documents, indentation and which of the project's sources holds a document do
  not count, so reformatting a labels file, reordering it or moving a document between two sources of one
  project change nothing.
- ``dev``: the early-stopping dev carve of the train side (a function of the training seed and dev fraction).

Labels are hashed as the files name them (before ``renamed_from``): a rename is a manifest change, hashed with
the manifest, not a data change. Computing the digests parses every local data source, so the result is
cached by ``files_sha`` (the stat-cached hashes of the files' bytes) and everything else the digest depends
on: a no-op ``plan`` parses nothing. URL sources are pinned by their sha256 and hashed by that pin.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.languages import base
from nerspec.safeio import read_bytes

if TYPE_CHECKING:
    from nerspec.corpus.model import Document
    from nerspec.json_types import JsonObject
    from nerspec.manifest.load import LoadedProject

# Bump when what the digest covers changes (a one-time retrain of every project; plan names it).
CONTENT_VERSION = 1
CACHE_NAME = "content-digests.json"
MAX_ENTRIES = 256


def document_digest(doc: Document, project_language: str = "") -> str:
    """One document as training sees it: text, sorted spans, sorted classes and its language where it differs
    from the project's (tokenizers follow the base language, so ``en-us`` and ``en`` train alike)."""
    spans = sorted((s.start, s.end, s.label) for s in doc.spans)
    payload: list[object] = [doc.id, doc.text, spans, sorted(doc.labels)]
    if doc.language and (not project_language or base(doc.language) != base(project_language)):
        payload.append(base(doc.language))
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def cache_key(project: LoadedProject, files_sha: str) -> str:
    from nerspec.corpus.split import DEV_CARVE_VERSION, effective_version

    spec = project.manifest.spec
    parts = [
        CONTENT_VERSION,
        files_sha,
        [source.model_dump(mode="json", exclude={"name"}) for source in spec.data],
        spec.split.model_dump(mode="json"),
        effective_version(spec.split.policy, spec.split.version),
        [spec.training.seed, spec.training.dev_fraction, DEV_CARVE_VERSION],
        sorted((project.recorded_split or {}).items()),  # stratified version 4's recorded sides (observed state)
    ]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def content_digest(project: LoadedProject, files_sha: str, cache_dir: Path | None) -> tuple[str, str]:
    """(data digest, dev digest); see the module docstring. Unreadable data falls back to the files' digest
    (such a project cannot train; validate and plan report why)."""
    key = cache_key(project, files_sha)
    cache = _read(cache_dir)
    hit = cache.get(key)
    if isinstance(hit, list) and len(hit) == 2:
        data, dev = hit
        if isinstance(data, str) and isinstance(dev, str):
            return data, dev
    from nerspec.errors import NerspecError

    try:
        result = compute(project)
    except NerspecError:
        return f"files:{files_sha}", ""
    cache[key] = [*result]
    _write(cache_dir, cache)
    return result


def compute(project: LoadedProject) -> tuple[str, str]:
    from nerspec.corpus.load import load_source
    from nerspec.corpus.split import dev_split, split_documents

    spec = project.manifest.spec
    documents: list[Document] = []
    pins: list[str] = []
    for index, source in enumerate(spec.data):
        if source.unlabeled:
            continue  # a pool never trains
        if source.path is None:
            pins.append(source.sha256 or "")
            continue
        for doc in load_source(project, index):
            if doc.status:
                continue  # drafts and unannotated records are set aside, never trained
            if source.dataset is not None:
                doc.dataset = source.dataset
            documents.append(doc)
    split = split_documents(documents, spec.split.policy, spec.split.test_fraction, spec.split.seed, spec.split.version,
                            project.recorded_split)
    test_ids = {d.id for d in split.test}
    _, dev = dev_split(split.train, spec.training.dev_fraction, spec.training.seed)
    data = hashlib.sha256()
    for pin in sorted(pins):
        data.update(f"url\0{pin}\n".encode())
    language = project.manifest.metadata.language
    for _doc_id, digest, side in sorted((d.id, document_digest(d, language), d.id in test_ids) for d in documents):
        data.update(f"{digest}\0{'test' if side else 'train'}\n".encode())
    dev_digest = hashlib.sha256("\n".join(sorted(d.id for d in dev)).encode("utf-8")).hexdigest()
    return data.hexdigest(), dev_digest


def _read(cache_dir: Path | None) -> JsonObject:
    if cache_dir is None:
        return {}
    try:
        raw = json.loads(read_bytes(cache_dir / CACHE_NAME))  # a FIFO is a cold cache, never a hang
    except (OSError, ValueError):
        return {}  # missing or corrupt: it is only a cache
    return raw if isinstance(raw, dict) else {}


def _write(cache_dir: Path | None, cache: JsonObject) -> None:
    # Plan is read-only: a state directory that does not exist yet is not created for a cache.
    if cache_dir is None or not cache_dir.parent.is_dir():
        return
    from nerspec import atomic

    # Insertion order is age: keep the newest entries (branches switched back and forth stay warm).
    entries = list(cache.items())[-MAX_ENTRIES:]
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        atomic.write_text(cache_dir / CACHE_NAME, json.dumps(dict(entries)))
    except OSError:
        pass  # a read-only state dir only costs speed
