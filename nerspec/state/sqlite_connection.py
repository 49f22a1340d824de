"""The SQLite state's connection: opened in WAL mode and migrated, its file checked for damage on open, and
damage met later in a query turned into the error that says how to recover (``SqliteStore``)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from nerspec.errors import StateError
from nerspec.safeio import open_regular
from nerspec.state import migrations
from nerspec.state.sql import SqliteParameters

QUICK_CHECK_MAX_BYTES = 4 * 1024 * 1024


RECOVERY_HINT = (
    "recover with `nerspec state recover` (rebuilds models and deployments from the artifacts and pointers) "
    "or put a backup back with `nerspec state restore FILE`"
)


def check_integrity(conn: sqlite3.Connection, db: Path) -> None:
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        rows = [(str(exc),)]
    if rows != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in rows[:3])
        raise StateError(f"the state database {db} is corrupt ({detail}); {RECOVERY_HINT}")


class _Guarded(sqlite3.Connection):
    """The connection (``sqlite3.connect(factory=...)``); once ``guard``ed, "database disk image is malformed"
    is turned into the StateError that says how to recover."""

    guard: Path | None = None  # the database file, once it passed the integrity check

    def execute(self, sql: str, parameters: SqliteParameters = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise self._explain(exc) from None

    def executemany(self, sql: str, parameters: Iterable[SqliteParameters], /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise self._explain(exc) from None

    def _explain(self, exc: sqlite3.DatabaseError) -> Exception:
        if self.guard is None or type(exc) is not sqlite3.DatabaseError:  # locked, constraint, ...: not damage
            return exc
        return StateError(f"the state database {self.guard} is corrupt ({exc}); {RECOVERY_HINT}")


def open_connection(path: Path) -> _Guarded:
    """The state database at ``path`` (``:memory:`` too), opened, checked and migrated to the current schema."""
    conn: _Guarded | None = None
    try:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, factory=_Guarded)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        if str(path) != ":memory:":
            # A damaged file fails here with the recovery command, not later in some query (exit 70).
            # A full check reads every page: only for databases small enough to keep plan fast; damage in
            # a large one surfaces in the query that meets it (_Guarded) with the same message.
            if Path(path).stat().st_size <= QUICK_CHECK_MAX_BYTES:
                check_integrity(conn, path)
            conn.guard = path
        migrations.migrate(conn)
    except BaseException as exc:
        if conn is not None:  # a refused file must not stay open (a handle, and a lock on Windows)
            conn.close()
        if isinstance(exc, sqlite3.DatabaseError):
            raise StateError(f"cannot open the state database {path}: {exc}; {RECOVERY_HINT}") from None
        raise
    return conn


WAL_HEADER = b"\x02\x02"  # bytes 18-19 of a database file in WAL mode (write and read format versions)


def open_read_only(path: Path) -> sqlite3.Connection | None:
    """Someone else's state database at ``path``, opened to read only: no pragma, no migration, no lock waited
    for longer than half a second, no file created beside it. None when it cannot be read: damaged, locked, or a
    schema this nerspec does not know (none yet, or newer). An older schema is read as it is, never upgraded.

    A WAL database nobody has open (no ``-wal`` file) is opened ``immutable``: a plain read-only connection would
    leave a ``-wal`` and ``-shm`` in that state's directory. Should a writer start meanwhile, it writes to its WAL,
    not to the file read here; but a checkpoint into this file while the connection is open could show an
    immutable reader stale or mixed pages, not only fail. Its one caller (``OtherStates``) only picks the wording
    of a plan's note with it, and holds it for one plan run."""
    try:  # a pipe or device put where the file was is never opened blocking (NotRegularFile is an OSError)
        with os.fdopen(open_regular(path), "rb") as f:
            header = f.read(20)[18:20]
    except OSError:
        return None
    quiescent_wal = header == WAL_HEADER and not Path(f"{path}-wal").exists()
    uri = f"{Path(path).resolve().as_uri()}?mode=ro" + ("&immutable=1" if quiescent_wal else "")
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=0.5, isolation_level=None)
        if 1 <= migrations.current_version(conn) <= migrations.LATEST:
            return conn
    except sqlite3.Error:
        pass
    if conn is not None:
        conn.close()
    return None
