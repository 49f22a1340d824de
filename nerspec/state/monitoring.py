"""Monitoring records in the state store: per-deployment settings and the documents a server logged.

Both backends share this code (``MonitoringTables`` is mixed into ``SqliteStore`` and ``PostgresStore``); only
the placeholder differs. Times are seconds since the epoch (floats), so windows, ordering and expiry are plain
comparisons in either database.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nerspec.errors import StateError

if TYPE_CHECKING:
    from nerspec.state.sql import Connection, JsonObject, Params, Row


@dataclass(frozen=True)
class Predicted:
    """One predicted entity (``start``/``end`` in code points) or class (no offsets), with its confidence."""

    label: str
    confidence: float
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class MonitoredDocument:
    """What ``nerspec serve`` logs for one analysed document of a monitored deployment (``text`` only with
    ``monitoring.store_texts``)."""

    project: str
    deployment: str
    fingerprint: str
    at: float  # seconds since the epoch
    doc_id: str
    language: str | None
    length: int  # characters (code points)
    tokens: int  # words, as nerspec.vocabulary.words counts them
    unseen_tokens: int | None  # words not in the model's training vocabulary (None: the model has no vocabulary)
    predictions: tuple[Predicted, ...]
    expires: float
    text: str | None = None
    id: int = 0  # the row's id (0 before it is stored): the order of documents logged in the same instant


_COLUMNS = ("project, deployment, fingerprint, at, doc_id, language, length, tokens, unseen_tokens, predictions, "
            "expires, text")


def _encode(predictions: tuple[Predicted, ...]) -> str:
    return json.dumps([[p.label, p.confidence, p.start, p.end] for p in predictions], separators=(",", ":"))


def _decode(text: str) -> tuple[Predicted, ...]:
    decoded = []
    for label, conf, start, end in json.loads(text):
        if not all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (start, end)):
            raise ValueError(f"offsets {start!r:.20}, {end!r:.20} are not integers")
        decoded.append(Predicted(str(label), float(conf), start, end))
    return tuple(decoded)


def _row(d: MonitoredDocument) -> tuple[object, ...]:
    return (d.project, d.deployment, d.fingerprint, d.at, d.doc_id, d.language, d.length, d.tokens,
            d.unseen_tokens, _encode(d.predictions), d.expires, d.text)


def _document(row: Row) -> MonitoredDocument:
    """A logged row; ``StateError`` naming the row for one that ``nerspec serve`` did not write (edited by hand)."""
    (row_id, project, deployment, fingerprint, at, doc_id, language, length, tokens, unseen, predictions, expires,
     text) = row
    try:
        if not all(isinstance(v, str) for v in (fingerprint, doc_id)) or not all(
                v is None or isinstance(v, str) for v in (language, text)):
            raise ValueError("an id, language or text that is not text")
        return MonitoredDocument(project, deployment, fingerprint, float(at), doc_id, language, int(length),
                                 int(tokens), None if unseen is None else int(unseen), _decode(predictions),
                                 float(expires), text, int(row_id))
    except (ValueError, TypeError, OverflowError) as exc:  # JSONDecodeError; int() of a REAL inf
        raise StateError(f"logged document {row_id} of {project}/{deployment} is malformed ({exc}); it was not "
                         f"written by `nerspec serve`: delete it (monitoring_documents, id {row_id})") from None


def _as_written(text: object) -> object:
    try:
        return json.loads(text)  # type: ignore[arg-type]  # a blob or a number is a TypeError: kept as it is
    except (ValueError, TypeError, RecursionError):
        return text


def _settings(project: str, deployment: str, text: str) -> JsonObject:
    settings = _as_written(text)
    if not isinstance(settings, dict):
        raise StateError(f"the monitoring settings of {project}/{deployment} are not a JSON object ({text!r:.80}); "
                         "they were not written by `nerspec apply`: delete that monitoring_settings row")
    return settings


class MonitoringTables:
    """The ``record_monitoring_*`` / ``monitoring_*`` methods of a store (needs ``_tx`` and ``_rows``)."""

    _placeholder = "?"

    def _tx(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _rows(self, sql: str, args: Params = ()) -> list[Row]:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql.replace("?", self._placeholder)

    def record_monitoring_settings(self, project: str, deployment: str, settings: JsonObject | None,
                                   at: float) -> None:
        """What ``apply`` declared for a deployment's monitoring (None: not monitored; its logged rows stay until
        they expire)."""
        with self._tx() as c:
            c.execute(self._sql("DELETE FROM monitoring_settings WHERE project = ? AND deployment = ?"),
                      (project, deployment))
            if settings is not None:
                c.execute(self._sql("INSERT INTO monitoring_settings (project, deployment, settings, updated) "
                                    "VALUES (?, ?, ?, ?)"), (project, deployment, json.dumps(settings), at))

    def monitoring_settings(self) -> dict[tuple[str, str], JsonObject]:
        rows = self._rows("SELECT project, deployment, settings FROM monitoring_settings")
        return {(project, deployment): _settings(project, deployment, text) for project, deployment, text in rows}

    def monitoring_settings_as_written(self) -> dict[tuple[str, str], object]:
        """Every row's settings as its JSON reads, whatever it holds (its text when it is not JSON): for the server,
        which turns a malformed row off alone, where ``monitoring_settings`` refuses the whole table."""
        rows = self._rows("SELECT project, deployment, settings FROM monitoring_settings")
        return {(project, deployment): _as_written(text) for project, deployment, text in rows}

    def monitoring_settings_updated(self) -> dict[tuple[str, str], float]:
        """When each deployment's settings were declared (``state migrate`` keeps it)."""
        rows = self._rows("SELECT project, deployment, updated FROM monitoring_settings")
        return {(project, deployment): float(updated) for project, deployment, updated in rows}

    def record_monitoring_documents(self, documents: list[MonitoredDocument]) -> None:
        if not documents:
            return
        marks = ", ".join("?" * len(_COLUMNS.split(", ")))
        with self._tx() as c:
            with closing(c.cursor()) as cur:
                cur.executemany(self._sql(f"INSERT INTO monitoring_documents ({_COLUMNS}) VALUES ({marks})"),
                                [_row(d) for d in documents])

    def monitoring_documents(self, project: str, deployment: str, *, since: float | None = None,
                             last: int | None = None, texts: bool = True) -> list[MonitoredDocument]:
        """The logged documents of one deployment, oldest first: those at or after ``since``, at most the ``last``
        newest. ``texts=False`` leaves the texts in the database (monitor reads features only)."""
        columns = _COLUMNS if texts else _COLUMNS.replace(", text", ", NULL")
        sql = f"SELECT id, {columns} FROM monitoring_documents WHERE project = ? AND deployment = ?"
        args: tuple[object, ...] = (project, deployment)
        if since is not None:
            sql += " AND at >= ?"
            args += (since,)
        sql += " ORDER BY at DESC, id DESC"
        if last is not None:
            sql += " LIMIT ?"
            args += (int(last),)
        return [_document(r) for r in reversed(self._rows(self._sql(sql), args))]

    def monitoring_expire(self, now: float) -> int:
        """Remove logged documents past their retention; returns how many."""
        with self._tx() as c:
            cursor = c.execute(self._sql("DELETE FROM monitoring_documents WHERE expires < ?"), (now,))
            return int(cursor.rowcount or 0)

    def monitoring_counts(self) -> dict[tuple[str, str], int]:
        rows = self._rows("SELECT project, deployment, COUNT(*) FROM monitoring_documents GROUP BY project, deployment")
        return {(p, d): int(n) for p, d, n in rows}
