"""schemathesis against /openapi.json: every operation answers 2xx or 4xx with a JSON body, never 5xx.

Bounded: a few examples per operation, no shrinking, so the whole run stays within seconds.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, settings

from tests.serve.conftest import ADMIN_TOKEN, API_KEY, Server


def _openapi() -> dict[str, Any]:
    """The same document the server publishes at /openapi.json (the app builds it without starting up).

    Loaded at import time because schemathesis' fixture-based loader does not work with this pytest; the
    requests themselves go to the real server, and a test below checks the published document is this one.
    """
    import tempfile

    from nerspec.paths import StatePaths
    from nerspec.serve.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        return create_app(StatePaths(tmp)).openapi()


@schemathesis.serializer("application/gzip")
def _gzip(ctx: Any, value: Any) -> bytes:  # the admin upload body: arbitrary bytes are what a fuzzer should send
    return value if isinstance(value, bytes) else str(value).encode()


SPEC = _openapi()
schema = schemathesis.openapi.from_dict(SPEC)


def test_published_schema_is_the_one_fuzzed(server: Server) -> None:
    import httpx

    assert httpx.get(server.url + "/openapi.json").json() == SPEC


@schema.parametrize()
@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_json_and_never_5xx(case: Any, server: Server) -> None:
    headers = {"Ocp-Apim-Subscription-Key": API_KEY}
    if case.path.startswith("/admin/") and case.method == "GET":
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"  # reach past the token check; PUTs stay unauthenticated
    response = case.call(base_url=server.url, headers=headers, timeout=30)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    if case.path == "/metrics" and response.status_code == 200:
        assert response.headers["content-type"][0].startswith("text/plain")
        return
    json.loads(response.text)  # a JSON body on every answer, errors included
