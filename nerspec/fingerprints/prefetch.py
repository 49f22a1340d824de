"""Stat the cached data sources in a child process while ``plan`` starts up.

A no-op plan over 100,000 files spends its time in two places of about equal size: importing and validating
(pydantic, click: one core, holding the GIL) and 100,000 ``stat`` calls. Threads cannot overlap the two (the
stat loop needs the GIL between system calls), a forked child can: ``plan`` forks before its heavy imports, the
child finds the state, loads the stat cache, stats every cached source under the planned paths and writes back, per source,
whether its stats still equal the cached ones. ``fingerprints.data`` takes that verdict instead of stat'ing again,
only when the stat cache it loaded is the very file the child read (same stat); otherwise, or when the child
failed, it stats as before. The verdict is as fresh as a stat made at the start of the plan, which is what a
plan is: a file edited afterwards is seen by the next plan, like a file edited after the stats were made.

Used as a decorator of the ``plan`` command: the verdicts never outlive the command that asked for them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_pending: dict[str, Any] = {}  # "pid", "fd": the running child; "verdicts": its answer once read


def stat_prefetch(command: F) -> F:
    """Decorate a click command taking ``paths`` and ``state``: prefetch for it, forget the verdicts after it."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start(kwargs.get("state"), kwargs.get("paths") or ())
        try:
            return command(*args, **kwargs)
        finally:
            forget()

    return wrapper  # type: ignore[return-value]


def start(state: Any, paths: Iterable[Path]) -> None:
    """Fork the child (POSIX, and only while this process has one thread: forking threads is unsafe). It forks
    first and finds the state itself: the settings file's reader imports pydantic, which the parent is about
    to import anyway."""
    import threading

    forget()
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return
    try:
        read, write = os.pipe()
    except OSError:
        return
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read)
            _answer(write, state, list(paths))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _pending.update(pid=pid, fd=read)


def _answer(fd: int, state: Any, paths: list[Path]) -> None:
    import marshal

    from nerspec.fingerprints.stat_cache import cache_file, load_with_stat
    from nerspec.fingerprints.stats import stat_blob
    from nerspec.paths import StatePaths, known_local_root, state_paths

    roots = [str(Path(p).resolve()) for p in paths]
    root = known_local_root(state)
    raw, file_stat = load_with_stat(cache_file((StatePaths(root) if root else state_paths(state)).cache))
    verdicts: dict[str, bool] = {}
    for key, entry in raw.get("sources", {}).items():
        root = key.partition(":")[2]
        prefix = entry[3]
        if not isinstance(prefix, str) or (roots and not any(_under(root, r) for r in roots)):
            continue
        verdicts[key] = stat_blob(prefix, entry[1]) == entry[2]
    data = marshal.dumps([file_stat, verdicts])
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def verdict(file_stat: Any, key: str) -> bool | None:
    """Whether the source ``key``'s files kept their cached stats, as the child saw them; None when unknown
    (no child, it failed, or it read another version of the stat cache than ``file_stat``)."""
    if "fd" in _pending:
        _collect()
    answer = _pending.get("verdicts")
    if answer is None or file_stat is None or answer[0] != tuple(file_stat):
        return None
    found = answer[1].get(key)
    return found if isinstance(found, bool) else None


def _collect() -> None:
    import marshal

    fd, pid = _pending.pop("fd"), _pending.pop("pid")
    try:
        with os.fdopen(fd, "rb") as handle:
            data = handle.read()
        os.waitpid(pid, 0)
        answer = marshal.loads(data)
        stat = tuple(answer[0]) if answer[0] is not None else None
        _pending["verdicts"] = (stat, dict(answer[1]))
    except (OSError, ValueError, EOFError, TypeError, IndexError):
        _pending["verdicts"] = None


def forget() -> None:
    """Drop the verdicts; end and reap a child nobody asked (a plan that failed early does not wait for it)."""
    import signal

    fd, pid = _pending.pop("fd", None), _pending.pop("pid", None)
    _pending.clear()
    if fd is not None:
        os.close(fd)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
