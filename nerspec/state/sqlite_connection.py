"""The SQLite state's connection: opened in WAL mode and migrated, its file checked for damage on open, and
damage met later in a query turned into the error that says how to recover (``SqliteStore``)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Look:
    """How someone else's database is read (``immutable`` or as a plain read-only reader), and the file's identity
    (inode, size, modification time) when it was looked at."""

    immutable: bool
    identity: tuple[int, int, int]


def _look(path: Path) -> _Look | None:
    """How to read the database at ``path`` without leaving a file beside it, or None: no way (see read_only_rows)."""
    try:  # a pipe or device put where the file was is never opened blocking (NotRegularFile is an OSError)
        with os.fdopen(open_regular(path), "rb") as f:
            header, st = f.read(20)[18:20], os.fstat(f.fileno())
    except OSError:
        return None
    identity = (st.st_ino, st.st_size, st.st_mtime_ns)
    wal, shm = Path(f"{path}-wal").exists(), Path(f"{path}-shm").exists()
    if header != WAL_HEADER or (wal and shm):
        return _Look(False, identity)
    return None if wal else _Look(True, identity)


def read_only_rows(path: Path, sql: str, params: tuple[str, ...] = ()) -> list[tuple[object, ...]] | None:
    """The rows ``sql`` selects from someone else's state database at ``path`` (``OtherStates``), or None when that
    cannot be known: damaged, locked, changed meanwhile, a schema this nerspec does not know (none yet, or newer).
    Nothing in that state's directory is created, changed or waited on for more than half a second, and no
    connection outlives the call. An older schema is read as it is, never upgraded: no pragma, no migration.

    SQLite's rules (https://www.sqlite.org/wal.html "Read-Only Databases", uri.html "immutable"), checked here on
    3.40: a ``mode=ro`` connection to a WAL database whose ``-wal`` and ``-shm`` are absent creates both (and,
    in a directory it may not write, fails), so such a database (nobody has it open) is opened ``immutable``: no
    lock, no file. Immutable trusts the file not to change; should a writer start and checkpoint into it during
    the read, the answer is dropped (the file's inode, size or mtime changed, or a ``-wal`` appeared). With both
    ``-wal`` and ``-shm`` present (a writer has it open, or one was killed) a plain ``mode=ro`` reader follows
    the WAL protocol like any reader: it sees what is committed, never blocks the writer, and creates nothing (in
    a read-only directory it keeps the WAL index in its own memory). A ``-wal`` without its ``-shm`` (a writer in
    exclusive locking mode) would make a reader create the ``-shm`` or wait: not read. A database in rollback
    journal mode is read ``mode=ro``: its readers create no file, and one hot journal makes the read fail."""
    path = Path(path).resolve()  # a linked state.db: its writer's -wal and -shm are beside the file, not the link
    look = _look(path)
    if look is None:
        return None
    uri = f"{path.as_uri()}?mode=ro" + ("&immutable=1" if look.immutable else "")
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=0.5, isolation_level=None)) as conn:
            if not 1 <= migrations.current_version(conn) <= migrations.LATEST:
                return None
            rows = conn.execute(sql, params).fetchall()
    except sqlite3.Error:
        return None
    if look.immutable and _look(path) != look:
        return None
    return [tuple(row) for row in rows]
