"""Opening the SQLite state: a file refused on open (damaged, a newer schema) leaves no connection open."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

import pytest

from nerspec.errors import StateError
from nerspec.state import migrations
from nerspec.state.sqlite_connection import open_connection


def _connections_in(tb: TracebackType | None) -> list[sqlite3.Connection]:
    """The connections the failed open's frames still hold (the traceback keeps them alive)."""
    found: list[sqlite3.Connection] = []
    while tb is not None:
        found += [v for v in tb.tb_frame.f_locals.values() if isinstance(v, sqlite3.Connection)]
        tb = tb.tb_next
    return found


def _assert_refused_and_closed(db: Path, message: str) -> None:
    with pytest.raises(StateError, match=message) as info:
        open_connection(db)
    held = _connections_in(info.value.__traceback__)
    assert held  # the connection the open made (migrate's frame names the same one)
    for conn in held:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


def test_a_damaged_file_is_refused_and_its_connection_closed(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    db.write_bytes(b"not a database" * 100)
    _assert_refused_and_closed(db, "cannot open the state database")


def test_a_newer_schema_is_refused_and_its_connection_closed(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    conn = sqlite3.connect(db, isolation_level=None)
    migrations.migrate(conn)
    conn.execute("UPDATE schema_version SET version = ?", (migrations.LATEST + 1,))
    conn.close()
    _assert_refused_and_closed(db, "newer than this nerspec supports")


def test_a_pipe_where_an_other_state_was_is_not_opened(tmp_path: Path) -> None:
    import os

    from nerspec.state.sqlite_connection import open_read_only

    fifo = tmp_path / "state.db"
    os.mkfifo(fifo)
    assert open_read_only(fifo) is None  # returns at once: opening a pipe for reading would wait for a writer
