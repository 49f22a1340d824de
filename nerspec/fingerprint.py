"""Fingerprints of data and models, cheap enough to run on every ``plan``.

A file's sha256 is remembered with its (size, mtime_ns, inode, ctime_ns) in a stat cache under ``<state>/cache/``;
an unchanged stat means an unchanged file, so a no-op plan over 100,000 documents stats files and hashes
nothing. The cache is only an accelerator: deleting it changes no fingerprint.

Speed of the no-op path (bench/plan_noop.py): a source's cached entry is a handful of objects (names joined in one
string per directory, all stats in one ``array('q')`` blob, hashes in one string), so loading it costs
milliseconds; files are stat'ed relative to an open directory (``dir_fd``), in threads for big sources (``stat``
releases the GIL); the per-file hash table lives in a second file read only on a miss, and artifact hashes in a
cache of their own (``scope``), so checking a deployed model never loads the data's 100,000 entries.
Correctness: ctime_ns changes on every in-place write (even one that restores mtime), the inode on a replace, and a
file changed less than ``RACY_NS`` before it was cached is never trusted (git's "racy" rule for same-second edits).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec import __version__, atomic
from nerspec.corpus import split as split_module
from nerspec.corpus.digest import CONTENT_VERSION

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.manifest.load import LoadedProject

CACHE_VERSION = 5
# Bump when the spaCy configs nerspec generates by default (nerspec/train/kinds.py, config.py) change: the
# generated config is not hashed itself because that would import spaCy on every `plan`.
TRAINING_RECIPE = 5  # 3: artifacts carry a confidence calibration; 4: schedule scaled to the data, normalised bag-of-n-grams textcat, NER levers; 5: NER confidence from action scores, cross-fitted calibration without a dev carve, multi-label batches
# marshal, not JSON: loading 100,000 entries must take milliseconds. Its format is tied to the Python version.
STAT_CACHE_NAME = f"stat-cache.py{sys.version_info.major}{sys.version_info.minor}.marshal"
# Module names under ``nerspec.corpus.formats`` where they differ from the manifest's format name.
FORMAT_MODULES = {"spacy": "docbin"}

RACY_NS = 2_000_000_000
StatKey = tuple[int, int, int, int]
THREADED_STATS = 20_000  # files; below this, threads cost more than they save
STAT_THREADS = max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True)
class DataFingerprint:
    # What training sees: documents (id, text, labels, language) and their train/test assignment
    # (``nerspec.corpus.digest``), not file bytes.
    sha256: str
    # path relative to the project dir (posix) -> sha256; a callable builds it on first use (a no-op plan only
    # needs the digests, and building 100,000 entries is a good part of its time). ``files_sha256`` covers it.
    files_source: Any = field(default_factory=dict, repr=False, compare=False)
    dev: str = ""  # digest of the dev carve (ids early stopping scores on)
    files_sha256: str = ""  # digest of the files' bytes (the content digest's cache key)

    @property
    def files(self) -> dict[str, str]:
        if callable(self.files_source):
            object.__setattr__(self, "files_source", self.files_source())
        return self.files_source

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "files": dict(self.files), "dev": self.dev, "files_sha256": self.files_sha256}


def _stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def sha256_file(path: Path) -> str:
    """Of a regular file only: a FIFO or ``/dev/zero`` raises ``safeio.NotRegularFile`` instead of hanging."""
    from nerspec.safeio import iter_blocks

    digest = hashlib.sha256()
    for block in iter_blocks(path):
        digest.update(block)
    return digest.hexdigest()


class StatCache:
    """(size, mtime_ns, inode, ctime_ns) -> sha256 per absolute path, cached file listings of index files, and per data
    source the stats and hashes of all its files in listing order (the no-op fast path: stat, compare, done).

    Stored as one file written atomically; concurrent writers lose at most some entries (rebuildable).
    """

    def __init__(self, cache_dir: Path | None, scope: str = "data") -> None:
        name = STAT_CACHE_NAME if scope == "data" else STAT_CACHE_NAME.replace("stat-cache", f"stat-cache-{scope}")
        self.path = cache_dir / name if cache_dir is not None else None
        # Per-file hashes live in a second file, read only when some source missed the fast path.
        self.hashes_path = self.path.with_suffix(".hashes") if self.path is not None else None
        self._hashes_loaded = self.hashes_path is None
        self._hashes: dict[str, list[Any]] = {}
        self._listings: dict[str, list[Any]] = {}
        self._source_hashes: dict[str, str] = {}
        self.sources: dict[str, tuple[Any, ...]] = {}
        self._dirty = False
        if self.path is not None:
            self.sources = _load(self.path).get("sources", {})

    def _load_hashes(self) -> None:
        """The per-file hashes and index listings: only a source that missed the fast path needs them."""
        if not self._hashes_loaded:
            assert self.hashes_path is not None
            raw = _load(self.hashes_path)
            self._hashes = {**raw.get("hashes", {}), **self._hashes}
            self._listings = {**raw.get("listings", {}), **self._listings}
            self._source_hashes = {**raw.get("source_hashes", {}), **self._source_hashes}
            self._hashes_loaded = True

    def set_source(self, key: str, entry: tuple[Any, ...], hashes: str) -> None:
        """A source's fast-path entry; its files' hashes (joined) go to the lazily read file."""
        self._load_hashes()
        self.sources[key] = entry
        self._source_hashes[key] = hashes
        self._dirty = True

    def source_hashes(self, key: str) -> str | None:
        self._load_hashes()
        return self._source_hashes.get(key)

    def hash(self, path: Path, st: os.stat_result | None = None) -> str:
        return self.hash_str(str(path), st)

    def hash_str(self, key: str, st: os.stat_result | None = None) -> str:
        self._load_hashes()
        path = key
        st = st if st is not None else os.stat(key)
        stat = _stat_key(st)
        entry = self._hashes.get(key)
        if entry is not None and tuple(entry[:4]) == stat:
            return entry[4]
        digest = sha256_file(Path(path))
        # A file modified just before it was hashed could change again within the mtime granularity and
        # keep its stat; such "racy" entries are not cached (the rule git uses for its index).
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_NS:
            self._hashes[key] = [*stat, digest]
            self._dirty = True
        return digest

    def listing(self, index_file: Path, compute: Any) -> list[str]:
        """``compute()`` (absolute paths of files an index file references), cached by the index file's stat."""
        self._load_hashes()
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
        import marshal

        if self._hashes_loaded and self.hashes_path is not None:
            extra = {"version": CACHE_VERSION, "hashes": self._hashes, "listings": self._listings,
                     "source_hashes": self._source_hashes}
            atomic.write_bytes(self.hashes_path, marshal.dumps(extra))
        data = marshal.dumps({"version": CACHE_VERSION, "sources": self.sources})
        atomic.write_bytes(self.path, data)
        self._dirty = False


def _load(path: Path) -> dict[str, Any]:
    import marshal

    try:
        raw = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}  # missing or corrupt: start cold, it is only a cache
    return raw if isinstance(raw, dict) and raw.get("version") == CACHE_VERSION else {}


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


def source_files(fmt: str, path: Path, cache: StatCache) -> list[str]:
    """Every file a data source reads, as normalised absolute path strings (pathlib costs seconds at 100,000
    files). For an index file (azure labels JSON) the listing is cached by the index file's stat."""
    module = _format_module(fmt)
    if module is None:
        return [os.path.normpath(p) for p in map(str, _walk(path))]
    if path.is_file():
        # The labels JSON of 100,000 documents takes long to parse; its stat decides whether to re-read it.
        return cache.listing(path, lambda: [os.path.normpath(str(p)) for p in module.referenced_files(path)])
    return [os.path.normpath(str(p)) for p in module.referenced_files(path)]


def _stats(files: list[str]) -> list[StatKey | None]:
    out: list[StatKey | None] = []
    stat = os.stat
    for f in files:
        try:
            st = stat(f)
        except FileNotFoundError:
            out.append(None)
            continue
        out.append((st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
    return out


def _group(rels: list[str]) -> list[tuple[str, str]]:
    """Runs of files in one directory as (directory, NUL-joined names), in listing order (the cached form)."""
    groups: list[tuple[str, str]] = []
    current, names = "", []  # type: str, list[str]
    for rel in rels:
        directory, _, name = rel.rpartition("/")
        if directory != current and names:
            groups.append((current, "\0".join(names)))
            names = []
        current = directory
        names.append(name)
    if names:
        groups.append((current, "\0".join(names)))
    return groups


def _stat_segments(segments: list[tuple[str, list[str]]], out: list[Any], slot: int) -> None:
    values = array("q")
    extend, stat = values.extend, os.stat
    try:
        for directory, names in segments:
            fd = os.open(directory or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                for name in names:  # relative to the open directory: no path walk from / per file
                    st = stat(name, dir_fd=fd)
                    extend((st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
            finally:
                os.close(fd)
    except OSError:  # a file or directory vanished: not the cached listing any more
        out[slot] = None
        return
    out[slot] = values.tobytes()


def _stat_blob(prefix: str, groups: list[tuple[str, str]]) -> bytes | None:
    """The stats of every file of a cached listing as one ``array('q')`` blob; None when one is missing."""
    listing = [(prefix + directory, names.split("\0")) for directory, names in groups]
    total = sum(len(names) for _, names in listing)
    parts = STAT_THREADS if total >= THREADED_STATS else 1
    size = -(-total // parts)
    chunks: list[list[tuple[str, list[str]]]] = [[] for _ in range(parts)]
    index, filled = 0, 0
    for directory, names in listing:
        start = 0
        while start < len(names):  # fill chunk after chunk with up to ``size`` names, in listing order
            if filled == size and index < parts - 1:
                index, filled = index + 1, 0
            piece = names[start : start + max(1, size - filled)]
            chunks[index].append((directory, piece))
            filled += len(piece)
            start += len(piece)
    out: list[Any] = [None] * parts
    if parts == 1:
        _stat_segments(chunks[0], out, 0)
    else:
        import threading

        threads = [threading.Thread(target=_stat_segments, args=(chunk, out, i)) for i, chunk in enumerate(chunks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if any(values is None for values in out):
        return None
    return b"".join(out)


def _source_fingerprint(fmt: str, root: Path, prefix: str, cache: StatCache) -> tuple[Any, str]:
    """((relative paths, sha256s) or a callable returning them, digest) of one source's files.

    Fast path (a no-op plan): the index file's stat and every file's stat equal the cached ones; then nothing
    is parsed or hashed and no per-file dictionary is touched.
    """
    key = f"{fmt}:{root}"
    entry = cache.sources.get(key)
    index_stat = _stat_key(os.stat(root)) if root.is_file() else None
    if entry is not None and index_stat is not None and tuple(entry[0]) == index_stat:
        if _stat_blob(prefix, entry[1]) == entry[2]:
            return (lambda: _cached_listing(entry, cache.source_hashes(key), prefix)), entry[4]
    listed = source_files(fmt, root, cache)
    if entry is not None and index_stat is None and all(f.startswith(prefix) for f in listed):
        # A directory source: the walk is the listing; unchanged names and stats mean unchanged files.
        if _group([f[len(prefix):] for f in listed]) == entry[1] and _stat_blob(prefix, entry[1]) == entry[2]:
            return (lambda: _cached_listing(entry, cache.source_hashes(key), prefix)), entry[4]
    stats = _stats(listed)
    rels: list[str] = []
    shas: list[str] = []
    cacheable = True
    now = time.time_ns()
    for file, st in zip(listed, stats):
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
        blob = array("q", [v for st in stats for v in st]).tobytes()  # type: ignore[union-attr]
        cache.set_source(key, (index_stat, _group(rels), blob, None, hexdigest), "\n".join(shas))
    return (rels, shas), hexdigest


def _cached_listing(entry: tuple[Any, ...], hashes: str | None, prefix: str) -> tuple[list[str], list[str]]:
    rels = [f"{directory}/{name}" if directory else name
            for directory, names in entry[1] for name in names.split("\0")]
    shas = hashes.split("\n") if hashes is not None else []
    if len(shas) != len(rels):  # the hashes file was lost: rebuild from the files (slow, but right)
        shas = [sha256_file(Path(prefix + rel)) if os.path.exists(prefix + rel) else "missing" for rel in rels]
    return rels, shas


def data_fingerprint(project: LoadedProject, cache_dir: Path | None, cache: StatCache | None = None) -> DataFingerprint:
    """The content digest of the project's documents and split (``nerspec.corpus.digest``), cached by the
    sha256 over every data source's files (relative paths and hashes), which the stat cache keeps cheap."""
    own_cache = cache is None
    cache = cache if cache is not None else StatCache(cache_dir)
    project_dir = str(project.dir.resolve())
    prefix = project_dir + os.sep
    parts: list[Any] = []  # per source: (rels, shas) or a callable returning them
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
            listing, source_digest = _source_fingerprint(source.format, root, prefix, cache)
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


def versions() -> dict[str, str]:
    """nerspec, spaCy and Python versions, without importing spaCy (``plan`` must start fast)."""
    spacy_version = _dist_info_version("spacy")
    if spacy_version is None:  # an egg, a zip or an unusual layout: ask importlib.metadata (slower to import)
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


def _dist_info_version(name: str) -> str | None:
    """The version in the first ``<name>-<version>.dist-info`` along ``sys.path`` (importlib.metadata's order)."""
    prefix, suffix = f"{name}-", ".dist-info"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for found in names:
            if found.startswith(prefix) and found.endswith(suffix):
                version = found[len(prefix) : -len(suffix)]
                if "-" not in version:  # not ``spacy-legacy-...``
                    return version
    return None


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
        "split_version": split_module.effective_version(spec.split.policy, spec.split.version),
        "dev_carve_version": split_module.DEV_CARVE_VERSION,
        "content_version": CONTENT_VERSION,
    }
    if spec.training.base is not None:
        from nerspec.train.base import installed_version

        # Upgrading the base package changes the starting weights: the model must retrain.
        inputs["base_version"] = installed_version(spec.training.base) or "missing"
    if spec.training.pretrain is not None:
        from nerspec.train.pretrain import raw_text_digest

        # The raw text pretrained on shapes the starting weights.
        inputs["pretrain_data"] = raw_text_digest(project)
    if spec.training.config is not None:
        # The expert config's content trains the model, not its path.
        config = project.dir / spec.training.config
        inputs["training_config_sha256"] = sha256_file(config) if config.is_file() else "missing"
    return inputs


def model_fingerprint(
    project: LoadedProject, data_fp: DataFingerprint | str, version_info: dict[str, str] | None = None
) -> str:
    data_sha = data_fp.sha256 if isinstance(data_fp, DataFingerprint) else data_fp
    inputs = training_inputs(project)
    # The split and dev-carve versions are shown by plan; what they decide (the assignment) is hashed instead,
    # inside the data digest and ``dev``: a version bump retrains only projects whose assignment changed.
    for key in ("split_version", "dev_carve_version"):
        inputs.pop(key, None)
    payload = {
        "inputs": inputs,
        "data": data_sha,
        "dev": data_fp.dev if isinstance(data_fp, DataFingerprint) else "",
        "training_recipe": TRAINING_RECIPE,
        "versions": version_info if version_info is not None else versions(),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def document_hash(
    text: str, spans: Iterable[Any], labels: Iterable[str], rename: dict[str, str] | None = None,
    language: str | None = None,
) -> str:
    names = rename or {}
    annotations = sorted((s.start, s.end, names.get(s.label, s.label)) for s in spans)
    classes = sorted(names.get(label, label) for label in labels)
    # A document's own language counts like a label (only when set: older hashes stay comparable).
    fields: list[Any] = [text, annotations, classes, *([language] if language else [])]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def document_hashes(corpus: Corpus, rename: dict[str, str] | None = None) -> dict[str, str]:
    """doc id -> sha256(text + labels): plan's added / removed / relabeled counts compare these.

    ``rename`` maps a label's current name to the name the compared-against hashes were made with (the inverse
    of the manifest's ``renamed_from``): a rename alone then changes no document, so only real edits count.
    """
    return {doc.id: document_hash(doc.text, doc.spans, doc.labels, rename, doc.language) for doc in corpus.documents}


def previous_names(label: dict[str, Any]) -> list[str]:
    """A recorded label's ``renamed_from`` as a list (a string before merges existed, a list for a merge)."""
    value = label.get("renamed_from")
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def rename_map(old_labels: list[dict[str, Any]], new_labels: list[dict[str, Any]]) -> dict[str, str]:
    """current name -> previous name for labels renamed (``renamed_from``) since the model trained on ``old_labels``.

    Only one-to-one renames: a merged type's instances came from several previous names, so they cannot be
    hashed back under one of them (documents carrying it count as relabeled when the data was edited too)."""
    old_names = {label["name"] for label in old_labels}
    out: dict[str, str] = {}
    for label in new_labels:
        sources = [n for n in previous_names(label) if n in old_names]
        if len(sources) == 1 and label["name"] not in old_names:
            out[label["name"]] = sources[0]
    return out


def text_hashes(corpus: Corpus) -> dict[str, str]:
    """doc id -> sha256(text): tells a relabeled document (same text) from a rewritten one."""
    return {doc.id: hashlib.sha256(doc.text.encode("utf-8")).hexdigest() for doc in corpus.documents}


def diff_documents(old: dict[str, str], new: dict[str, str]) -> dict[str, int]:
    """Counts of added, removed and changed documents between two ``document_hashes`` maps."""
    added = sum(1 for k in new if k not in old)
    removed = sum(1 for k in old if k not in new)
    relabeled = sum(1 for k, v in new.items() if k in old and old[k] != v)
    return {"added": added, "removed": removed, "relabeled": relabeled}
