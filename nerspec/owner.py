"""Who is writing a staging directory: an owner record in its name, so cleanup never deletes live work.

``staged_dir`` names its directory ``.<final>.o<host>-<pid>-<start>.<random>.partial``. Cleanup (``apply``
holding the lock, ``gc``) removes a leftover only when that process is gone; a ``nerspec train`` (which
takes no lock) or any other live nerspec process keeps its directory. A directory from another host, or
from before owner records, falls back to the caller's age rule.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path

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
