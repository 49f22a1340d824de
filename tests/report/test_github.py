"""The sticky comment against httpx.MockTransport: the exact requests, pagination, retries and errors."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from nerspec.errors import NerspecError, RemoteError
from nerspec.escape import MARKER
from nerspec.report.github import post_report, pr_number_from_event, write_step_summary

API = "https://api.github.test"
ENV = {"GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "acme/models", "GITHUB_API_URL": API}
BODY = f"{MARKER}\n# report"


class Recorder:
    """A scripted GitHub: answers in order, records every request."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, str(r.url)) for r in self.requests]


def post(recorder: Recorder, pr: int | str = 7, env: dict | None = None, sleeps: list | None = None):
    sleeps = sleeps if sleeps is not None else []
    return post_report(BODY, pr, env=env or ENV, client=recorder.client(), sleep=sleeps.append)


def test_creates_the_comment_when_absent() -> None:
    gh = Recorder(
        httpx.Response(200, json=[{"id": 1, "body": "LGTM"}, {"id": 2, "body": f"> {MARKER}\n> quoted"}]),
        httpx.Response(201, json={"id": 99, "html_url": "https://github.test/acme/models/pull/7#issuecomment-99"}),
    )
    result = post(gh)
    assert gh.calls() == [
        ("GET", f"{API}/repos/acme/models/issues/7/comments?per_page=100"),
        ("POST", f"{API}/repos/acme/models/issues/7/comments"),
    ]
    assert json.loads(gh.requests[1].content) == {"body": BODY}
    headers = gh.requests[1].headers
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert (result.action, result.comment_id) == ("created", 99)


BOT = {"login": "github-actions[bot]", "type": "Bot"}
ALICE = {"login": "alice", "type": "User"}
# What GET /user answers for the Actions GITHUB_TOKEN (an installation token).
NOT_FOR_INSTALLATIONS = httpx.Response(
    403, json={"message": "Resource not accessible by integration",
               "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user"})


def test_updates_the_comment_found_on_a_later_page() -> None:
    page2 = f"{API}/repositories/1/issues/7/comments?per_page=100&page=2"
    page3 = f"{API}/repositories/1/issues/7/comments?per_page=100&page=3"
    gh = Recorder(
        httpx.Response(200, json=[{"id": 1, "body": "first", "user": ALICE}],
                       headers={"link": f'<{page2}>; rel="next", <{page3}>; rel="last"'}),
        httpx.Response(200, json=[{"id": 2, "body": "x", "user": ALICE}], headers={"link": f'<{page3}>; rel="next"'}),
        httpx.Response(200, json=[{"id": 3, "body": f"{MARKER}\nold report", "user": BOT},
                                  {"id": 4, "body": f"{MARKER}\nnewer", "user": BOT}]),
        NOT_FOR_INSTALLATIONS,
        httpx.Response(200, json={"id": 3, "html_url": "u"}),
    )
    result = post(gh)
    assert gh.calls() == [
        ("GET", f"{API}/repos/acme/models/issues/7/comments?per_page=100"),
        ("GET", page2),
        ("GET", page3),
        ("GET", f"{API}/user"),
        ("PATCH", f"{API}/repos/acme/models/issues/comments/3"),
    ]
    assert json.loads(gh.requests[4].content) == {"body": BODY}
    assert result.action == "updated"


def test_never_updates_someone_elses_marked_comment() -> None:
    # A user's comment that starts with the marker (pasted, or planted) must not be rewritten.
    gh = Recorder(
        httpx.Response(200, json=[{"id": 10, "body": f"{MARKER}\nmine now", "user": ALICE},
                                  {"id": 11, "body": f"{MARKER}\nfake bot", "user": {**BOT, "type": "User"}},
                                  {"id": 12, "body": f"{MARKER}\nreal report", "user": BOT}]),
        NOT_FOR_INSTALLATIONS,
        httpx.Response(200, json={"id": 12, "html_url": "u"}),
    )
    assert post(gh).action == "updated"
    assert gh.calls() == [
        ("GET", f"{API}/repos/acme/models/issues/7/comments?per_page=100"),
        ("GET", f"{API}/user"),
        ("PATCH", f"{API}/repos/acme/models/issues/comments/12"),
    ]


def test_creates_a_new_comment_when_only_others_have_the_marker() -> None:
    page2 = f"{API}/repositories/1/issues/7/comments?per_page=100&page=2"
    gh = Recorder(
        httpx.Response(200, json=[{"id": 10, "body": f"{MARKER}\nby alice", "user": ALICE}],
                       headers={"link": f'<{page2}>; rel="next"'}),
        httpx.Response(200, json=[{"id": 13, "body": f"{MARKER}\nalso alice", "user": ALICE}]),
        httpx.Response(201, json={"id": 99}),
    )
    gh.answers.insert(1, NOT_FOR_INSTALLATIONS)
    assert post(gh).action == "created"
    # The identity is asked once, however many marked comments turn up.
    assert gh.calls() == [
        ("GET", f"{API}/repos/acme/models/issues/7/comments?per_page=100"),
        ("GET", f"{API}/user"),
        ("GET", page2),
        ("POST", f"{API}/repos/acme/models/issues/7/comments"),
    ]
    assert [r.headers["authorization"] for r in gh.requests] == ["Bearer t0ken"] * 4


def test_personal_access_token_matches_its_own_login() -> None:
    gh = Recorder(
        httpx.Response(200, json=[{"id": 20, "body": f"{MARKER}\nactions bot", "user": BOT},
                                  {"id": 21, "body": f"{MARKER}\nci user",
                                   "user": {"login": "Nerspec-CI", "type": "User"}}]),
        httpx.Response(200, json={"login": "nerspec-ci", "type": "User", "id": 5}),
        httpx.Response(200, json={"id": 21, "html_url": "u"}),
    )
    assert post(gh).action == "updated"
    assert gh.calls()[1:] == [("GET", f"{API}/user"), ("PATCH", f"{API}/repos/acme/models/issues/comments/21")]


def test_identity_lookup_still_retries_rate_limits() -> None:
    # A rate-limited 403 is not "installation token": wait and ask again instead of guessing the identity.
    sleeps: list[float] = []
    gh = Recorder(
        httpx.Response(200, json=[{"id": 30, "body": f"{MARKER}\nreport", "user": {"login": "me", "type": "User"}}]),
        httpx.Response(403, headers={"retry-after": "2"}, json={"message": "secondary rate limit"}),
        httpx.Response(200, json={"login": "me", "type": "User"}),
        httpx.Response(200, json={"id": 30, "html_url": "u"}),
    )
    assert post(gh, sleeps=sleeps).action == "updated"
    assert sleeps == [2.0]
    assert [m for m, _ in gh.calls()] == ["GET", "GET", "GET", "PATCH"]


def test_retries_server_errors_with_backoff() -> None:
    sleeps: list[float] = []
    gh = Recorder(
        httpx.Response(502, text="bad gateway"),
        httpx.Response(503, text="unavailable"),
        httpx.Response(200, json=[]),
        httpx.Response(201, json={"id": 5}),
    )
    assert post(gh, sleeps=sleeps).action == "created"
    assert [m for m, _ in gh.calls()] == ["GET", "GET", "GET", "POST"]
    assert sleeps == [1.0, 2.0]


def test_waits_for_rate_limits() -> None:
    sleeps: list[float] = []
    gh = Recorder(
        httpx.Response(429, headers={"retry-after": "3"}),
        httpx.Response(403, headers={"retry-after": "5"}, json={"message": "secondary rate limit"}),
        httpx.Response(200, json=[]),
        httpx.Response(201, json={"id": 5}),
    )
    post(gh, sleeps=sleeps)
    assert sleeps == [3.0, 5.0]


def test_gives_up_after_repeated_server_errors() -> None:
    gh = Recorder(*[httpx.Response(502) for _ in range(5)])
    with pytest.raises(RemoteError, match="failed after 5 attempts"):
        post(gh)
    assert len(gh.requests) == 5


@pytest.mark.parametrize(
    ("status", "needle"),
    [(401, "token was rejected"), (403, "pull-requests: write"), (404, "not found")],
)
def test_clear_errors_without_retry(status: int, needle: str) -> None:
    gh = Recorder(httpx.Response(status, json={"message": "Bad credentials"}))
    with pytest.raises(RemoteError, match=needle) as info:
        post(gh)
    assert f"HTTP {status}" in str(info.value)
    assert len(gh.requests) == 1


def test_pr_number_from_the_event(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42}}))
    gh = Recorder(httpx.Response(200, json=[]), httpx.Response(201, json={"id": 1}))
    post(gh, pr="auto", env={**ENV, "GITHUB_EVENT_PATH": str(event)})
    assert gh.calls()[0][1].startswith(f"{API}/repos/acme/models/issues/42/comments")
    event.write_text(json.dumps({"ref": "refs/heads/main"}))
    with pytest.raises(NerspecError, match="not a pull request event"):
        pr_number_from_event(event)


def test_missing_token_is_a_clear_error() -> None:
    with pytest.raises(NerspecError, match="GITHUB_TOKEN"):
        post(Recorder(), env={**ENV, "GITHUB_TOKEN": ""})


def test_step_summary_is_appended(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    assert write_step_summary("# report", {"GITHUB_STEP_SUMMARY": str(summary)}) == summary
    assert summary.read_text() == "earlier step\n# report\n"
    assert write_step_summary("# report", {}) is None


def test_a_step_summary_that_is_not_a_regular_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """Opened for appending, a FIFO with no reader blocked the run forever."""
    import os
    import threading

    fifo = tmp_path / "summary.fifo"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def write() -> None:
        try:
            write_step_summary("# report", {"GITHUB_STEP_SUMMARY": str(fifo)})
        except BaseException as exc:  # noqa: BLE001  (the test asserts which)
            outcome.append(exc)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and len(outcome) == 1 and isinstance(outcome[0], NerspecError)
    assert "cannot write the job summary" in str(outcome[0])
    with pytest.raises(NerspecError, match="a directory"):
        write_step_summary("# report", {"GITHUB_STEP_SUMMARY": str(tmp_path)})
