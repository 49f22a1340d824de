"""Fair serving: chunking, round-robin units, per-client limits and deadlines (Retry-After)."""

from __future__ import annotations

import threading
import time

import pytest

from nerspec.predictions import PredictedLabel
from nerspec.serve.errors import ApiError
from nerspec.serve.fair import FairScheduler, chunk_text, merge, plan_units


def test_chunks_cover_the_text_and_cut_at_whitespace() -> None:
    text = ("Alice Smith moved to Paris. " * 300).strip()
    pieces = chunk_text(text, 500)
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= 500 for _, piece in pieces)
    assert all(piece.endswith(" ") for _, piece in pieces[:-1])
    assert [offset for offset, _ in pieces] == [sum(len(p) for _, p in pieces[:i]) for i in range(len(pieces))]


def test_units_group_short_documents_and_offsets_are_shifted_back() -> None:
    texts = ["a" * 10, "b" * 10, "Alice " * 200]
    plan = plan_units(texts, chunk=True, size=300)
    assert plan.units[0][:2] == [(0, 0, "a" * 10), (1, 0, "b" * 10)]
    outputs = [[[PredictedLabel("X", 0.5, 0, 5, "Alice")] for _ in unit] for unit in plan.units]
    merged = merge(plan, outputs, spans=True)
    offsets = sorted(e.start for e in merged[2])
    assert offsets[0] == 0 and all(text == texts[2][o:o + 5] for o, text in ((o, "Alice") for o in offsets))
    assert plan_units(["x" * 5000], chunk=False, size=300).units == [[(0, 0, "x" * 5000)]]  # classification


def test_a_small_request_runs_between_the_units_of_big_ones() -> None:
    scheduler = FairScheduler(1)
    order: list[str] = []
    gate = threading.Event()

    def unit(name: str) -> str:
        gate.wait(5)
        order.append(name)
        time.sleep(0.01)
        return name

    try:
        big, big_done = scheduler.submit("a", [lambda i=i: unit(f"big{i}") for i in range(10)])
        small, small_done = scheduler.submit("b", [lambda: unit("small")])
        gate.set()
        assert small[0].result(5) == "small"
        assert [f.result(5) for f in big][-1] == "big9"
        assert order.index("small") <= 2  # not behind the ten big units
        big_done()
        small_done()
    finally:
        scheduler.close()


def test_limits_answer_429_and_503_with_retry_after() -> None:
    scheduler = FairScheduler(1, max_per_client=1, max_requests=2, deadline_s=0.0)
    release = threading.Event()
    try:
        futures, done = scheduler.submit("a", [lambda: release.wait(5)])
        with pytest.raises(ApiError) as info:
            scheduler.submit("a", [lambda: None])
        assert info.value.status == 429 and info.value.headers["Retry-After"]
        late, late_done = scheduler.submit("b", [lambda: None])
        with pytest.raises(ApiError) as info:
            scheduler.submit("c", [lambda: None])
        assert info.value.status == 503 and info.value.headers["Retry-After"]
        release.set()
        with pytest.raises(ApiError) as info:
            late[0].result(5)  # waited past its deadline behind the first request
        assert info.value.status == 503
        done()
        late_done()
    finally:
        scheduler.close()


def test_a_long_document_served_in_chunks_keeps_exact_offsets(http: object) -> None:
    text = " ".join(f"Alice Smith moved to Paris in {1900 + i}." for i in range(300))  # > 2 chunks
    response = http.post("/projects/people/deployments/production:analyze",  # type: ignore[attr-defined]
                         params={"stringIndexType": "UnicodeCodePoint"},
                         json={"documents": [{"id": "long", "text": text}]})
    assert response.status_code == 200, response.text
    entities = response.json()["documents"][0]["entities"]
    assert entities and all(text[e["offset"]:e["offset"] + e["length"]] == e["text"] for e in entities)
    assert max(e["offset"] for e in entities) > 2 * 2000  # found in later chunks too, at their true offsets
