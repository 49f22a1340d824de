"""marshal cache files that a damaged, truncated or foreign file cannot crash.

The stat cache and the no-op verdict are marshal files: loading 100,000 entries must take milliseconds, and JSON
takes ten times longer. marshal is documented as unsafe on erroneous data (it may crash the interpreter), so
every file carries a header: a magic line and the sha256 of the payload, checked before ``marshal.loads`` sees a
byte. Only bytes nerspec wrote itself reach the unmarshaller; anything else (a torn write, a disk error, another
tool's file, a FIFO) reads as absent, and a cache that is absent is rebuilt. A file larger than ``MAX_BYTES``
is not read at all (a cache never grows that big; memory stays bounded).

The digest is not a signature: whoever may write the state directory could forge it. What such a file can hold
is what marshal produces from valid data (containers, numbers, strings, code objects that are never run), and
the callers check the shapes they rely on, so a forged file gives a wrong cache answer at worst, never a crash.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.safeio import open_regular

if TYPE_CHECKING:
    from marshal import _Marshallable  # typeshed's name for what marshal accepts

MAGIC = b"nerspec sealed marshal 1\n"
DIGEST_SIZE = 32  # sha256
MAX_BYTES = 1 << 30  # 1 GiB: about 40 times the hashes file of 100,000 files
StatKey = tuple[int, int, int, int]


def seal(value: _Marshallable) -> bytes:
    """``value`` marshalled, behind the magic line and the payload's sha256."""
    import marshal

    payload = marshal.dumps(value)
    return MAGIC + hashlib.sha256(payload).digest() + payload


def unseal(data: bytes) -> object | None:
    """What ``seal`` wrapped, or None when ``data`` is not exactly a sealed file (wrong magic or digest)."""
    import marshal

    start = len(MAGIC) + DIGEST_SIZE
    if len(data) < start or not data.startswith(MAGIC):
        return None
    payload = memoryview(data)[start:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC):start]:
        return None
    try:
        return marshal.loads(payload)
    except (ValueError, EOFError, TypeError):  # only for a payload nerspec wrote with another Python's marshal
        return None


def read_sealed(path: Path, limit: int = MAX_BYTES) -> tuple[object | None, StatKey | None]:
    """The sealed value at ``path`` and the stat of the very file read; (None, None) when it is missing, not a
    regular file (a FIFO is never waited on), larger than ``limit``, unreadable or not sealed."""
    try:
        with os.fdopen(open_regular(path), "rb") as handle:
            st = os.fstat(handle.fileno())
            if st.st_size > limit:
                return None, None
            data = handle.read(st.st_size + 1)  # bounded by the size checked (a cache file is replaced, never grown)
    except OSError:
        return None, None
    value = unseal(data) if len(data) <= limit else None
    if value is None:
        return None, None
    return value, (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
