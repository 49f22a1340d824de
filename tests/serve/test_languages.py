"""A multilingual model served: per-document `language` picks the tokenizer, and a language the project does
not cover is analyzed with a per-document warning (native endpoint and jobs API), never a request error."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nerspec.paths import StatePaths
from tests.serve.conftest import (
    ADMIN_TOKEN,
    ADMIN_TOKEN_ENV,
    API_KEY,
    API_KEY_ENV,
    Server,
    deploy,
    run_server,
    write_artifact,
)

TRAIN = [
    ("Anna Müller wohnt in Köln.", [("Anna Müller", "PERSON"), ("Köln", "CITY")]),
    ("Alice Smith lives in Paris.", [("Alice Smith", "PERSON"), ("Paris", "CITY")]),
    ("Иван Петров живёт в Москве.", [("Иван Петров", "PERSON"), ("Москве", "CITY")]),
    ("Bob Jones moved to Berlin.", [("Bob Jones", "PERSON"), ("Berlin", "CITY")]),
]


def _xx_model() -> Any:
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("xx")
    ner = nlp.add_pipe("ner")
    for label in ("PERSON", "CITY"):
        ner.add_label(label)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": [(t.index(s), t.index(s) + len(s), label) for s, label in ents]})
                for t, ents in TRAIN]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(40):
        rng.shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.1)
    return nlp


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from nerspec.serve.app import create_app

    os.environ[API_KEY_ENV] = API_KEY
    os.environ[ADMIN_TOKEN_ENV] = ADMIN_TOKEN
    paths = StatePaths(Path(tmp_path_factory.mktemp("ml-state")))
    write_artifact(paths, _xx_model(), "e5" * 10, "multi", "NERProject", labels=["PERSON", "CITY"],
                   meta_extra={"multilingual": True, "languages": ["en", "de", "ru"]})
    deploy(paths, "multi", "production", "e5" * 10)
    app = create_app(paths, api_key_env=API_KEY_ENV, admin_token_env=ADMIN_TOKEN_ENV, workers=1, poll_interval=0.05)
    yield from run_server(app, paths)


def test_native_endpoint_warns_per_document_for_an_uncovered_language(server: Server) -> None:
    docs = [{"id": "de", "text": "Anna Müller wohnt in Köln.", "language": "de"},
            {"id": "fr", "text": "Alice Smith habite à Paris.", "language": "fr"},
            {"id": "ru", "text": "Иван Петров живёт в Москве.", "language": "ru-ru"}]
    with httpx.Client(base_url=server.url, headers={"Ocp-Apim-Subscription-Key": API_KEY}, timeout=30) as http:
        response = http.post("/projects/multi/deployments/production:analyze", json={"documents": docs})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errors"] == []
    by_id = {d["id"]: d for d in body["documents"]}
    assert list(by_id) == ["de", "fr", "ru"]
    assert by_id["de"]["warnings"] == [] and by_id["ru"]["warnings"] == []
    (warning,) = by_id["fr"]["warnings"]
    assert warning["code"] == "UnsupportedLanguageCode" and "(en, de, ru)" in warning["message"]
    assert any(e["text"] == "Anna Müller" for e in by_id["de"]["entities"])


def test_jobs_api_warns_per_document_for_an_uncovered_language(server: Server) -> None:
    from azure.ai.textanalytics import TextAnalyticsClient
    from azure.core.credentials import AzureKeyCredential

    client = TextAnalyticsClient(server.url, AzureKeyCredential(API_KEY))
    docs = [{"id": "1", "text": "Anna Müller wohnt in Köln.", "language": "de"},
            {"id": "2", "text": "Alice Smith habite à Paris.", "language": "fr"}]
    poller = client.begin_recognize_custom_entities(docs, project_name="multi", deployment_name="production",
                                                    polling_interval=1)
    results = list(poller.result())
    assert [r.is_error for r in results] == [False, False]
    assert results[0].warnings == [] and [w.code for w in results[1].warnings] == ["UnsupportedLanguageCode"]
