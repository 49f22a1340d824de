"""Atomic writes: a killed process leaves the old file or the new one, never half of either."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_UMASK: int | None = None


def umask() -> int:
    """The process umask, read once (``os.umask`` can only be read by setting it, which races with threads
    creating files, so it is read from /proc where possible and otherwise only the first time)."""
    global _UMASK
    if _UMASK is None:
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                line = next(line for line in status if line.startswith("Umask:"))
            _UMASK = int(line.split()[1], 8)
        except (OSError, StopIteration, ValueError, IndexError):
            _UMASK = os.umask(0o022)
            os.umask(_UMASK)
    return _UMASK


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; the file the user gets must have the mode their umask gives any new file.
        os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


@contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success rename it to ``final`` in one step.

    If ``final`` already exists (content-addressed: same content), the staged copy is discarded.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    from nerspec.owner import token

    # The owner in the name: cleanup never removes a directory a live process is still writing.
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.{token()}.", suffix=".partial", dir=final.parent))
    # mkdtemp creates 0700; artifacts are shared with other users (a `serve` process, CI caches) as the umask allows.
    tmp.chmod(0o777 & ~umask())
    from nerspec.owner import heartbeat

    try:
        with heartbeat(tmp):  # other hosts sharing the directory see it is alive (they cannot check our pid)
            yield tmp
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
        _fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def fsync(target: str | os.PathLike[str] | int) -> None:
    """The one way nerspec flushes to disk: an open descriptor, or a file or directory opened read-only for the call
    (a directory's fsync makes the renames and creations in it durable)."""
    if isinstance(target, int):
        os.fsync(target)
        return
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: str | os.PathLike[str]) -> None:
    """Every file under ``root`` (a staged artifact, before the rename that publishes it)."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fsync(os.path.join(folder, name))


def _fsync_dir(path: Path) -> None:
    try:
        fsync(path)
    except OSError:  # pragma: no cover - platforms without directory fds
        pass
