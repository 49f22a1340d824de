"""The stats of every file of a cached data source, as one ``array('q')`` blob in listing order.

Files are stat'ed relative to an open directory (``dir_fd``: no path walk from / per file), in threads for big
sources (``stat`` releases the GIL). Comparing the blob with the cached one is the whole no-op check of a source.
"""

from __future__ import annotations

import os
from array import array

from nerspec.fingerprints.stat_cache import StatKey

THREADED_STATS = 20_000  # files; below this, threads cost more than they save
STAT_THREADS = max(1, min(8, os.cpu_count() or 1))


def stats(files: list[str]) -> list[StatKey | None]:
    """(size, mtime_ns, inode, ctime_ns) per file; None for a missing one."""
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


def group(rels: list[str]) -> list[tuple[str, str]]:
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


def _stat_segments(segments: list[tuple[str, list[str]]], out: list[bytes | None], slot: int) -> None:
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


def stat_blob(prefix: str, groups: list[tuple[str, str]]) -> bytes | None:
    """The stats of every file of a cached listing as one ``array('q')`` blob; None when one is missing."""
    listing = [(prefix + directory, names.split("\0")) for directory, names in groups]
    total = sum(len(names) for _, names in listing)
    parts = _free_cores() if total >= THREADED_STATS else 1
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
    out: list[bytes | None] = [None] * parts
    if parts == 1:
        _stat_segments(chunks[0], out, 0)
    else:
        import threading

        threads = [threading.Thread(target=_stat_segments, args=(chunk, out, i)) for i, chunk in enumerate(chunks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    blobs = [values for values in out if values is not None]
    if len(blobs) != len(out):
        return None
    return b"".join(blobs)


def _free_cores() -> int:
    """Threads only overlap ``stat`` calls on idle cores: on a busy machine one thread costs less CPU and wall
    time (measured in ``docs/architecture.md``, "No-op plan speed")."""
    try:
        busy = int(os.getloadavg()[0])
    except OSError:
        busy = 0
    return max(1, min(STAT_THREADS, (os.cpu_count() or 1) - busy))


def blob_of(values: list[StatKey | None]) -> bytes:
    return array("q", [v for st in values if st is not None for v in st]).tobytes()
