"""A span categorizer (`overlapping: true`) served: the native endpoint and the reference's jobs API (whose answers
may hold overlapping entities) return nested entities, with the same confidences as `nerspec predict`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nerspec.paths import StatePaths
from tests.serve.conftest import API_KEY, API_KEY_ENV, Server, run_server

pytestmark = pytest.mark.slow

TEXT = "Grace Lee works at the Bank of Oslo since May."


@pytest.fixture(scope="module")
def nested_server(spans_model: tuple[Path, Path, Any]) -> Iterator[Server]:
    from nerspec.serve.app import create_app

    os.environ[API_KEY_ENV] = API_KEY
    paths = StatePaths(spans_model[1])
    yield from run_server(create_app(paths, api_key_env=API_KEY_ENV, workers=1, poll_interval=0.05), paths)


def _found(entities: list[Any]) -> set[tuple[str, str, int, int]]:
    return {(e["text"], e["category"], e["offset"], e["length"]) for e in entities}


def test_the_native_endpoint_answers_nested_entities(nested_server: Server, spans_model: tuple[Path, Path, Any]) -> None:
    from nerspec.predict import load
    from nerspec.predictions import to_json

    response = httpx.post(f"{nested_server.url}/projects/nested/deployments/production:analyze",
                          json={"documents": [{"id": "1", "text": TEXT, "language": "en"}]},
                          headers={"Ocp-Apim-Subscription-Key": API_KEY}, timeout=30)
    assert response.status_code == 200, response.text
    [document] = response.json()["documents"]
    assert {("Bank of Oslo", "ORG", 23, 12), ("Oslo", "LOC", 31, 4)} <= _found(document["entities"])
    # The same entities and confidences as the one prediction path (`nerspec predict`).
    [predicted] = [to_json(p) for p in load(spans_model[2].path).predict([TEXT])]
    assert sorted((e["offset"], e["length"], e["category"], e["confidenceScore"]) for e in document["entities"]) == \
        sorted((e["offset"], e["length"], e["category"], e["confidenceScore"]) for e in predicted)


def test_the_jobs_api_answers_nested_entities(nested_server: Server) -> None:
    from azure.ai.textanalytics import TextAnalyticsClient
    from azure.core.credentials import AzureKeyCredential

    client = TextAnalyticsClient(nested_server.url, AzureKeyCredential(API_KEY))
    poller = client.begin_recognize_custom_entities([TEXT], project_name="nested", deployment_name="production",
                                                    polling_interval=1)
    [result] = list(poller.result())
    assert not result.is_error
    found = {(e.text, e.category, e.offset, e.length) for e in result.entities}
    assert {("Bank of Oslo", "ORG", 23, 12), ("Oslo", "LOC", 31, 4)} <= found
    assert all(0.0 <= e.confidence_score <= 1.0 for e in result.entities)
