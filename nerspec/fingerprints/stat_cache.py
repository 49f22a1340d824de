"""sha256 of files remembered with their (size, mtime_ns, inode, ctime_ns), in ``<state>/cache/``.

An unchanged stat means an unchanged file, so a no-op plan over 100,000 documents stats files and hashes nothing.
The cache is only an accelerator: deleting it changes no fingerprint.

A source's cached entry is a handful of objects (names joined in one string per directory, all stats in one
``array('q')`` blob, hashes in one string), so loading it costs milliseconds; the per-file hash table lives in a
second file read only on a miss, and artifact hashes in a cache of their own (``scope``), so checking a deployed
model never loads the data's 100,000 entries.
Correctness: ctime_ns changes on every in-place write (even one that restores mtime), the inode on a replace, and a
file changed less than ``RACY_NS`` before it was cached is never trusted (git's "racy" rule for same-second edits).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypedDict, cast

from nerspec import atomic
from nerspec.fingerprints.sealed import StatKey, read_sealed, seal
from nerspec.safeio import sha256_file

# 6: a source's entry names its project directory (stat'ed without the manifest); 7: sealed (digest header)
CACHE_VERSION = 7
# marshal, not JSON: loading 100,000 entries must take milliseconds. Its format is tied to the Python version;
# ``sealed`` checks a digest before unmarshalling, so a damaged file is a cold cache, never a crash.
STAT_CACHE_NAME = f"stat-cache.py{sys.version_info.major}{sys.version_info.minor}.marshal"
RACY_NS = 2_000_000_000
# A source's fast-path entry: (index file stat or None, grouped listing, stats blob, project dir + os.sep, digest).
SourceEntry = tuple[StatKey | None, list[tuple[str, str]], bytes, str, str]
HashEntry = list[int | str]  # [size, mtime_ns, inode, ctime_ns, sha256]
ListingEntry = list[list[int] | list[str]]  # [index file stat, the files it references]


class CacheFile(TypedDict, total=False):
    """What the two cache files hold (the main file ``sources``; the ``.hashes`` file the rest)."""

    version: int
    sources: dict[str, SourceEntry]
    hashes: dict[str, HashEntry]
    listings: dict[str, ListingEntry]
    source_hashes: dict[str, str]


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def cache_file(cache_dir: Path, scope: str = "data") -> Path:
    name = STAT_CACHE_NAME if scope == "data" else STAT_CACHE_NAME.replace("stat-cache", f"stat-cache-{scope}")
    return cache_dir / name


class StatCache:
    """(size, mtime_ns, inode, ctime_ns) -> sha256 per absolute path, cached file listings of index files, and per data
    source the stats and hashes of all its files in listing order (the no-op fast path: stat, compare, done).

    Stored as one file written atomically; concurrent writers lose at most some entries (rebuildable).
    """

    def __init__(self, cache_dir: Path | None, scope: str = "data") -> None:
        self.path = cache_file(cache_dir, scope) if cache_dir is not None else None
        # Per-file hashes live in a second file, read only when some source missed the fast path.
        self.hashes_path = self.path.with_suffix(".hashes") if self.path is not None else None
        self._hashes_loaded = self.hashes_path is None
        self._hashes: dict[str, HashEntry] = {}
        self._listings: dict[str, ListingEntry] = {}
        self._source_hashes: dict[str, str] = {}
        self.sources: dict[str, SourceEntry] = {}
        self._dirty = False
        # The stat of the cache file as read.
        self.file_stat: StatKey | None = None
        if self.path is not None:
            raw, self.file_stat = load_with_stat(self.path)
            self.sources = raw.get("sources", {})

    def _load_hashes(self) -> None:
        """The per-file hashes and index listings: only a source that missed the fast path needs them."""
        if not self._hashes_loaded:
            assert self.hashes_path is not None
            raw = load(self.hashes_path)
            self._hashes = {**raw.get("hashes", {}), **self._hashes}
            self._listings = {**raw.get("listings", {}), **self._listings}
            self._source_hashes = {**raw.get("source_hashes", {}), **self._source_hashes}
            self._hashes_loaded = True

    def set_source(self, key: str, entry: SourceEntry, hashes: str) -> None:
        """A source's fast-path entry; its files' hashes (joined) go to the lazily read file."""
        self._load_hashes()
        self.sources[key] = entry
        self._source_hashes[key] = hashes
        self._dirty = True

    def source_hashes(self, key: str) -> str | None:
        self._load_hashes()
        found = self._source_hashes.get(key)
        return found if type(found) is str else None

    def hash(self, path: Path, st: os.stat_result | None = None) -> str:
        return self.hash_str(str(path), st)

    def hash_str(self, key: str, st: os.stat_result | None = None) -> str:
        self._load_hashes()
        st = st if st is not None else os.stat(key)
        stat = stat_key(st)
        entry = self._hashes.get(key)
        if type(entry) is list and len(entry) == 5 and tuple(entry[:4]) == stat and type(entry[4]) is str:
            return entry[4]
        digest = sha256_file(key)
        # A file modified just before it was hashed could change again within the mtime granularity and
        # keep its stat; such "racy" entries are not cached (the rule git uses for its index).
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_NS:
            self._hashes[key] = [*stat, digest]
            self._dirty = True
        return digest

    def listing(self, index_file: Path, compute: Callable[[], Iterable[str]]) -> list[str]:
        """``compute()`` (absolute paths of files an index file references), cached by the index file's stat."""
        self._load_hashes()
        key = str(index_file)
        stat = list(stat_key(os.stat(index_file)))
        entry = self._listings.get(key)
        if type(entry) is list and len(entry) == 2 and entry[0] == stat and type(entry[1]) is list \
                and all(type(f) is str for f in entry[1]):
            return list(cast("list[str]", entry[1]))
        files = [str(p) for p in compute()]
        self._listings[key] = [stat, files]
        self._dirty = True
        return files

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        if self._hashes_loaded and self.hashes_path is not None:
            extra = {"version": CACHE_VERSION, "hashes": self._hashes, "listings": self._listings,
                     "source_hashes": self._source_hashes}
            atomic.write_bytes(self.hashes_path, seal(extra))
        atomic.write_bytes(self.path, seal({"version": CACHE_VERSION, "sources": self.sources}))
        self._dirty = False


def load(path: Path) -> CacheFile:
    return load_with_stat(path)[0]


def load_with_stat(path: Path) -> tuple[CacheFile, StatKey | None]:
    """The cache file's content and the stat of the very file read (it is only ever replaced, by a rename).
    Missing, damaged, foreign or of another layout: empty (a cold start; it is only a cache)."""
    raw, st = read_sealed(path)
    if not (isinstance(raw, dict) and raw.get("version") == CACHE_VERSION and _well_formed(raw)):
        return {}, None
    return cast(CacheFile, raw), st  # the layout ``save`` writes (its version and shapes checked)


def _well_formed(raw: dict[object, object]) -> bool:
    """The containers a reader indexes without checking; per-file entries are checked where they are used (100,000
    of them: checking them all here would cost what the cache saves)."""
    parts = ("sources", "hashes", "listings", "source_hashes")
    if not all(isinstance(raw.get(part, {}), dict) for part in parts):
        return False
    return all(_source_entry(entry) for entry in cast("dict[str, object]", raw.get("sources", {})).values())


def _source_entry(entry: object) -> bool:
    """The shape of a ``SourceEntry``, which ``data.source_fingerprint`` unpacks as is."""
    if not (type(entry) is tuple and len(entry) == 5):
        return False
    index_stat, groups, blob, prefix, digest = entry
    return ((index_stat is None or (type(index_stat) is tuple and len(index_stat) == 4
                                    and all(type(n) is int for n in index_stat)))
            and type(groups) is list and all(type(g) is tuple and len(g) == 2 and type(g[0]) is str
                                             and type(g[1]) is str for g in groups)
            and type(blob) is bytes and type(prefix) is str and type(digest) is str)
