"""Monitoring tables on both backends: settings, batched documents, windows (since / last), expiry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nerspec.state.monitoring import MonitoredDocument, Predicted
from nerspec.state.sqlite import SqliteStore


def _doc(i: int, at: float, *, deployment: str = "production", text: str | None = None) -> MonitoredDocument:
    return MonitoredDocument("people", deployment, "fp1", at, f"d{i}", "en", 10 + i, 3, 1,
                             (Predicted("PERSON", 0.75, 0, 5), Predicted("CITY", 0.5, 6, 9)), at + 100, text)


def _exercise(store: Any) -> None:
    store.record_monitoring_settings("people", "production", {"sample": 1.0, "store_texts": True}, 1.0)
    store.record_monitoring_settings("people", "staging", {"sample": 0.5}, 1.0)
    store.record_monitoring_settings("people", "staging", None, 2.0)
    assert store.monitoring_settings() == {("people", "production"): {"sample": 1.0, "store_texts": True}}

    store.record_monitoring_documents([_doc(i, 1000.0 + i, text=f"text {i}") for i in range(5)])
    store.record_monitoring_documents([_doc(9, 1000.0, deployment="staging")])
    window = store.monitoring_documents("people", "production")
    assert [d.doc_id for d in window] == ["d0", "d1", "d2", "d3", "d4"]
    assert window[0].predictions == (Predicted("PERSON", 0.75, 0, 5), Predicted("CITY", 0.5, 6, 9))
    assert window[0].text == "text 0" and window[0].id > 0
    assert [d.doc_id for d in store.monitoring_documents("people", "production", last=2)] == ["d3", "d4"]
    assert [d.doc_id for d in store.monitoring_documents("people", "production", since=1003.0)] == ["d3", "d4"]
    assert store.monitoring_documents("people", "production", texts=False)[0].text is None
    assert store.monitoring_counts() == {("people", "production"): 5, ("people", "staging"): 1}

    assert store.monitoring_expire(1102.5) == 4  # expires = at + 100: d0, d1, d2 and staging's d9
    assert [d.doc_id for d in store.monitoring_documents("people", "production")] == ["d3", "d4"]


def test_sqlite(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    _exercise(store)
    store.close()


def test_postgres(pg_url: str) -> None:
    from nerspec.state.postgres import PostgresStore

    store = PostgresStore(pg_url)
    _exercise(store)
    store.close()


def test_rows_not_written_by_nerspec_are_state_errors_naming_them(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    from nerspec.errors import StateError

    store = SqliteStore(tmp_path / "state.db")
    store.record_monitoring_documents([_doc(1, 1000.0)])
    store.close()
    malformed = [("UPDATE monitoring_documents SET predictions = ?", (p,)) for p in (
        "not json", '[["PERSON", 0.5, 0]]', '[["PERSON", "high", 0, 5]]', '[["P", 0.5, "0", 5]]', "7")]
    malformed.append(("UPDATE monitoring_documents SET predictions = '[]', length = 9e999", ()))  # int(inf)
    for statement, args in malformed:
        db = sqlite3.connect(tmp_path / "state.db")
        with db:
            db.execute(statement, args)
        db.close()
        store = SqliteStore(tmp_path / "state.db")
        with pytest.raises(StateError, match=r"logged document \d+ of people/production is malformed"):
            store.monitoring_documents("people", "production")
        store.close()
    db = sqlite3.connect(tmp_path / "state.db")
    with db:
        db.execute("UPDATE monitoring_documents SET predictions = '[]', text = ?", (b"\xff",))
    db.close()
    store = SqliteStore(tmp_path / "state.db")
    with pytest.raises(StateError, match="not text"):
        store.monitoring_documents("people", "production")
    store.close()
    db = sqlite3.connect(tmp_path / "state.db")
    with db:
        db.execute("INSERT INTO monitoring_settings VALUES ('people', 'production', '[1]', 1.0)")
    db.close()
    store = SqliteStore(tmp_path / "state.db")
    with pytest.raises(StateError, match="monitoring settings of people/production are not a JSON object"):
        store.monitoring_settings()
    store.close()
