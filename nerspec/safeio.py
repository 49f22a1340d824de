"""Reading user files without trusting what they are.

A data path can name a directory, ``/dev/zero``, a FIFO or a socket. Opening such a thing for reading
blocks (a FIFO waits for a writer) or never ends (``/dev/zero``), so every reader of user data opens with
``O_NONBLOCK``, checks with ``fstat`` that it got a regular file, and only then reads.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


class NotRegularFile(OSError):
    """The path exists but is not a regular file (a directory, device, FIFO or socket)."""

    def __init__(self, path: str | os.PathLike[str], what: str) -> None:
        super().__init__(f"is {what}, expected a regular file")
        self.filename = os.fspath(path)
        self.what = what

    def __str__(self) -> str:  # not OSError's ``[Errno None] None: 'path'``
        return f"{self.filename}: {self.args[0]}"


def describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def what_is(path: Path, instead: str) -> str:
    """Why ``path`` cannot be used, for a message: ``is a FIFO (named pipe), <instead>``, or why it cannot be found
    (``no such file or directory``, ``too many levels of symbolic links``)."""
    try:
        return f"is {describe(os.stat(path).st_mode)}, {instead}"
    except OSError as exc:
        return (exc.strerror or str(exc)).lower()


def check_regular(st: os.stat_result, path: str | os.PathLike[str]) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(path, describe(st.st_mode))


def open_regular(path: str | os.PathLike[str]) -> int:
    """A file descriptor of ``path`` opened for reading, after checking it is a regular file."""
    try:
        fd = os.open(path, _FLAGS)
    except IsADirectoryError:
        raise NotRegularFile(path, "a directory") from None
    try:
        check_regular(os.fstat(fd), path)
        if _FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)  # regular files never block; reads stay simple
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    with os.fdopen(open_regular(path), "rb") as handle:
        return handle.read()


def read_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
    """``Path.read_text`` (same decoding, same newline translation) for a regular file only: a FIFO, device or
    directory raises ``NotRegularFile`` (an ``OSError`` naming the path) instead of hanging or reading forever."""
    with open(open_regular(path), encoding=encoding) as handle:
        return handle.read()


def iter_blocks(path: str | os.PathLike[str], size: int = 1 << 20) -> Iterator[bytes]:
    with os.fdopen(open_regular(path), "rb") as handle:
        yield from iter(lambda: handle.read(size), b"")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a regular file's bytes (the one file hasher: data files, artifacts, downloads). A FIFO or
    ``/dev/zero`` raises ``NotRegularFile`` instead of hanging."""
    import hashlib

    digest = hashlib.sha256()
    for block in iter_blocks(path):
        digest.update(block)
    return digest.hexdigest()


def is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
