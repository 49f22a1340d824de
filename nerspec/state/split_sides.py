"""Recorded split sides in the state store (stratified split version 4, ``nerspec.corpus.split_v4``).

Both backends share this code (``SplitSideTables`` is mixed into ``SqliteStore`` and ``PostgresStore``). A row is
one document's side under one split setting (``split_key``: policy version, test fraction, seed). Rows are only
ever added: a recorded side never changes, which is what keeps existing documents in place when data grows.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, closing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.state.sql import Connection, Params, Row


class SplitSideTables:
    """``recorded_split`` / ``record_split`` of a store (needs ``_tx``, ``_rows`` and ``_sql``)."""

    def _tx(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _rows(self, sql: str, args: Params = ()) -> list[Row]:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        raise NotImplementedError

    def recorded_split(self, project: str, split_key: str) -> dict[str, bool]:
        """Document id -> in test, for every document recorded under this split setting."""
        rows = self._rows(self._sql("SELECT doc_id, test FROM split_sides WHERE project = ? AND split_key = ?"),
                          (project, split_key))
        return {doc_id: bool(test) for doc_id, test in rows}

    def recorded_splits(self, project: str) -> dict[str, dict[str, bool]]:
        """Every split setting's recorded sides for a project (``state migrate`` copies them)."""
        out: dict[str, dict[str, bool]] = {}
        for key, doc_id, test in self._rows(self._sql("SELECT split_key, doc_id, test FROM split_sides WHERE project = ?"),
                                            (project,)):
            out.setdefault(key, {})[doc_id] = bool(test)
        return out

    def record_split(self, project: str, split_key: str, sides: dict[str, bool]) -> None:
        """Add the sides of documents not yet recorded; a recorded side is kept as it is."""
        if not sides:
            return
        sql = self._sql("INSERT INTO split_sides (project, split_key, doc_id, test) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (project, split_key, doc_id) DO NOTHING")
        with self._tx() as c:
            with closing(c.cursor()) as cur:
                cur.executemany(sql, [(project, split_key, doc_id, int(test)) for doc_id, test in sorted(sides.items())])
