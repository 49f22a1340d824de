"""Offset conversion for combining marks, CJK and split clusters; the job store's TTL and size bound."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from nerspec.predictions import PredictedLabel
from nerspec.serve.errors import ApiError
from nerspec.serve.jobs import Job, JobStore, TaskRun, _now
from nerspec.serve.units import convert_entities, length_in, normalize
from tests.serve.conftest import Server


def _ent(text: str, surface: str) -> PredictedLabel:
    start = text.index(surface)
    return PredictedLabel("X", 0.9, start, len(surface), surface)


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        # "é" written as e + combining acute: 2 code points, 2 UTF-16 units, 1 text element.
        ("Cafe\u0301 René Girard", "René Girard",
         {"UnicodeCodePoint": (6, 11), "Utf16CodeUnit": (6, 11), "TextElement_v8": (5, 11)}),
        # CJK in the BMP: 1 unit each; 𠀀 (U+20000) is astral: 2 UTF-16 units.
        ("東京𠀀 Alice", "Alice", {"UnicodeCodePoint": (4, 5), "Utf16CodeUnit": (5, 5), "TextElement_v8": (4, 5)}),
        # Skin-tone modifier: 👍🏽 is 2 code points, 4 UTF-16 units, 1 text element.
        ("👍🏽 Bob", "Bob", {"UnicodeCodePoint": (3, 3), "Utf16CodeUnit": (5, 3), "TextElement_v8": (2, 3)}),
    ],
)
def test_units_per_script(text: str, surface: str, expected: dict[str, tuple[int, int]]) -> None:
    for unit, (offset, length) in expected.items():
        [converted] = convert_entities(text, [_ent(text, surface)], unit)
        assert (converted.offset, converted.length) == (offset, length), unit


def test_a_boundary_inside_a_cluster_widens_to_the_cluster() -> None:
    text = "x 👍🏽 y"
    inside = PredictedLabel("X", 0.5, 2, 1, "👍")  # omits the modifier
    [converted] = convert_entities(text, [inside], "TextElement_v8")
    assert (converted.offset, converted.length, converted.text) == (2, 1, "👍🏽")


def test_index_type_names_and_lengths() -> None:
    assert normalize("textelements_v8") == "TextElement_v8" and normalize("bytes") is None
    assert [length_in("a👨‍👩‍👧", u) for u in ("UnicodeCodePoint", "Utf16CodeUnit", "TextElement_v8")] == [6, 9, 2]


def _job(job_id: str) -> Job:
    return Job(id=job_id, display_name=None, documents=[{"id": "1", "text": "Alice", "language": None}],
               tasks=[TaskRun("t", "CustomEntityRecognition", "people", "nope", "UnicodeCodePoint")],
               created=_now(), expires=_now(), expires_mono=0.0, doc_order=["1"], size=100)


def _wait_done(job: Job) -> None:
    for _ in range(200):
        if job.status in ("failed", "succeeded"):
            return
        time.sleep(0.01)


def test_job_store_ttl_and_size_bound(server: Server) -> None:
    state = server.app.state.nerspec
    store = JobStore(state, ttl_s=0.2, max_bytes=10_000)
    first = _job("one")
    first.expires_mono = time.monotonic() + 0.2
    store.submit(first)
    _wait_done(first)
    assert store.get("one").status == "failed"  # unknown deployment: the task fails, the job is kept
    time.sleep(0.25)
    with pytest.raises(ApiError) as gone:
        store.get("one")
    assert gone.value.status == 404
    # Size bound: finished jobs are evicted oldest first; an unfinishable backlog gets 429.
    store = JobStore(state, ttl_s=60, max_bytes=5_000)
    jobs = []
    for i in range(6):
        job = _job(f"j{i}")
        job.expires_mono = time.monotonic() + 60
        store.submit(job)
        _wait_done(job)
        jobs.append(job)
    assert store.count() < 6 and store._bytes <= 5_000
    assert store.get("j5").status == "failed"
    kept = store.count()
    huge = _job("huge")
    huge.size, huge.expires_mono = 10**9, time.monotonic() + 60
    with pytest.raises(ApiError) as full:
        store.submit(huge)
    assert full.value.status == 429
    assert store.count() == kept  # refused without evicting: the finished jobs' results are still there


def test_a_jobs_names_count_toward_the_bound_and_finished_jobs_make_room(trained: Any, tmp_path: Path) -> None:
    """A job's displayName (and task names, ids) stay in memory until it expires: they count toward the store's
    bound (a 7 MB displayName counted 1 KB), and a new job evicts the oldest finished ones to fit (it got 429
    while results nobody collected filled the bound, for up to the TTL)."""
    import httpx

    from nerspec.serve.app import create_app
    from tests.serve.conftest import make_state, run_server

    paths = make_state(trained, tmp_path / "state")
    app = create_app(paths, workers=1, poll_interval=0.05, job_max_bytes=1_000_000)
    task = {"kind": "CustomEntityRecognition", "parameters": {"projectName": "people", "deploymentName": "production"}}
    body = {"displayName": "n" * 200_000, "analysisInput": {"documents": [{"id": "1", "text": "Alice"}]},
            "tasks": [task]}
    for server in run_server(app, paths):
        with httpx.Client(base_url=server.url, params={"api-version": "2023-04-01"}, timeout=30) as http:
            first = http.post("/language/analyze-text/jobs", json=body)
            assert first.status_code == 202, first.text
            assert http.get(first.headers["operation-location"]).json()["status"] == "succeeded"
            second = http.post("/language/analyze-text/jobs", json=body)
            assert second.status_code == 202, second.text
            assert http.get(second.headers["operation-location"]).json()["status"] == "succeeded"
            assert http.get(first.headers["operation-location"]).status_code == 404  # evicted to make room
            assert app.state.nerspec.jobs.count() == 1


def test_text_elements_of_ascii_text_with_crlf() -> None:
    """CR LF is one text element (one grapheme cluster): ASCII text took a shortcut that counted it as two, so
    every TextElement_v8 offset after a line break was off by one per CRLF."""
    from nerspec.corpus.offsets import GraphemeIndex

    text = "\r\nAlice Smith\r\n in Paris"
    alice, paris = text.index("Alice"), text.index("Paris")
    entities = [PredictedLabel("PERSON", 0.9, alice, 11, "Alice Smith"), PredictedLabel("CITY", 0.9, paris, 5, "Paris")]
    converted = convert_entities(text, entities, "TextElement_v8")
    assert [(e.offset, e.length, e.text) for e in converted] == [(1, 11, "Alice Smith"), (17, 5, "Paris")]
    assert length_in(text, "TextElement_v8") == len(text) - 2
    assert GraphemeIndex(text).to_codepoint(17) == paris  # the importers' direction too
