"""Rows of the state that nerspec did not write (edited by hand, another tool, a damaged database) never make a
real `nerspec serve` answer 500, nor serve a model the state does not stage: a malformed monitoring row turns
monitoring off for its deployment, a rollout row that cannot be used stages nothing."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nerspec.paths import StatePaths
from tests.serve.conftest import Models, make_state, run_server

ANALYZE = "/projects/people/deployments/production:analyze"
DOCUMENTS = {"documents": [{"id": str(i), "text": "Alice Smith moved to Paris last year."} for i in range(8)]}


def _serve(paths: StatePaths) -> Iterator[httpx.Client]:
    from nerspec.serve.app import create_app

    app = create_app(paths, workers=1, poll_interval=0.05)
    for server in run_server(app, paths):
        with httpx.Client(base_url=server.url, timeout=30) as client:
            client.app = app  # type: ignore[attr-defined]  # the tests look at the server's rollouts
            yield client


def _sql(paths: StatePaths, statement: str, *args: object) -> None:
    db = sqlite3.connect(paths.db)
    try:
        with db:
            db.execute(statement, args)
    finally:
        db.close()


@pytest.mark.parametrize("settings", ['{"sample": "abc"}', '{"sample": null}', "[1, 2]", '"on"',
                                      '{"retention_days": "x"}', '{"sample": 0.5, "store_texts": "yes"}'])
def test_a_malformed_monitoring_row_turns_monitoring_off_not_every_request_500(
        trained: Models, tmp_path: Path, settings: str) -> None:
    paths = make_state(trained, tmp_path / "state")
    _sql(paths, "INSERT INTO monitoring_settings VALUES ('people', 'production', ?, ?)", settings, time.time())
    for client in _serve(paths):
        response = client.post(ANALYZE, json=DOCUMENTS)
        assert response.status_code == 200, response.text
        assert response.json()["documents"][0]["entities"]
    db = sqlite3.connect(paths.db)
    assert db.execute("SELECT COUNT(*) FROM monitoring_documents").fetchone() == (0,)
    db.close()


def test_a_malformed_row_turns_off_its_own_deployment_only_and_the_others_follow_apply(trained: Models,
                                                                                      tmp_path: Path) -> None:
    """The whole table was refused for one bad row: the server kept its last settings (none at start), so a
    deployment that `apply` turned to features only went on storing texts."""
    paths = make_state(trained, tmp_path / "state")
    _sql(paths, "INSERT INTO monitoring_settings VALUES ('other', 'web', '[1, 2]', ?)", time.time())
    _sql(paths, "INSERT INTO monitoring_settings VALUES ('people', 'production', ?, ?)",
         json.dumps({"store_texts": True, "sample": 1.0, "retention_days": 3}), time.time())
    for client in _serve(paths):
        assert client.post(ANALYZE, json=DOCUMENTS).status_code == 200
        _sql(paths, "UPDATE monitoring_settings SET settings = ? WHERE project = 'people'",
             json.dumps({"store_texts": False, "sample": 1.0, "retention_days": 3}))
        hub = client.app.state.nerspec.monitoring  # type: ignore[attr-defined]
        hub.refresh()
        assert client.post(ANALYZE, json=DOCUMENTS).status_code == 200
    db = sqlite3.connect(paths.db)
    rows = db.execute("SELECT text IS NOT NULL, COUNT(*) FROM monitoring_documents GROUP BY 1 ORDER BY 1").fetchall()
    db.close()
    assert rows == [(0, 8), (1, 8)]  # texts while declared, none once apply turned them off


def test_a_wellformed_monitoring_row_still_logs(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    _sql(paths, "INSERT INTO monitoring_settings VALUES ('people', 'production', ?, ?)",
         json.dumps({"store_texts": False, "sample": 1.0, "retention_days": 3}), time.time())
    for client in _serve(paths):
        assert client.post(ANALYZE, json=DOCUMENTS).status_code == 200
    db = sqlite3.connect(paths.db)
    assert db.execute("SELECT COUNT(*), MIN(expires - at) FROM monitoring_documents").fetchone() == (8, 3 * 86400)
    db.close()


def _stage(paths: StatePaths, rollout_id: str, candidate: str, weight: object = 0.99) -> None:
    _sql(paths, "DELETE FROM rollouts")
    _sql(paths, "INSERT INTO rollouts (id, project, deployment, candidate, production, strategy, weight, started) "
         "VALUES (?, 'people', 'production', ?, ?, 'canary', ?, '2024-01-01T00:00:00Z')",
         rollout_id, candidate, "a1" * 10, weight)


def _answered_by(client: httpx.Client) -> set[str]:
    response = client.post(ANALYZE, json=DOCUMENTS)
    assert response.status_code == 200, response.text
    documents = response.json()["documents"]
    assert all("entities" in d and "classes" not in d for d in documents)
    return {d.get("modelFingerprint", response.json()["modelFingerprint"]) for d in documents}


def _until(client: httpx.Client, wanted: set[str]) -> set[str]:
    deadline = time.monotonic() + 20
    while (answered := _answered_by(client)) != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return answered


def test_a_candidate_of_another_kind_never_answers_for_the_deployment(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    _stage(paths, "r-classifier", trained.single)  # the `topics` text classifier, staged on an NER deployment
    for client in _serve(paths):
        rollouts = client.app.state.nerspec.rollouts  # type: ignore[attr-defined]
        deadline = time.monotonic() + 20
        while rollouts.get("people", "production") is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the server loads the candidate (a recorded model, its files verified) ...
        assert rollouts.get("people", "production").loaded.fingerprint == trained.single
        for _ in range(5):  # ... but production answers every document, with entities
            assert _answered_by(client) == {trained.ner}
        job = client.post("/language/analyze-text/jobs", params={"api-version": "2023-04-01"}, json={
            "analysisInput": DOCUMENTS, "tasks": [{"kind": "CustomEntityRecognition", "parameters": {
                "projectName": "people", "deploymentName": "production"}}]})
        assert job.status_code == 202
        state = client.get(job.headers["operation-location"]).json()
        results = state["tasks"]["items"][0]["results"]
        assert state["status"] == "succeeded" and results["modelFingerprint"] == trained.ner
        assert {d.get("modelFingerprint", trained.ner) for d in results["documents"]} == {trained.ner}
        assert all("entities" in d for d in results["documents"])


def test_a_replaced_rollout_whose_candidate_cannot_load_stops_the_old_candidate(
        trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    _stage(paths, "r1", trained.ner_b)
    for client in _serve(paths):
        assert _until(client, {trained.ner_b}) == {trained.ner_b}  # the canary answers (weight 0.99)
        _stage(paths, "r2", "ee" * 10)  # r1 ended; r2's candidate is not in this state
        assert _until(client, {trained.ner}) == {trained.ner}
        time.sleep(0.3)  # several polls later, still production
        assert _answered_by(client) == {trained.ner}


def test_a_malformed_rollout_row_stages_nothing(trained: Models, tmp_path: Path) -> None:
    paths = make_state(trained, tmp_path / "state")
    _stage(paths, "r1", trained.ner_b)
    for client in _serve(paths):
        assert _until(client, {trained.ner_b}) == {trained.ner_b}
        _sql(paths, "UPDATE rollouts SET weight = 'heavy'")
        assert _until(client, {trained.ner}) == {trained.ner}


def test_a_server_started_over_a_malformed_rollout_row_serves_production(trained: Models, tmp_path: Path) -> None:
    """At start the row's StateError escaped the app's startup: the server did not come up at all."""
    paths = make_state(trained, tmp_path / "state")
    _stage(paths, "r1", trained.ner_b, weight="heavy")
    for client in _serve(paths):
        assert _answered_by(client) == {trained.ner}
