"""Recorded split sides (``nerspec.state.split_sides``) through both stores: added, never changed, per setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nerspec.state.postgres import PostgresStore
from nerspec.state.sqlite import SqliteStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    s: Any = SqliteStore(tmp_path / "state.db") if request.param == "sqlite" else PostgresStore(
        request.getfixturevalue("pg_url"))
    yield s
    s.close()


def test_recorded_sides_are_only_ever_added(store: Any) -> None:
    assert store.recorded_split("tickets", "k1") == {}
    store.record_split("tickets", "k1", {"a": True, "b": False})
    store.record_split("tickets", "k1", {"a": False, "c": True})  # a keeps its side; c is added
    store.record_split("tickets", "k2", {"a": False})
    store.record_split("other", "k1", {"z": True})
    store.record_split("tickets", "k1", {})
    assert store.recorded_split("tickets", "k1") == {"a": True, "b": False, "c": True}
    assert store.recorded_split("tickets", "k2") == {"a": False}
    assert store.recorded_split("other", "k1") == {"z": True}
    assert store.recorded_splits("tickets") == {"k1": {"a": True, "b": False, "c": True}, "k2": {"a": False}}
