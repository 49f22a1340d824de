"""The stat cache reads only what it wrote: a truncated, random, foreign or forged file is a cold cache (rebuilt,
same hashes), never a crash of the unmarshaller or an error."""

from __future__ import annotations

import hashlib
import marshal
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from nerspec.fingerprints import sealed, stat_cache
from nerspec.fingerprints.stat_cache import CACHE_VERSION, StatCache, cache_file, load


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written a moment ago are cached (ctime cannot be set back, and two seconds of sleep per test is waste)."""
    monkeypatch.setattr(stat_cache, "RACY_NS", -1)


def _cache(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A cache dir whose cache holds the hashes of three files and one source entry."""
    files = []
    for i in range(3):
        files.append(tmp_path / f"f{i}.txt")
        files[-1].write_text(f"text {i}")
    cache_dir = tmp_path / "cache"
    cache = StatCache(cache_dir)
    for file in files:
        cache.hash(file)
    cache.set_source("folders:/x", (None, [("", "a\0b")], b"\0" * 64, "/x/", "digest"), "h1\nh2")
    cache.save()
    assert len(load(cache_file(cache_dir).with_suffix(".hashes"))["hashes"]) == 3  # a real cache to damage
    return cache_dir, files


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _random(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _wrong_digest(path: Path) -> None:
    """A crafted marshal payload behind a sealed header whose digest is not the payload's."""
    payload = marshal.dumps({"version": CACHE_VERSION, "sources": {"k": (1, 2)}, "hashes": 5})
    path.write_bytes(sealed.MAGIC + hashlib.sha256(b"other").digest() + payload)


def _unsealed(path: Path) -> None:
    """The previous format: plain marshal, no header."""
    path.write_bytes(marshal.dumps({"version": CACHE_VERSION, "sources": {}, "hashes": {}}))


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _forged_shapes(path: Path) -> None:
    """A correct digest over the right version with the wrong shapes (what a hand-made file could hold)."""
    if path.suffix == ".hashes":
        value = {"version": CACHE_VERSION, "hashes": {"/f": 5, "/g": [1, 2, 3, 4, 5]}, "listings": {"/i": [0]},
                 "source_hashes": {"folders:/x": 7}}
    else:
        value = {"version": CACHE_VERSION, "sources": {"folders:/x": (None, 5, b"", "/x/", "d")}}
    path.write_bytes(sealed.seal(value))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate, "random bytes": _random, "wrong digest": _wrong_digest, "unsealed marshal": _unsealed,
    "fifo": _fifo, "forged shapes": _forged_shapes,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_cache_is_ignored_and_rebuilt(tmp_path: Path, damage: str) -> None:
    cache_dir, files = _cache(tmp_path)
    main = cache_file(cache_dir)
    for path in (main, main.with_suffix(".hashes")):
        DAMAGE[damage](path)
    done: list[StatCache] = []
    worker = threading.Thread(target=lambda: done.append(StatCache(cache_dir)), daemon=True)
    worker.start()
    worker.join(timeout=10)  # a FIFO read with a plain open() would block here
    assert done, "loading the cache blocked"
    cache = done[0]
    assert cache.sources == {}
    assert [cache.hash(f) for f in files] == [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    assert cache.source_hashes("folders:/x") is None
    assert cache.listing(tmp_path / "f0.txt", lambda: ["/y"]) == ["/y"]
    if damage != "fifo":  # the rebuilt cache is written over the damaged one and reads back
        cache.save()
        assert load(main.with_suffix(".hashes"))["hashes"][str(files[0])][4] == cache.hash(files[0])


def test_a_cache_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    cache_dir, _files = _cache(tmp_path)
    path = cache_file(cache_dir).with_suffix(".hashes")
    assert sealed.read_sealed(path)[0] is not None
    assert sealed.read_sealed(path, limit=path.stat().st_size - 1) == (None, None)


def test_seal_round_trips_and_refuses_any_changed_byte() -> None:
    data = sealed.seal({"version": 1, "entries": {"a": (1, "b")}})
    assert sealed.unseal(data) == {"version": 1, "entries": {"a": (1, "b")}}
    for index in (0, len(sealed.MAGIC), len(data) - 1):
        changed = bytearray(data)
        changed[index] ^= 0xFF
        assert sealed.unseal(bytes(changed)) is None
    assert sealed.unseal(data[:-1]) is None and sealed.unseal(b"") is None
