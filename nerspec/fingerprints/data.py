"""The data fingerprint: what training sees, cheap to recompute when nothing changed.

The sha256 over every data source's files (relative paths and hashes, kept cheap by the stat cache) keys the
content digest of the documents and their split (``nerspec.corpus.digest``). Fast path (a no-op plan): the index
file's stat and every file's stat equal the cached ones; then nothing is parsed or hashed and no per-file
dictionary is touched.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.fingerprints.stat_cache import RACY_NS, SourceEntry, StatCache, stat_key
from nerspec.fingerprints.stats import blob_of, group, stat_blob, stats
from nerspec.safeio import sha256_file

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject

# One source's files: (relative paths, sha256s), in listing order.
Listing = tuple[list[str], list[str]]


@dataclass(frozen=True)
class DataFingerprint:
    # What training sees: documents (id, text, labels, language) and their train/test assignment
    # (``nerspec.corpus.digest``), not file bytes.
    sha256: str
    # path relative to the project dir (posix) -> sha256; a callable builds it on first use (a no-op plan only
    # needs the digests, and building 100,000 entries is a good part of its time). ``files_sha256`` covers it.
    files_source: dict[str, str] | Callable[[], dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    dev: str = ""  # digest of the dev carve (ids early stopping scores on)
    files_sha256: str = ""  # digest of the files' bytes (the content digest's cache key)

    @property
    def files(self) -> dict[str, str]:
        source = self.files_source
        if callable(source):
            source = source()
            object.__setattr__(self, "files_source", source)
        return source

    def to_json(self) -> dict[str, str | dict[str, str]]:
        return {"sha256": self.sha256, "files": dict(self.files), "dev": self.dev, "files_sha256": self.files_sha256}


def _walk(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    out: list[Path] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(root) / f for f in files if not f.startswith("."))
    return sorted(out)


def source_files(fmt: str, path: Path, cache: StatCache) -> list[str]:
    """Every file a data source reads, as normalised absolute path strings (pathlib costs seconds at 100,000
    files). For an index file (azure labels JSON) the listing is cached by the index file's stat."""
    from nerspec.corpus.formats import referencing_module

    module = referencing_module(fmt)
    if module is None:
        return [os.path.normpath(p) for p in map(str, _walk(path))]
    if path.is_file():
        # The labels JSON of 100,000 documents takes long to parse; its stat decides whether to re-read it.
        return cache.listing(path, lambda: [os.path.normpath(str(p)) for p in module.referenced_files(path)])
    return [os.path.normpath(str(p)) for p in module.referenced_files(path)]


def _unchanged(cache: StatCache, key: str, prefix: str, entry: SourceEntry) -> bool:
    """Every file of the cached listing still has its cached stat."""
    return stat_blob(prefix, entry[1]) == entry[2]


def source_fingerprint(fmt: str, root: Path, prefix: str, cache: StatCache) -> tuple[Listing | Callable[[], Listing], str]:
    """((relative paths, sha256s) or a callable returning them, digest) of one source's files."""
    key = f"{fmt}:{root}"
    entry = cache.sources.get(key)
    index_stat = stat_key(os.stat(root)) if root.is_file() else None
    if entry is not None and index_stat is not None and entry[0] is not None and tuple(entry[0]) == index_stat:
        if _unchanged(cache, key, prefix, entry):
            return (lambda: _cached_listing(entry, cache.source_hashes(key), prefix)), entry[4]
    listed = source_files(fmt, root, cache)
    if entry is not None and index_stat is None and all(f.startswith(prefix) for f in listed):
        # A directory source: the walk is the listing; unchanged names and stats mean unchanged files.
        if group([f[len(prefix):] for f in listed]) == entry[1] and _unchanged(cache, key, prefix, entry):
            return (lambda: _cached_listing(entry, cache.source_hashes(key), prefix)), entry[4]
    found = stats(listed)
    rels: list[str] = []
    shas: list[str] = []
    cacheable = True
    now = time.time_ns()
    for file, st in zip(listed, found):
        # Data paths cannot leave the project (manifest rules), so a prefix cut gives the relative path.
        if not file.startswith(prefix):
            cacheable = False
        rel = file[len(prefix):] if file.startswith(prefix) else file
        rels.append(rel.replace(os.sep, "/") if os.sep != "/" else rel)
        if st is None:
            shas.append("missing")
            cacheable = False
            continue
        shas.append(cache.hash_str(file))
        cacheable = cacheable and now - max(st[1], st[3]) > RACY_NS
    digest = hashlib.sha256()
    for rel, sha in sorted(zip(rels, shas)):
        digest.update(f"{rel}\0{sha}\n".encode())
    hexdigest = digest.hexdigest()
    if cacheable and os.sep == "/":
        # The project directory rides along so that ``verdict`` can stat the files without the manifest.
        cache.set_source(key, (index_stat, group(rels), blob_of(found), prefix, hexdigest), "\n".join(shas))
    return (rels, shas), hexdigest


def _cached_listing(entry: SourceEntry, hashes: str | None, prefix: str) -> Listing:
    rels = [f"{directory}/{name}" if directory else name
            for directory, names in entry[1] for name in names.split("\0")]
    shas = hashes.split("\n") if hashes is not None else []
    if len(shas) != len(rels):  # the hashes file was lost: rebuild from the files (slow, but right)
        shas = [sha256_file(prefix + rel) if os.path.exists(prefix + rel) else "missing" for rel in rels]
    return rels, shas


def data_fingerprint(project: LoadedProject, cache_dir: Path | None, cache: StatCache | None = None) -> DataFingerprint:
    """The content digest of the project's documents and split (``nerspec.corpus.digest``), cached by the
    sha256 over every data source's files (relative paths and hashes), which the stat cache keeps cheap."""
    own_cache = cache is None
    cache = cache if cache is not None else StatCache(cache_dir)
    project_dir = str(project.dir.resolve())
    prefix = project_dir + os.sep
    parts: list[Listing | Callable[[], Listing]] = []  # per source: (rels, shas) or a callable returning them
    digest = hashlib.sha256()
    for index, source in enumerate(project.manifest.spec.data):
        if source.unlabeled:
            continue  # a pool never trains: adding raw text must not retrain (unless pretrain reads it)
        if source.path is None:
            # A URL source is pinned by its sha256: the pin is the content.
            parts.append(([f"url:{source.name}"], [source.sha256 or ""]))
            digest.update(f"{source.name}\0url\0{source.sha256}\n".encode())
            continue
        root = Path(project_dir) / source.path
        if not root.exists():
            from nerspec.errors import DataError

            raise DataError([project.locate(("spec", "data", index, "path"), "no such file or directory")])
        try:
            listing, source_digest = source_fingerprint(source.format, root, prefix, cache)
        except OSError as exc:  # a directory, FIFO or device where a file belongs; unreadable files
            from nerspec.errors import DataError
            from nerspec.manifest.load import display_path

            name = display_path(Path(exc.filename)) if exc.filename else source.path
            reason = str(exc.args[0]) if exc.strerror is None else exc.strerror.lower()
            raise DataError([project.locate(("spec", "data", index, "path"), f"`{name}` {reason}")]) from None
        parts.append(listing)
        # The encoding changes the text read from the same bytes (only hashed when set: old fingerprints hold).
        encoding = f"\0{source.encoding}" if source.encoding is not None else ""
        digest.update(f"{source.name}\0{source.format}\0{source_digest}{encoding}\n".encode())
    if own_cache:
        try:
            cache.save()
        except OSError:
            pass  # a read-only state dir only costs speed

    def files() -> dict[str, str]:
        out: dict[str, str] = {}
        for part in parts:
            rels, shas = part() if callable(part) else part
            out.update(zip(rels, shas))
        return out

    from nerspec.corpus.digest import content_digest

    files_sha = digest.hexdigest()
    data_sha, dev_sha = content_digest(project, files_sha, cache_dir)
    return DataFingerprint(sha256=data_sha, files_source=files, dev=dev_sha, files_sha256=files_sha)
