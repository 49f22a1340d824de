"""Who is writing a staging directory: an owner record in its name, so cleanup never deletes live work.

``staged_dir`` names its directory ``.<final>.o<host>-<pid>-<start>.<random>.partial``. Cleanup (``apply``
holding the lock, ``gc``) removes a leftover only when that process is gone; a ``nerspec train`` (which
takes no lock) or any other live nerspec process keeps its directory. A directory from another host (or
container: ``unshare -u`` gives it another host name) cannot be checked by pid; its owner touches the directory
every ``HEARTBEAT_S`` while it lives (``heartbeat``: its mtime, no file that could end up in an artifact), and
cleanup leaves it alone until it is ``FOREIGN_STALE_S`` old. A directory from before owner records falls back to the caller's age rule.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HEARTBEAT_S = 30.0
# Ten missed beats: the owner is gone (a SIGKILL stops the beats with the process).
FOREIGN_STALE_S = 10 * HEARTBEAT_S

_OWNER = re.compile(r"\.o([0-9a-f]{8})-(\d+)-(\d*)\.")


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def process_start(pid: int) -> str:
    """The start time of ``pid`` (Linux ``/proc``), so a reused pid is not mistaken for the owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def token() -> str:
    """The owner part of a staging directory's name for this process."""
    pid = os.getpid()
    return f"o{_host()}-{pid}-{process_start(pid)}"


def owner_alive(name: str) -> bool | None:
    """True when the process named in ``name`` is alive, False when it is gone, None when unknown."""
    found = _OWNER.search(name)
    if found is None or found.group(1) != _host():
        return None
    pid, start = int(found.group(2)), found.group(3)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not (start and process_start(pid) not in ("", start))


def foreign(name: str) -> bool:
    """The directory's owner record names another host (or container)."""
    found = _OWNER.search(name)
    return found is not None and found.group(1) != _host()


def foreign_owner_gone(directory: Path, now: float | None = None) -> bool:
    """Another host's staging directory is stale: its heartbeat (the directory's mtime) stopped."""
    now = time.time() if now is None else now
    try:
        return now - directory.stat().st_mtime > FOREIGN_STALE_S
    except FileNotFoundError:
        return False


@contextmanager
def heartbeat(directory: Path, every: float = HEARTBEAT_S) -> Iterator[None]:
    """Touch ``directory`` now and every ``every`` seconds until the block ends (a daemon thread)."""
    stop = threading.Event()

    def touch() -> None:
        try:
            os.utime(directory)
        except OSError:
            pass  # the directory was renamed into place or removed: nothing left to keep alive

    def run() -> None:
        while not stop.wait(every):
            touch()

    touch()
    thread = threading.Thread(target=run, name=f"nerspec-heartbeat-{directory.name[:40]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
