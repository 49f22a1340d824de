"""The server's monitoring hub on a real SQLite state: only deployments with settings, sampling, texts only when
asked, unseen words against the artifact's vocabulary, expiry."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nerspec.paths import StatePaths
from nerspec.predictions import PredictedLabel
from nerspec.serve.limits import Checked
from nerspec.serve.monitoring import MonitoringHub
from nerspec.state import open_store


@dataclass(frozen=True)
class _Loaded:  # the fields of serve.registry.Loaded the hub reads
    project: str
    deployment: str
    fingerprint: str
    model_dir: Path
    language: str | None = "en"


def test_logs_only_what_the_state_asks_for(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path / "state")
    artifact = tmp_path / "model"
    artifact.mkdir()
    (artifact / "vocabulary.json").write_text(json.dumps({"version": 1, "words": ["alice", "lives", "in", "paris"]}))
    store = open_store(paths)
    store.record_monitoring_settings("people", "production", {"store_texts": False, "sample": 1.0,
                                                              "retention_days": 1}, time.time())
    store.record_monitoring_settings("people", "sampled", {"store_texts": True, "sample": 0.5}, time.time())
    hub = MonitoringHub(paths, max_seconds=0.05)
    hub.start()
    texts = [(i, f"d{i}", "Alice lives in Paris with Bob") for i in range(200)]
    checked = Checked(valid=texts, errors=[], languages=["en-us"] * 200)
    entity = [PredictedLabel("PERSON", 0.91234, 0, 5, "Alice")]
    for deployment in ("production", "sampled", "staging"):
        hub.observe(_Loaded("people", deployment, "fp1", artifact), checked, [entity] * 200)
    hub.close()
    counts = store.monitoring_counts()
    assert counts[("people", "production")] == 200 and ("people", "staging") not in counts
    assert 60 < counts[("people", "sampled")] < 140
    row = store.monitoring_documents("people", "production", last=1)[0]
    assert (row.text, row.language, row.length, row.tokens, row.unseen_tokens) == (None, "en", 29, 6, 2)
    assert row.predictions[0].label == "PERSON" and (row.predictions[0].start, row.predictions[0].end) == (0, 5)
    assert row.expires - row.at == 86400
    assert store.monitoring_documents("people", "sampled", last=1)[0].text == "Alice lives in Paris with Bob"
    assert hub.counters()["dropped"] == 0
    assert store.monitoring_expire(time.time() + 2 * 86400) == 200  # production's rows (1 day); sampled keeps 30
    store.close()


def test_a_stalled_store_bounds_the_queued_texts_by_size(tmp_path: Path) -> None:
    """Queued documents hold their texts until written: with the database locked (an apply's transaction, a slow
    PostgreSQL), 50,000 queued documents of 125,000 characters would have been gigabytes. Beyond ``max_bytes`` new
    documents are dropped and counted; serving never waits."""
    import sqlite3

    paths = StatePaths(tmp_path / "state")
    store = open_store(paths)
    store.record_monitoring_settings("people", "production", {"sample": 1.0}, time.time())
    store.close()
    hub = MonitoringHub(paths, max_seconds=0.05, max_bytes=2_000_000)
    hub.start()
    locker = sqlite3.connect(paths.db, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")  # every write of the hub waits (then fails): the queue fills
    try:
        text = "Alice lives in Paris. " * 5_000  # 110,000 characters
        checked = Checked(valid=[(i, f"d{i}", text) for i in range(100)], errors=[], languages=["en"] * 100)
        hub.observe(_Loaded("people", "production", "fp1", tmp_path), checked, [[]] * 100)
        counters = hub.counters()
        assert counters["dropped"] >= 90  # 2 MB holds 4 of them (4 bytes a character, as queued)
        assert hub.recorder.pending <= 5
    finally:
        locker.rollback()
        locker.close()
        hub.close()


def test_a_job_that_opts_out_of_logging_never_has_its_texts_stored(trained: Any, tmp_path: Path) -> None:
    """The jobs API's `loggingOptOut: true` was ignored: a deployment monitored with `store_texts` stored the
    texts of a client that had asked for them not to be logged."""
    import httpx

    from nerspec.serve.app import create_app
    from tests.serve.conftest import make_state, run_server

    paths = make_state(trained, tmp_path / "state")
    store = open_store(paths)
    store.record_monitoring_settings("people", "production", {"store_texts": True, "sample": 1.0}, time.time())
    store.close()

    def job(doc_id: str, opt_out: bool | None) -> dict[str, Any]:
        parameters = {"projectName": "people", "deploymentName": "production", "loggingOptOut": opt_out}
        return {"analysisInput": {"documents": [{"id": doc_id, "text": f"Alice Smith moved to Paris ({doc_id})."}]},
                "tasks": [{"kind": "CustomEntityRecognition", "parameters": parameters}]}

    app = create_app(paths, workers=1, poll_interval=0.05)
    for server in run_server(app, paths):
        with httpx.Client(base_url=server.url, params={"api-version": "2023-04-01"}, timeout=30) as http:
            for doc_id, opt_out in (("private", True), ("public", None)):
                submitted = http.post("/language/analyze-text/jobs", json=job(doc_id, opt_out))
                assert http.get(submitted.headers["operation-location"]).json()["status"] == "succeeded"
    store = open_store(paths)  # the server wrote what was queued when it stopped
    logged = {d.doc_id: d for d in store.monitoring_documents("people", "production")}
    store.close()
    assert logged["private"].text is None and logged["private"].predictions  # features, never the text
    assert logged["public"].text == "Alice Smith moved to Paris (public)."
