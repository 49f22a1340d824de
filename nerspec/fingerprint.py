"""Fingerprints of data and models, cheap enough to run on every ``plan``.

A file's sha256 is remembered with its (size, mtime_ns, inode) in a stat cache under ``<state>/cache/``;
an unchanged stat means an unchanged file, so a no-op plan over 100,000 documents stats files and hashes
nothing. The cache is only an accelerator: deleting it changes no fingerprint.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec import __version__, atomic

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.manifest.load import LoadedProject

CACHE_VERSION = 1
STAT_CACHE_NAME = "stat-cache.json"
# Module names under ``nerspec.corpus.formats`` where they differ from the manifest's format name.
FORMAT_MODULES = {"spacy": "docbin"}

RACY_NS = 2_000_000_000
StatKey = tuple[int, int, int]


@dataclass(frozen=True)
class DataFingerprint:
    sha256: str
    files: dict[str, str] = field(default_factory=dict)  # path relative to the project dir (posix) -> sha256

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "files": dict(self.files)}


def _stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class StatCache:
    """(size, mtime_ns, inode) -> sha256 per absolute path, plus cached file listings of index files.

    Stored as one JSON file written atomically; concurrent writers lose at most some entries (rebuildable).
    """

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / STAT_CACHE_NAME if cache_dir is not None else None
        self._hashes: dict[str, list[Any]] = {}
        self._listings: dict[str, list[Any]] = {}
        self._dirty = False
        if self.path is not None:
            self._read()

    def _read(self) -> None:
        assert self.path is not None
        try:
            raw = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return  # missing or corrupt: start cold, it is only a cache
        if not isinstance(raw, dict) or raw.get("version") != CACHE_VERSION:
            return
        self._hashes = raw.get("hashes", {})
        self._listings = raw.get("listings", {})

    def hash(self, path: Path, st: os.stat_result | None = None) -> str:
        key = str(path)
        st = st if st is not None else os.stat(path)
        stat = _stat_key(st)
        entry = self._hashes.get(key)
        if entry is not None and entry[0] == stat[0] and entry[1] == stat[1] and entry[2] == stat[2]:
            return entry[3]
        digest = sha256_file(path)
        # A file modified just before it was hashed could change again within the mtime granularity and
        # keep its stat; such "racy" entries are not cached (the rule git uses for its index).
        if time.time_ns() - st.st_mtime_ns > RACY_NS:
            self._hashes[key] = [*stat, digest]
            self._dirty = True
        return digest

    def listing(self, index_file: Path, compute: Any) -> list[str]:
        """``compute()`` (absolute paths of files an index file references), cached by the index file's stat."""
        key = str(index_file)
        stat = list(_stat_key(os.stat(index_file)))
        entry = self._listings.get(key)
        if entry is not None and entry[0] == stat:
            return entry[1]
        files = [str(p) for p in compute()]
        self._listings[key] = [stat, files]
        self._dirty = True
        return files

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        data = json.dumps(
            {"version": CACHE_VERSION, "hashes": self._hashes, "listings": self._listings}, separators=(",", ":")
        )
        atomic.write_text(self.path, data)
        self._dirty = False


def _format_module(fmt: str) -> Any | None:
    for name in (FORMAT_MODULES.get(fmt, fmt), fmt):
        try:
            module = importlib.import_module(f"nerspec.corpus.formats.{name}")
        except ImportError:
            continue
        if hasattr(module, "referenced_files"):
            return module
    return None


def _walk(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    out: list[Path] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(root) / f for f in files if not f.startswith("."))
    return sorted(out)


def source_files(fmt: str, path: Path, cache: StatCache) -> list[Path]:
    """Every file a data source reads. For an index file (azure labels JSON) the listing is cached by its stat."""
    module = _format_module(fmt)
    if module is None:
        return _walk(path)
    if path.is_file():
        # The labels JSON of 100,000 documents takes long to parse; its stat decides whether to re-read it.
        listed = cache.listing(path, lambda: module.referenced_files(path))
        return [Path(p) for p in listed]
    return [Path(p) for p in module.referenced_files(path)]


def data_fingerprint(project: LoadedProject, cache_dir: Path | None) -> DataFingerprint:
    """The sha256 over every data file of the project (relative path + content hash), via the stat cache."""
    cache = StatCache(cache_dir)
    project_dir = project.dir.resolve()
    files: dict[str, str] = {}
    for source in project.manifest.spec.data:
        if source.path is None:
            # A URL source is pinned by its sha256: the pin is the content.
            files[f"url:{source.name}"] = source.sha256 or ""
            continue
        root = (project_dir / source.path).resolve()
        if not root.exists():
            from nerspec.errors import DataError

            index = project.manifest.spec.data.index(source)
            raise DataError([project.locate(("spec", "data", index, "path"), "no such file or directory")])
        for file in source_files(source.format, root, cache):
            try:
                rel = file.resolve().relative_to(project_dir).as_posix()
            except ValueError:
                rel = file.as_posix()
            try:
                files[rel] = cache.hash(file)
            except FileNotFoundError:
                files[rel] = "missing"
    try:
        cache.save()
    except OSError:
        pass  # a read-only state dir only costs speed
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(f"{rel}\0{files[rel]}\n".encode())
    return DataFingerprint(sha256=digest.hexdigest(), files=files)


def versions() -> dict[str, str]:
    """nerspec, spaCy and Python versions, without importing spaCy (``plan`` must start fast)."""
    from importlib import metadata

    try:
        spacy_version = metadata.version("spacy")
    except metadata.PackageNotFoundError:
        spacy_version = "none"
    return {
        "nerspec": __version__,
        "spacy": spacy_version,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}",
    }


def training_inputs(project: LoadedProject) -> dict[str, Any]:
    """The manifest fields that change a trained model (and nothing else: descriptions, gates, deployments don't)."""
    manifest = project.manifest
    spec = manifest.spec
    inputs: dict[str, Any] = {
        "kind": manifest.kind,
        "language": manifest.metadata.language,
        "labels": [{"name": label.name, "renamed_from": label.renamed_from} for label in spec.labels],
        "split": spec.split.model_dump(mode="json"),
        "training": spec.training.model_dump(mode="json"),
        "multilabel": bool(getattr(spec, "multilabel", False)),
    }
    if spec.training.config is not None:
        # The expert config's content trains the model, not its path.
        config = project.dir / spec.training.config
        inputs["training_config_sha256"] = sha256_file(config) if config.is_file() else "missing"
    return inputs


def model_fingerprint(
    project: LoadedProject, data_fp: DataFingerprint | str, version_info: dict[str, str] | None = None
) -> str:
    data_sha = data_fp.sha256 if isinstance(data_fp, DataFingerprint) else data_fp
    payload = {
        "inputs": training_inputs(project),
        "data": data_sha,
        "versions": version_info if version_info is not None else versions(),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def document_hash(text: str, spans: Iterable[Any], labels: Iterable[str]) -> str:
    annotations = sorted((s.start, s.end, s.label) for s in spans)
    payload = json.dumps([text, annotations, sorted(labels)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def document_hashes(corpus: Corpus) -> dict[str, str]:
    """doc id -> sha256(text + labels): plan's added / removed / relabeled counts compare these."""
    return {doc.id: document_hash(doc.text, doc.spans, doc.labels) for doc in corpus.documents}


def text_hashes(corpus: Corpus) -> dict[str, str]:
    """doc id -> sha256(text): tells a relabeled document (same text) from a rewritten one."""
    return {doc.id: hashlib.sha256(doc.text.encode("utf-8")).hexdigest() for doc in corpus.documents}


def diff_documents(old: dict[str, str], new: dict[str, str]) -> dict[str, int]:
    """Counts of added, removed and changed documents between two ``document_hashes`` maps."""
    added = sum(1 for k in new if k not in old)
    removed = sum(1 for k in old if k not in new)
    relabeled = sum(1 for k, v in new.items() if k in old and old[k] != v)
    return {"added": added, "removed": removed, "relabeled": relabeled}
