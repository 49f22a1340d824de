"""/metrics on a real server: a client choosing its own HTTP methods cannot grow the series set."""

from __future__ import annotations

import httpx

from tests.serve.conftest import Server


def test_unknown_methods_share_one_series(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for i in range(20):
            assert client.request(f"SCAN{i}", "/healthz").status_code == 405
        text = client.get("/metrics").text
    assert "SCAN" not in text
    assert 'nerspec_requests_total{method="other",route="/healthz",status="405"}' in text
