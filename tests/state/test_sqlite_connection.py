"""Opening the SQLite state: a file refused on open (damaged, a newer schema) leaves no connection open; someone
else's state read without a file left beside it, a writer blocked or a connection left open."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from nerspec.errors import StateError
from nerspec.paths import StatePaths
from nerspec.state import migrations, open_store
from nerspec.state.sqlite_connection import open_connection, read_only_rows


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
    fifo = tmp_path / "state.db"
    os.mkfifo(fifo)
    assert read_only_rows(fifo, "SELECT 1") is None  # at once: opening a pipe for reading would wait for a writer


MODELS = "SELECT fingerprint FROM models ORDER BY fingerprint"


def _nerspec_state(folder: Path) -> Path:
    """A state nerspec wrote (WAL mode, every migration) recording model ``a...``, closed: no -wal, no -shm."""
    from nerspec.state.store import ModelRecord

    with open_store(StatePaths(folder)) as store:
        store.record_model(ModelRecord("tiny", "a" * 24, "2026-01-01T00:00:00+00:00", "d", str(folder / "models")))
    return folder / "state.db"


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def _open_files_of(db: Path) -> list[str]:
    """This process's open files that are ``db`` or beside it (its -wal, -shm)."""
    fds = Path("/proc/self/fd")
    targets = [os.path.realpath(fd) for fd in fds.iterdir()] if fds.is_dir() else []
    return [t for t in targets if t.startswith(str(db.resolve()))]


def test_a_quiet_wal_state_is_read_leaving_its_directory_as_it_was_and_nothing_open(tmp_path: Path) -> None:
    db = _nerspec_state(tmp_path / "demo")
    assert db.read_bytes()[18:20] == b"\x02\x02" and sorted(_listing(db.parent)) == ["state.db"]
    before = _listing(db.parent)
    assert read_only_rows(db, MODELS) == [("a" * 24,)]
    assert _listing(db.parent) == before  # no -wal, no -shm, the file untouched
    assert _open_files_of(db) == []


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A nerspec state another process has open and has written to since its last checkpoint."""
    db = _nerspec_state(tmp_path / "demo")
    conn = open_connection(db)
    conn.execute("INSERT INTO models (fingerprint, project, created, data_fingerprint, model_dir) "
                 "VALUES (?, 'tiny', 'now', 'd', 'm')", ("b" * 24,))
    try:
        yield conn
    finally:
        conn.close()


def test_a_state_a_writer_has_open_is_read_as_committed_without_a_file_added(writer: sqlite3.Connection,
                                                                             tmp_path: Path) -> None:
    db = tmp_path / "demo" / "state.db"
    assert sorted(_listing(db.parent)) == ["state.db", "state.db-shm", "state.db-wal"]
    writer.execute("BEGIN IMMEDIATE")  # and is in a write transaction now
    writer.execute("DELETE FROM models")
    names = sorted(_listing(db.parent))
    assert read_only_rows(db, MODELS) == [("a" * 24,), ("b" * 24,)]  # in the WAL: committed, read
    assert sorted(_listing(db.parent)) == names
    writer.execute("COMMIT")  # never blocked by the reader
    assert read_only_rows(db, MODELS) == []
    writer.close()  # (SQLite defers closing a file another connection of the process holds a lock on)
    assert _open_files_of(db) == [] and sorted(_listing(db.parent)) == ["state.db"]


def test_a_linked_state_is_read_beside_its_file_where_its_writer_keeps_the_wal(writer: sqlite3.Connection,
                                                                              tmp_path: Path) -> None:
    """Looked for beside the link, the -wal is absent: the file would be opened immutable and the writer's
    committed rows silently missed."""
    link = tmp_path / "elsewhere" / "state.db"
    link.parent.mkdir()
    link.symlink_to(tmp_path / "demo" / "state.db")
    assert read_only_rows(link, MODELS) == [("a" * 24,), ("b" * 24,)]
    assert sorted(_listing(link.parent)) == ["state.db"]


def test_a_wal_without_its_shm_is_not_read_and_no_shm_is_made(writer: sqlite3.Connection, tmp_path: Path) -> None:
    """A -wal alone (a writer in exclusive locking mode, or a -shm removed): a reader would create the -shm, or wait
    on the writer: unknown, at once, and the directory as it was."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("state.db", "state.db-wal"):
        shutil.copy(tmp_path / "demo" / name, copy / name)
    before = _listing(copy)
    assert read_only_rows(copy / "state.db", MODELS) is None
    assert _listing(copy) == before


def test_a_writer_in_exclusive_locking_mode_makes_the_state_unknown(tmp_path: Path) -> None:
    db = _nerspec_state(tmp_path / "demo")
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("DELETE FROM models")
        before = _listing(db.parent)
        assert read_only_rows(db, MODELS) is None
        assert _listing(db.parent) == before
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes in any directory")
def test_a_state_in_a_directory_this_user_may_not_write_is_read(tmp_path: Path) -> None:
    db = _nerspec_state(tmp_path / "demo")
    db.parent.chmod(0o555)
    try:
        assert read_only_rows(db, MODELS) == [("a" * 24,)]  # a mode=ro reader would need to create -wal and -shm
        assert sorted(_listing(db.parent)) == ["state.db"]
    finally:
        db.parent.chmod(0o755)
