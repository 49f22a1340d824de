"""The SQLite state's connection: opened in WAL mode and migrated, its file checked for damage on open, and
damage met later in a query turned into the error that says how to recover (``SqliteStore``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from nerspec.errors import StateError
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
    except sqlite3.DatabaseError as exc:
        raise StateError(f"cannot open the state database {path}: {exc}; {RECOVERY_HINT}") from None
    return conn
