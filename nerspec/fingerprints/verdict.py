"""The no-op plan's verdict, cached: a repeated ``nerspec plan`` that found nothing to do answers from one file.

A no-op plan over 100,000 documents used to spend most of its time before the first ``stat``: importing click
and pydantic, validating the manifests, opening the state, observing and deciding. All of that is a pure function
of files: the manifests, the settings file, the state (database, pointers, models), the data files and the code.
So when a full plan finds no changes, ``plan`` stores what it printed together with *witnesses* of everything it
read, and the next plan with the same request (arguments, working directory, environment, terminal) prints the
stored text when every witness still holds, without importing click or pydantic.

Witnesses (``Witness``):
- every file the full plan opened and every directory it listed (collected with an audit hook, ``sys.addaudithook``:
  manifests, settings, pointers, expert configs, the code it imported), as its stat or its sorted names;
- the state tree (database, registry, models; not ``cache/`` and ``reports/``) walked after the plan: the stat of
  every file and the names of every directory, so that a model file changed on disk is seen like the plan sees it
  (its artifact check trusts the same stats through the artifacts' stat cache);
- every data source's stat-cache entry (``fingerprints.data``): its digest and index-file stat, and the stats of
  all its files compared as one blob, the very check of the full plan's fast path.
The stat cache's rules hold for every witness: a file changed less than ``RACY_NS`` before the plan started is
not trusted (no verdict is stored), ctime and inode catch in-place writes and replacements.

Nothing is stored when the plan has changes or warnings, writes a plan file, or depends on something a stat cannot
witness: a shared (PostgreSQL) state, an object store for artifacts, a remote deployment target, a rollout in
progress (its verdict depends on observations). ``--detailed-exitcode`` exits 0 either way (no changes).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from nerspec import atomic
from nerspec.fingerprints.sealed import read_sealed, seal
from nerspec.fingerprints.stat_cache import RACY_NS, StatKey, cache_file, load, stat_key
from nerspec.fingerprints.stats import stat_blob

VERDICT_VERSION = 2  # 2: sealed (a digest checked before unmarshalling; a damaged file is no verdict)
VERDICT_NAME = f"plan-verdict.py{sys.version_info.major}{sys.version_info.minor}.marshal"
MAX_ENTRIES = 16  # requests remembered (text and JSON, a few project selections)
MAX_WITNESSES = 20_000  # beyond this a lookup costs about what a full plan does: store nothing
SKIPPED_STATE_DIRS = ("cache", "reports")  # rewritten by every run / never read by a plan
# SQLite's side files come and go with every reader; the write-ahead log's stat is witnessed by itself.
VOLATILE_SUFFIXES = ("-wal", "-shm", "-journal")
DIST_SUFFIXES = (".dist-info", ".egg-info")
# Plan flags the cache answers; anything else (``-o``, ``--help``, a typo) goes through click.
PLAN_FLAGS = ("--json", "--detailed-exitcode")


@dataclass(frozen=True)
class Request:
    """What a plan was asked, beyond the files: the same files and a different request may print otherwise."""

    state: str | None
    paths: tuple[str, ...]
    as_json: bool

    def key(self) -> str:
        env = sorted((k, v) for k, v in os.environ.items()
                     if (k.startswith("NERSPEC_") and k != "NERSPEC_STATE") or k in ("NO_COLOR", "COLUMNS"))
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        from nerspec.version import __version__

        paths = [os.path.normpath(p) for p in self.paths]
        state = self.state or os.environ.get("NERSPEC_STATE")  # click reads the same variable into --state
        state = os.path.normpath(state) if state and "://" not in state else state
        return json.dumps([paths, self.as_json, state, os.getcwd(), color, env, sys.executable, __version__])


def parse_plan_request(argv: list[str]) -> Request | None:
    """``plan [PATH...] [--json] [--detailed-exitcode] [--state X]`` as a Request; None for anything else."""
    if not argv or argv[0] != "plan":
        return None
    state, paths, as_json, rest = None, [], False, argv[1:]
    while rest:
        arg = rest.pop(0)
        if arg == "--state" and rest:
            state = rest.pop(0)
        elif arg.startswith("--state="):
            state = arg.partition("=")[2]
        elif arg == "--json":
            as_json = True
        elif arg == "--" or (arg.startswith("-") and arg not in PLAN_FLAGS):
            return None
        elif not arg.startswith("-"):
            paths.append(arg)
    return Request(state=state, paths=tuple(paths), as_json=as_json)


@dataclass
class Witnesses:
    stats: dict[str, StatKey | None] = field(default_factory=dict)  # path -> stat key (None: absent)
    names: dict[str, list[str] | None] = field(default_factory=dict)  # directory -> sorted names (None: absent)
    # stat-cache source key -> (index stat, digest)
    sources: dict[str, tuple[StatKey | None, str]] = field(default_factory=dict)

    def count(self) -> int:
        return len(self.stats) + len(self.names) + len(self.sources)


def _stat(path: str) -> StatKey | None:
    try:
        return stat_key(os.stat(path))
    except OSError:
        return None


def _names(path: str) -> list[str] | None:
    try:
        names = os.listdir(path)
    except OSError:
        return None
    if path in _import_dirs():  # listed for the installed versions (``fingerprints.model.versions``), not content
        return sorted(n for n in names if n.endswith(DIST_SUFFIXES))
    return sorted(n for n in names if not n.endswith(VOLATILE_SUFFIXES))


def _import_dirs() -> set[str]:
    return {os.path.abspath(entry or ".") for entry in sys.path}


def holds(w: Witnesses, cache_dir: Path) -> bool:
    """Every witness still as recorded: stats, listings, then the data sources (the costly part) last."""
    if any(_stat(path) != (tuple(st) if st is not None else None) for path, st in w.stats.items()):
        return False
    if any(_names(path) != names for path, names in w.names.items()):
        return False
    if not w.sources:
        return True
    entries = load(cache_file(cache_dir)).get("sources", {})
    for key, (index_stat, digest) in w.sources.items():
        entry = entries.get(key)
        if entry is None or entry[4] != digest or entry[0] != index_stat:
            return False
        if index_stat is not None and _stat(key.partition(":")[2]) != tuple(index_stat):
            return False
        if stat_blob(entry[3], entry[1]) != entry[2]:
            return False
    return True


def verdict_file(state_root: Path) -> Path:
    return state_root / "cache" / VERDICT_NAME


def _load_entries(state_root: Path) -> dict[str, object]:
    raw, _ = read_sealed(verdict_file(state_root))  # a FIFO, a torn or foreign file: no verdict, never a hang
    if not isinstance(raw, dict) or raw.get("version") != VERDICT_VERSION:
        return {}
    entries = raw.get("entries")
    return entries if isinstance(entries, dict) else {}


def cached_output(request: Request, state_root: Path) -> str | None:
    """The text a full plan printed for this request, when every witness still holds; None otherwise."""
    parsed = _parsed(_load_entries(state_root).get(request.key()))
    if parsed is None:
        return None
    w, output = parsed
    try:
        ok = holds(w, state_root / "cache")
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return output if ok else None


def _parsed(entry: object) -> tuple[Witnesses, str] | None:
    """The witnesses and output of an entry of the shape ``store`` writes; None for anything else (a forged file
    whose digest matches gives no verdict rather than an error)."""
    if not (isinstance(entry, dict) and isinstance(entry.get("output"), str)):
        return None
    parts = tuple(entry.get(part) for part in ("stats", "names", "sources"))
    if not all(isinstance(part, dict) and all(type(key) is str for key in part) for part in parts):
        return None
    stats, names, sources = cast("tuple[dict[str, StatKey | None], dict[str, list[str] | None], "
                                 "dict[str, tuple[StatKey | None, str]]]", parts)
    if not all(type(value) is tuple and len(value) == 2 for value in sources.values()):
        return None
    return Witnesses(stats=stats, names=names, sources=sources), entry["output"]


_tried: list[bool] = []


def answer(argv: list[str]) -> bool:
    """Before click is imported: print a cached no-op plan and say True, or say False (run the command).
    Only when the state directory is known without reading the settings file (``paths.known_local_root``)."""
    if _tried:
        return False
    _tried.append(True)
    request = parse_plan_request(argv)
    if request is None:
        return False
    from nerspec.paths import known_local_root

    try:
        root = known_local_root(request.state)
    except (OSError, ValueError):
        return False
    output = cached_output(request, root) if root is not None else None
    if output is None:
        return False
    sys.stdout.write(output)
    sys.stdout.flush()
    return True


class Recorder:
    """Collects the files a full plan opens and the directories it lists (an audit hook: it cannot be removed,
    so one hook serves every recorder and does nothing while none is active)."""

    _active: list[Recorder] = []
    _installed: list[bool] = []

    def __init__(self) -> None:
        self.started_ns = time.time_ns()
        self.opened: set[str] = set()
        self.listed: set[str] = set()
        if not Recorder._installed:
            sys.addaudithook(_hook)
            Recorder._installed.append(True)
        Recorder._active.append(self)

    def stop(self) -> None:
        if self in Recorder._active:
            Recorder._active.remove(self)


def _hook(event: str, args: tuple[object, ...]) -> None:
    if not Recorder._active:
        return
    if event == "open" and isinstance(args[0], (str, os.PathLike)):
        for recorder in Recorder._active:
            recorder.opened.add(os.path.abspath(os.fspath(args[0])))
    elif event in ("os.listdir", "os.scandir") and isinstance(args[0], (str, os.PathLike)):
        for recorder in Recorder._active:
            recorder.listed.add(os.path.abspath(os.fspath(args[0])))


def _walk_state(w: Witnesses, top: Path, skip: Iterable[Path]) -> None:
    skipped = {str(p) for p in skip}
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in skipped]
        w.names[root] = _names(root) or []
        for name in files:
            if not name.endswith(VOLATILE_SUFFIXES):
                w.stats[os.path.join(root, name)] = _stat(os.path.join(root, name))


def collect(recorder: Recorder, state_root: Path, settings: Path, source_keys: list[str],
            covered: list[str]) -> Witnesses | None:
    """The witnesses of a finished no-op plan; None when one of them is too fresh to trust (racy) or missing."""
    cache_dir = state_root / "cache"
    w = Witnesses()
    _walk_state(w, state_root, [cache_dir, *(state_root / d for d in SKIPPED_STATE_DIRS)])
    w.stats[str(state_root / "state.db-wal")] = _stat(str(state_root / "state.db-wal"))
    w.stats[str(settings)] = _stat(str(settings))
    own = [str(cache_dir)]  # rewritten by the plan itself; the data's entries are witnessed as ``sources``
    for path in recorder.opened:
        if not _under(path, own) and not _under(path, covered):
            w.stats.setdefault(path, _stat(path))
    for path in recorder.listed:
        if not _under(path, own):
            w.names.setdefault(path, _names(path))
    entries = load(cache_file(cache_dir)).get("sources", {})
    for key in source_keys:
        entry = entries.get(key)
        if entry is None:
            return None
        w.sources[key] = (entry[0], entry[4])
    fresh = recorder.started_ns - RACY_NS
    if any(st is not None and max(st[1], st[3]) > fresh for st in w.stats.values()):
        return None
    return w if w.count() <= MAX_WITNESSES else None


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def store(request: Request, state_root: Path, witnesses: Witnesses, output: str) -> None:
    """Remember the output (a plain cache: a lost or corrupt file only costs one full plan)."""
    entries = _load_entries(state_root)
    entries.pop(request.key(), None)
    while len(entries) >= MAX_ENTRIES:
        entries.pop(next(iter(entries)))
    entries[request.key()] = {"stats": witnesses.stats, "names": witnesses.names, "sources": witnesses.sources,
                              "output": output}
    try:
        atomic.write_bytes(verdict_file(state_root), seal({"version": VERDICT_VERSION, "entries": entries}))
    except OSError:
        pass  # a read-only state only costs speed
