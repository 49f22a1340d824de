"""One apply at a time per state directory.

The lock is a file created with O_EXCL holding who holds it (id, host, pid, operation, start time).
A lock whose pid is dead on this host is stale (a killed apply) and is cleared automatically; a lock
from another host can only be cleared with ``nerspec force-unlock ID``. The PostgreSQL backend will use
an advisory lock with the same record.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from nerspec import atomic, safeio
from nerspec.errors import LockError
from nerspec.timestamps import OFFSET, utc_timestamp

LOCK_NAME = "lock.json"


@dataclass(frozen=True)
class LockInfo:
    id: str
    host: str
    pid: int
    operation: str
    started: str
    pid_start: str = ""  # the process start time, so a reused pid is not mistaken for the holder

    def describe(self) -> str:
        return f"lock {self.id} held by pid {self.pid} on {self.host} ({self.operation}, since {self.started})"


def _process_start(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # Field 22 (starttime) counted after the parenthesised command name, which may contain spaces.
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(info: LockInfo) -> bool:
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if info.pid_start and _process_start(info.pid) not in ("", info.pid_start):
        return False
    return True


def read_lock(state_root: Path) -> LockInfo | None:
    try:
        raw = json.loads(safeio.read_text(state_root / LOCK_NAME))
        return LockInfo(**raw)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        # Empty: its creator is between create and write, or was killed there. Give a live creator a few
        # seconds (reported as held by us, so callers wait), then treat it as stale.
        try:
            age = time.time() - (state_root / LOCK_NAME).stat().st_mtime
        except FileNotFoundError:
            return None
        pid = -1 if age > 5 else os.getpid()
        return LockInfo(id="unreadable", host=socket.gethostname(), pid=pid, operation="?", started="?")


def is_stale(info: LockInfo) -> bool:
    return info.host == socket.gethostname() and (info.pid <= 0 or not _alive(info))


def _try_create(path: Path, info: LockInfo) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(asdict(info)))
        handle.flush()
        atomic.fsync(handle.fileno())
    return True


def _clear_stale(path: Path, seen: LockInfo) -> None:
    """Remove ``path`` only if it still holds the stale lock we looked at (another process may have retaken it)."""
    aside = path.with_name(f".{LOCK_NAME}.{uuid.uuid4().hex}.stale")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    try:
        current = LockInfo(**json.loads(safeio.read_text(aside)))
    except (ValueError, TypeError, OSError):
        current = seen
    if current.id != seen.id and not is_stale(current):
        os.rename(aside, path)  # we moved a fresh lock: put it back (best effort; rare race)
        return
    aside.unlink(missing_ok=True)


def acquire(state_root: Path, operation: str, timeout: float = 0.0, poll: float = 0.2) -> LockInfo:
    state_root.mkdir(parents=True, exist_ok=True)
    path = state_root / LOCK_NAME
    info = LockInfo(
        id=uuid.uuid4().hex[:12],
        host=socket.gethostname(),
        pid=os.getpid(),
        operation=operation,
        started=utc_timestamp(suffix=OFFSET),  # as every state record (store.utc_now)
        pid_start=_process_start(os.getpid()),
    )
    deadline = time.monotonic() + timeout
    while True:
        if _try_create(path, info):
            return info
        holder = read_lock(state_root)
        if holder is None:
            continue
        if is_stale(holder):
            _clear_stale(path, holder)
            continue
        if time.monotonic() >= deadline:
            raise LockError(
                f"the state is locked: {holder.describe()}. Wait for it, pass --lock-timeout SECONDS, "
                f"or if no nerspec runs there: nerspec force-unlock {holder.id}"
            )
        time.sleep(poll)


def release(state_root: Path, info: LockInfo) -> None:
    holder = read_lock(state_root)
    if holder is not None and holder.id == info.id:
        (state_root / LOCK_NAME).unlink(missing_ok=True)


@contextmanager
def locked(state_root: Path, operation: str, timeout: float = 0.0) -> Iterator[LockInfo]:
    info = acquire(state_root, operation, timeout)
    remove_leftover_tmp(state_root)
    try:
        yield info
    except BaseException:
        release(state_root, info)
        raise
    lost = not holds(state_root, info)
    release(state_root, info)
    if lost:
        raise LockError(
            f"the state lock of this {operation} was removed while it ran (nerspec force-unlock); what it "
            f"recorded is complete, but another command may have run meanwhile: check `nerspec plan`"
        )


def holds(state_root: Path, info: LockInfo) -> bool:
    holder = read_lock(state_root)
    return holder is not None and holder.id == info.id


def ci_run_url() -> str:
    """The GitHub Actions run a lock holder belongs to (empty outside one): lock errors link to it."""
    server, repo, run = (os.environ.get(v, "") for v in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run}" if server and repo and run else ""


def force_unlock(state_root: Path, lock_id: str, force: bool = False) -> LockInfo:
    holder = read_lock(state_root)
    if holder is None:
        raise LockError("the state is not locked")
    if holder.id != lock_id:
        raise LockError(f"the lock id is {holder.id}, not {lock_id} ({holder.describe()})")
    if not force and holder.host == socket.gethostname() and not is_stale(holder):
        raise LockError(
            f"{holder.describe()} is alive on this machine; wait for it or stop it. Only if you are sure it is "
            f"stuck: nerspec force-unlock {lock_id} --force (it then fails when it finishes)"
        )
    (state_root / LOCK_NAME).unlink(missing_ok=True)
    return holder


TMP_GRACE_S = 30.0  # an unlocked writer (a server switching a pointer) finishes a temporary within this


def remove_leftover_tmp(state_root: Path) -> list[Path]:
    """Temporaries of killed atomic writes (``.<name>.<random>.tmp``) in the state's own directories."""
    removed = []
    now = time.time()
    for folder in (state_root, state_root / "registry", state_root / "reports", state_root / "intents"):
        if not folder.is_dir():
            continue
        candidates = [*folder.glob(".*.tmp"), *(folder.glob("*/.*.tmp") if folder.name == "registry" else [])]
        for tmp in candidates:
            try:
                if tmp.is_file() and now - tmp.stat().st_mtime > TMP_GRACE_S:
                    tmp.unlink()
                    removed.append(tmp)
            except OSError:
                continue
    return removed


__all__ = ["LockInfo", "acquire", "force_unlock", "is_stale", "locked", "read_lock", "release"]
