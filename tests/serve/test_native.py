"""The native endpoint, listings, health, metrics, limits and error bodies against a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.serve.conftest import API_KEY, Server

ANALYZE = "/projects/people/deployments/production:analyze"


def analyze(http: httpx.Client, texts: list[str], unit: str | None = None, path: str = ANALYZE) -> httpx.Response:
    params = {"stringIndexType": unit} if unit else {}
    docs = [{"id": str(i), "text": t, "language": "en"} for i, t in enumerate(texts)]
    return http.post(path, json={"documents": docs}, params=params)


def entity(doc: dict[str, Any], text: str) -> dict[str, Any]:
    found = [e for e in doc["entities"] if e["text"] == text]
    assert found, f"{text!r} not in {doc['entities']}"
    return found[0]


def test_predicts_entities_with_the_response_contract(http: httpx.Client, trained: Any) -> None:
    response = analyze(http, ["Alice Smith moved to Paris last year.", "Nothing to see here, just a quiet day."])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["projectName"] == "people" and body["deploymentName"] == "production"
    assert body["modelFingerprint"] == trained.ner and body["errors"] == []
    first = body["documents"][0]
    assert set(first) == {"id", "entities", "warnings"}
    alice = entity(first, "Alice Smith")
    assert alice == {**alice, "category": "PERSON", "offset": 0, "length": 11}
    assert 0.0 <= alice["confidenceScore"] <= 1.0
    assert entity(first, "Paris")["category"] == "CITY"


@pytest.mark.parametrize(
    ("text", "unit", "offset", "length"),
    [
        # 🙂 is one code point, two UTF-16 units, one grapheme.
        ("🙂 Alice Smith flew to Paris.", "UnicodeCodePoint", 2, 11),
        ("🙂 Alice Smith flew to Paris.", "Utf16CodeUnit", 3, 11),
        ("🙂 Alice Smith flew to Paris.", "TextElement_v8", 2, 11),
        # The family emoji is 5 code points (3 people joined by ZWJ), 8 UTF-16 units, 1 grapheme.
        ("👨‍👩‍👧 Bob Jones met Alice Smith in Berlin 🇩🇪.", "UnicodeCodePoint", 20, 11),
        ("👨‍👩‍👧 Bob Jones met Alice Smith in Berlin 🇩🇪.", "Utf16CodeUnit", 23, 11),
        ("👨‍👩‍👧 Bob Jones met Alice Smith in Berlin 🇩🇪.", "TextElement_v8", 16, 11),
    ],
)
def test_emoji_offsets_in_each_string_index_type(http: httpx.Client, text: str, unit: str, offset: int,
                                                 length: int) -> None:
    response = analyze(http, [text], unit)
    assert response.status_code == 200, response.text
    alice = entity(response.json()["documents"][0], "Alice Smith")
    assert (alice["offset"], alice["length"]) == (offset, length)
    if unit == "Utf16CodeUnit":  # what a JavaScript or .NET client would slice
        units = text.encode("utf-16-le")
        assert units[2 * offset: 2 * (offset + length)].decode("utf-16-le") == "Alice Smith"
    if unit == "UnicodeCodePoint":
        assert text[offset: offset + length] == "Alice Smith"


def test_default_index_type_is_utf16(http: httpx.Client) -> None:
    body = analyze(http, ["🙂 Alice Smith flew to Paris."]).json()
    assert entity(body["documents"][0], "Alice Smith")["offset"] == 3


def test_classification_returns_classes(http: httpx.Client, trained: Any) -> None:
    single = analyze(http, ["The team won the championship game last night."],
                     path="/projects/topics/deployments/production:analyze").json()
    classes = single["documents"][0]["classes"]
    assert single["modelFingerprint"] == trained.single
    assert len(classes) == 1 and classes[0]["category"] == "SPORTS" and 0 <= classes[0]["confidenceScore"] <= 1
    multi = analyze(http, ["The minister opened the new stadium for the football club."],
                    path="/projects/tags/deployments/production:analyze").json()
    categories = {c["category"] for c in multi["documents"][0]["classes"]}
    assert {"SPORTS", "POLITICS"} <= categories


def test_listings_health_and_readiness(http: httpx.Client, trained: Any) -> None:
    projects = http.get("/projects").json()["projects"]
    assert {"name": "people", "deployments": ["production", "staging", "swap"]} in projects
    deployments = http.get("/projects/people/deployments").json()["deployments"]
    assert {d["name"]: d["fingerprint"] for d in deployments}["staging"] == trained.ner_b
    assert http.get("/projects/nope/deployments").status_code == 404
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["failures"] == {}


def test_metrics_exposition(http: httpx.Client) -> None:
    analyze(http, ["Bob Jones lives in Berlin."])
    text = http.get("/metrics").text
    assert '# TYPE nerspec_requests_total counter' in text
    assert 'nerspec_requests_total{method="POST",route="/projects/{project}/deployments/{deployment}:analyze",' \
           'status="200"}' in text
    assert "# TYPE nerspec_request_duration_seconds histogram" in text
    assert 'nerspec_request_duration_seconds_bucket{route="/projects/{project}/deployments/{deployment}:analyze",' \
           'le="+Inf"}' in text
    assert 'nerspec_documents_total{project="people",deployment="production",api="native",outcome="analyzed"}' in text
    assert "nerspec_request_errors_total" in text and "nerspec_process_peak_rss_bytes" in text


def _assert_error(response: httpx.Response, status: int, inner: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"] and "Traceback" not in response.text
    if inner:
        assert error["innererror"]["code"] == inner
    return error


def test_limits_are_413(http: httpx.Client) -> None:
    _assert_error(analyze(http, ["Alice"] * 26), 413, "InvalidDocumentBatch")
    _assert_error(analyze(http, ["a" * 70_000, "b" * 70_000]), 413, "InvalidDocumentBatch")
    huge = b'{"documents": [{"id": "1", "text": "' + b"x" * (9 * 1024 * 1024) + b'"}]}'
    _assert_error(http.post(ANALYZE, content=huge, headers={"content-type": "application/json"}), 413)


def test_document_level_errors_keep_the_others(http: httpx.Client) -> None:
    docs = [{"id": "empty", "text": "  "}, {"id": "long", "text": "x" * 125_001},
            {"id": "fr", "text": "Alice Smith", "language": "fr"}, {"id": "ok", "text": "Bob Jones lives in Berlin."}]
    body = http.post(ANALYZE, json={"documents": docs}).json()
    assert [d["id"] for d in body["documents"]] == ["ok"]
    codes = {e["id"]: e["error"]["innererror"]["code"] for e in body["errors"]}
    assert codes == {"empty": "InvalidDocument", "long": "InvalidDocument", "fr": "UnsupportedLanguageCode"}


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (b'{"documents": "nope"}', 400),
        (b'{"documents": [{"id": "1"}]}', 400),
        (b'{"documents": [{"id": 1, "text": "x"}]}', 400),
        (b'{"documents": []}', 400),
        (b'{"documents": [{"id": "1", "text": "a"}, {"id": "1", "text": "b"}]}', 400),
        (b"\xff\xfe\x00", 400),
    ],
)
def test_malformed_requests_are_400(http: httpx.Client, content: bytes, status: int) -> None:
    _assert_error(http.post(ANALYZE, content=content, headers={"content-type": "application/json"}), status)


def test_unknown_names_index_types_and_routes(http: httpx.Client) -> None:
    _assert_error(analyze(http, ["x"], path="/projects/people/deployments/nope:analyze"), 404)
    _assert_error(analyze(http, ["x"], path="/projects/nope/deployments/production:analyze"), 404)
    _assert_error(analyze(http, ["x"], unit="Bytes"), 400)
    _assert_error(http.get("/no/such/route"), 404)
    _assert_error(http.get(ANALYZE), 405)


def test_api_key_is_required_when_configured(server: Server) -> None:
    for headers in ({}, {"Ocp-Apim-Subscription-Key": "wrong"}):
        response = httpx.post(server.url + ANALYZE, json={"documents": [{"id": "1", "text": "x"}]}, headers=headers)
        assert _assert_error(response, 401)["code"] == "401"
    ok = httpx.get(server.url + "/projects", headers={"Ocp-Apim-Subscription-Key": API_KEY})
    assert ok.status_code == 200
    assert httpx.get(server.url + "/healthz").status_code == 200  # probes need no key


def test_keys_are_ignored_without_api_key_env(tmp_path: Any) -> None:
    import asyncio

    from nerspec.paths import StatePaths
    from nerspec.serve.app import create_app

    async def check() -> None:
        # ASGI transport without lifespan: the empty registry is all this test needs.
        transport = httpx.ASGITransport(app=create_app(StatePaths(tmp_path)))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            with_key = await client.get("/projects", headers={"Ocp-Apim-Subscription-Key": "anything"})
            assert with_key.json() == {"projects": []}
            assert (await client.get("/projects")).status_code == 200

    asyncio.run(check())
