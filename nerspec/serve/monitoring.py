"""Opt-in logging of analysed documents for the deployments whose manifest entry has ``monitoring``.

The request path does one dictionary lookup (is this deployment monitored?), a sampling draw and an O(1) hand-over
to a ``BatchRecorder``; words, unseen-word counts and the rows are computed and written on the recorder's thread,
in batches, to the state store. Which deployments are monitored is what ``apply`` recorded in the state
(``monitoring_settings``), re-read every ``refresh_s``; a deployment without settings logs nothing at all. The text
is stored only with ``store_texts``. Rows expire after ``retention_days``; the server removes expired rows once an
hour and ``nerspec gc`` does too.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nerspec.paths import StatePaths
from nerspec.predictions import Prediction
from nerspec.serve.recorder import BatchRecorder
from nerspec.state.monitoring import MonitoredDocument, Predicted

if TYPE_CHECKING:
    from nerspec.serve.limits import Checked
    from nerspec.serve.registry import Loaded
    from nerspec.state.store import Store

log = logging.getLogger("nerspec.serve")
EXPIRE_EVERY_S = 3600.0
DAY_S = 86400.0
# Queued documents hold their texts until written: a store slower than the traffic drops beyond this much.
MAX_QUEUED_BYTES = 256 * 1024**2


@dataclass(frozen=True)
class Observed:
    """One analysed document as the request hands it over (code-point offsets)."""

    project: str
    deployment: str
    fingerprint: str
    model_dir: Path
    at: float
    doc_id: str
    text: str
    language: str | None
    predictions: Prediction
    store_text: bool
    retention_days: float


def predicted(items: Prediction) -> tuple[Predicted, ...]:
    return tuple(Predicted(item.category, round(item.confidence, 4), item.offset,
                           item.end if item.is_entity and item.length is not None else None) for item in items)


def _weight(o: Observed) -> int:
    return 4 * len(o.text) + 512  # a str takes up to 4 bytes a character; the record and its predictions


def document_row(o: Observed, vocabulary: frozenset[str] | None) -> MonitoredDocument:
    """The features of one observed document, as logged (the text only with ``store_text``)."""
    from nerspec.languages import base
    from nerspec.vocabulary import unseen, words

    tokens = words(o.text)
    return MonitoredDocument(
        o.project, o.deployment, o.fingerprint, o.at, o.doc_id, base(o.language) if o.language else None,
        len(o.text), len(tokens), unseen(tokens, vocabulary) if vocabulary is not None else None,
        predicted(o.predictions), o.at + o.retention_days * DAY_S, o.text if o.store_text else None)


@dataclass(frozen=True)
class Settings:
    """A deployment's recorded ``monitoring`` block, as the request path reads it."""

    sample: float
    store_texts: bool
    retention_days: float


def parse_settings(recorded: object) -> Settings | None:
    """The settings a row records, or None when the row is not what ``apply`` writes (edited by hand, another
    tool): such a deployment is not logged, rather than every request to it failing."""
    if not isinstance(recorded, dict):
        return None
    sample, texts, days = (recorded.get("sample", 1.0), recorded.get("store_texts", False),
                           recorded.get("retention_days", 30))
    numbers = all(isinstance(n, int | float) and not isinstance(n, bool) for n in (sample, days))
    if not numbers or not isinstance(texts, bool) or not 0.0 < sample <= 1.0 or not 1 <= days <= 3650:
        return None
    return Settings(float(sample), texts, float(days))


class Observer(Protocol):
    """What an analysis hands its documents to: the hub, or the hub without the texts."""

    def observe(self, loaded: Loaded, checked: Checked, predictions: list[Prediction]) -> None: ...


@dataclass(frozen=True)
class TextsWithheld:
    """The hub for a request that opted out of logging (the jobs API's ``loggingOptOut``): a monitored deployment
    logs its features and predictions, never its texts (``store_texts`` or not)."""

    hub: MonitoringHub

    def observe(self, loaded: Loaded, checked: Checked, predictions: list[Prediction]) -> None:
        self.hub.observe(loaded, checked, predictions, texts=False)


class MonitoringHub:
    def __init__(self, paths: StatePaths, *, refresh_s: float = 2.0, max_rows: int = 500, max_seconds: float = 1.0,
                 max_queue: int = 50_000, max_bytes: int = MAX_QUEUED_BYTES) -> None:
        self.paths = paths
        self.refresh_s = refresh_s
        self._settings: dict[tuple[str, str], Settings] = {}
        self._refused: dict[tuple[str, str], str] = {}  # the malformed row already warned about, per deployment
        self._vocabularies: dict[str, frozenset[str] | None] = {}
        self._local = threading.local()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_expiry = 0.0
        self.recorder: BatchRecorder[Observed] = BatchRecorder(self._write, max_rows=max_rows,
                                                               max_seconds=max_seconds, max_queue=max_queue,
                                                               name="nerspec-monitoring", weigh=_weight,
                                                               max_bytes=max_bytes)

    # -- request path ---------------------------------------------------------------------------------------
    def observe(self, loaded: Loaded, checked: Checked, predictions: list[Prediction], *,
                texts: bool = True) -> None:
        """Hand the request's documents to the writer (``texts=False``: never their texts, whatever the settings)."""
        settings = self._settings.get((loaded.project, loaded.deployment))
        if settings is None:
            return
        sample = settings.sample
        now = time.time()
        for position, ((_, doc_id, text), items) in enumerate(zip(checked.valid, predictions)):
            if sample < 1.0 and random.random() >= sample:
                continue
            language = checked.languages[position] if position < len(checked.languages) else None
            self.recorder.record(Observed(
                loaded.project, loaded.deployment, loaded.fingerprint, loaded.model_dir, now, doc_id, text,
                language or loaded.language, items, settings.store_texts and texts, settings.retention_days))

    # -- background -----------------------------------------------------------------------------------------
    def _store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            from nerspec.state import open_store

            store = self._local.store = open_store(self.paths, create=False)
        return store

    def refresh(self) -> None:
        """Re-read which deployments are monitored (and expire old rows once an hour)."""
        if not self.paths.shared and not self.paths.db.is_file():
            self._settings = {}
            return
        try:
            store = self._store()
            self._settings = self._parsed(store.monitoring_settings_as_written())  # one bad row: that one off
            if time.time() - self._last_expiry > EXPIRE_EVERY_S:
                self._last_expiry = time.time()
                store.monitoring_expire(time.time())
        except Exception as exc:  # the database is unreachable: keep the last settings, try again
            log.warning("cannot read the monitoring settings from %s: %s", self.paths.describe(), exc)
            self._close_store()

    def _parsed(self, recorded: dict[tuple[str, str], Any]) -> dict[tuple[str, str], Settings]:
        parsed = {}
        for (project, deployment), row in recorded.items():
            settings = parse_settings(row)
            if settings is not None:
                parsed[project, deployment] = settings
            elif self._refused.get((project, deployment)) != repr(row):
                self._refused[project, deployment] = repr(row)
                log.warning("%s/%s is not monitored: its recorded monitoring settings are malformed (%.200r); "
                            "`nerspec apply` records them again", project, deployment, row)
        return parsed

    def _vocabulary(self, model_dir: Path) -> frozenset[str] | None:
        key = str(model_dir)
        if key not in self._vocabularies:
            from nerspec.artifacts.layout import read_vocabulary

            self._vocabularies[key] = read_vocabulary(model_dir)
        return self._vocabularies[key]

    def _row(self, o: Observed) -> MonitoredDocument:
        return document_row(o, self._vocabulary(o.model_dir))

    def _write(self, batch: list[Observed]) -> None:
        rows = [self._row(o) for o in batch]
        try:
            self._store().record_monitoring_documents(rows)
        except Exception:
            self._close_store()
            raise

    def _close_store(self) -> None:
        store = getattr(self._local, "store", None)
        self._local.store = None
        if store is not None:
            try:
                store.close()
            except Exception:
                pass

    def start(self) -> None:
        self.refresh()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="nerspec-monitoring-settings", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.refresh_s):
            self.refresh()
        self._close_store()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.recorder.close()

    def counters(self) -> dict[str, float]:
        return {"recorded": float(self.recorder.recorded), "dropped": float(self.recorder.dropped),
                "failed": float(self.recorder.failed)}
