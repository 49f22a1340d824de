"""One sticky pull-request comment per report, through the GitHub REST API.

The comment is found by the hidden marker at the start of its body, so re-runs update it instead of piling up
comments. Anything that quotes the report (a reply starting with `> <!-- ...`) does not start with the marker
and is left alone. Only comments written by the token's own identity are candidates: anyone can post a comment
that starts with the marker, and PATCHing it would rewrite a user's words under their name (or fail with 403).

Who "we" are: `GET /user` answers for personal access tokens. The Actions `GITHUB_TOKEN` is a GitHub App
installation token, for which `GET /user` is 403 "Resource not accessible by integration"; its comments are
authored by the bot user `github-actions[bot]` (`type: "Bot"`), so that identity is the fallback.

httpx is imported inside the functions; tests inject an ``httpx.Client`` (with ``httpx.MockTransport``) and a
``sleep`` that records instead of waiting.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import safeio
from nerspec.errors import NerspecError, RemoteError
from nerspec.escape import MARKER

if TYPE_CHECKING:
    import httpx

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT_S = 30.0
MAX_ATTEMPTS = 5
# Waiting longer than this for a rate limit is worse than failing the step with a clear message.
MAX_WAIT_S = 120.0
MAX_PAGES = 50
# The author of comments made with the Actions GITHUB_TOKEN (an installation token that cannot call GET /user).
ACTIONS_BOT_LOGIN = "github-actions[bot]"
Comment = dict[str, object]  # an issue comment as the GitHub API returns it


@dataclass(frozen=True)
class CommentResult:
    action: str  # "created" | "updated"
    comment_id: int
    url: str


def pr_number_from_event(event_path: str | os.PathLike[str] | None) -> int:
    """The pull request of the workflow run, from the event payload GitHub writes to `GITHUB_EVENT_PATH`."""
    if not event_path:
        raise NerspecError("--github-pr auto needs GITHUB_EVENT_PATH (set by GitHub Actions); pass the number instead")
    try:
        event = json.loads(safeio.read_text(event_path))
    except (OSError, ValueError) as exc:
        raise NerspecError(f"cannot read the GitHub event payload {event_path}: {exc}") from exc
    for candidate in (
        (event.get("pull_request") or {}).get("number"),
        # issue_comment events on pull requests carry the number on the issue.
        (event.get("issue") or {}).get("number") if (event.get("issue") or {}).get("pull_request") else None,
        event.get("number"),
    ):
        if isinstance(candidate, int) and candidate > 0:
            return candidate
    raise NerspecError(f"{event_path} is not a pull request event; run the report on pull_request or pass a number")


def write_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append the report to the job summary when GitHub provides one (steps share the file, so append)."""
    target = (env if env is not None else os.environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:  # non-blocking: a FIFO there with no reader would hold the run forever (ENXIO instead)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            safeio.check_regular(os.fstat(fd), path)
            handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        raise NerspecError(f"cannot write the job summary {path}: {exc}") from exc
    return path


def _retry_delay(response: httpx.Response, attempt: int, now: Callable[[], float]) -> float | None:
    """Seconds to wait before retrying, or None when the response is final."""
    status = response.status_code
    headers = response.headers
    rate_limited = status == 429 or (
        status == 403 and (headers.get("retry-after") is not None or headers.get("x-ratelimit-remaining") == "0")
    )
    if not rate_limited and status < 500:
        return None
    if headers.get("retry-after"):
        try:
            return float(headers["retry-after"])
        except ValueError:
            pass
    if rate_limited and headers.get("x-ratelimit-reset"):
        try:
            return max(1.0, float(headers["x-ratelimit-reset"]) - now())
        except ValueError:
            pass
    return float(2**attempt)


def _failure(response: httpx.Response, what: str) -> RemoteError:
    try:
        detail = str(response.json().get("message", ""))
    except ValueError:
        detail = response.text[:200]
    status = response.status_code
    hint = {
        401: "the token was rejected: check GITHUB_TOKEN",
        403: "the token may not write pull request comments: the workflow needs `permissions: pull-requests: write`"
        " (pull requests from forks get a read-only token)",
        404: "repository or pull request not found, or the token cannot see it: check GITHUB_REPOSITORY and the"
        " pull request number",
    }.get(status, "unexpected answer")
    return RemoteError(f"GitHub {what} failed with HTTP {status}: {hint}" + (f" ({detail})" if detail else ""))


class GitHubClient:
    """The few REST calls the sticky comment needs, with timeouts, retries and clear errors."""

    def __init__(
        self,
        token: str,
        repository: str,
        api_url: str = DEFAULT_API_URL,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        import httpx

        if not token:
            raise NerspecError("GITHUB_TOKEN is not set; the workflow must pass `env: GITHUB_TOKEN: ${{ github.token }}`")
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise NerspecError(f"GITHUB_REPOSITORY must be owner/name, got {repository!r}")
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self._sleep, self._now, self._max_attempts = sleep, now, max_attempts
        self._identity: dict[str, str] | None = None
        self._client = client or httpx.Client(timeout=httpx.Timeout(TIMEOUT_S, connect=10.0))
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "nerspec-report",
        }

    def request(
        self, method: str, url: str, what: str, *, accept: tuple[int, ...] = (),
        params: dict[str, int] | None = None, json: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The response, retried on transport errors, 5xx and rate limits; `accept`: final statuses to return
        instead of raising (a 403 that means "not allowed" rather than "rate limited")."""
        import httpx

        if not url.startswith("http"):
            url = f"{self.api_url}{url}"
        last_error = ""
        delay: float | None
        for attempt in range(self._max_attempts):
            try:
                response = self._client.request(method, url, headers=self._headers, params=params, json=json)
            except httpx.TransportError as exc:  # timeouts and connection resets are worth another try
                last_error = f"{type(exc).__name__}: {exc}"
                delay = float(2**attempt)
            else:
                if response.is_success:
                    return response
                delay = _retry_delay(response, attempt, self._now)
                if delay is None and response.status_code in accept:
                    return response
                if delay is None:
                    raise _failure(response, what)
                last_error = f"HTTP {response.status_code}"
            if attempt + 1 == self._max_attempts:
                break
            if delay > MAX_WAIT_S:
                raise RemoteError(f"GitHub {what}: rate limited for {delay:.0f} s more; try again later")
            self._sleep(delay)
        raise RemoteError(f"GitHub {what} failed after {self._max_attempts} attempts ({last_error})")

    def identity(self) -> dict[str, str]:
        """``{"login", "type"}`` of the token's user: from `GET /user`, asked once, else the Actions bot."""
        if self._identity is None:
            response = self.request("GET", "/user", "reading the token's user", accept=(403,))
            if response.status_code == 403:
                # Installation tokens (GITHUB_TOKEN) may not read /user; they post as the Actions bot.
                self._identity = {"login": ACTIONS_BOT_LOGIN, "type": "Bot"}
            else:
                data = response.json()
                self._identity = {"login": str(data.get("login", "")), "type": str(data.get("type", ""))}
        return self._identity

    def _ours(self, comment: Comment) -> bool:
        found = comment.get("user")
        user = found if isinstance(found, dict) else {}
        me = self.identity()
        if not me["login"]:
            return False
        if me["type"] == "Bot" and str(user.get("type", "")) != "Bot":
            return False  # a person cannot register a `[bot]` login, but check the type too
        return str(user.get("login", "")).lower() == me["login"].lower()

    def find_comment(self, pr: int, marker: str = MARKER) -> Comment | None:
        """The first comment with the marker that the token's own user wrote; the identity is only looked up
        once a marked comment turns up, so the common first run (no report yet) costs no extra request."""
        url: str | None = f"/repos/{self.repository}/issues/{pr}/comments"
        params: dict[str, int] | None = {"per_page": 100}
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self.request("GET", url, "listing comments", params=params)
            for comment in response.json():
                if str(comment.get("body") or "").lstrip().startswith(marker) and self._ours(comment):
                    return comment
            # The `next` link already carries per_page and page.
            url, params = (response.links.get("next") or {}).get("url"), None
        return None

    def upsert_comment(self, pr: int, body: str, marker: str = MARKER) -> CommentResult:
        if not body.lstrip().startswith(marker):
            body = f"{marker}\n{body}"
        existing = self.find_comment(pr, marker)
        if existing is not None:
            response = self.request(
                "PATCH", f"/repos/{self.repository}/issues/comments/{existing['id']}", "updating the comment",
                json={"body": body},
            )
            action = "updated"
        else:
            response = self.request(
                "POST", f"/repos/{self.repository}/issues/{pr}/comments", "creating the comment", json={"body": body}
            )
            action = "created"
        data = response.json()
        return CommentResult(action=action, comment_id=int(data.get("id", 0)), url=str(data.get("html_url", "")))


def post_report(
    markdown: str,
    pr: int | str,
    *,
    env: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CommentResult:
    """Create or update the sticky report comment on pull request `pr` (a number, or "auto" for the event's)."""
    env = env if env is not None else os.environ
    number = pr_number_from_event(env.get("GITHUB_EVENT_PATH")) if str(pr) == "auto" else int(pr)
    github = GitHubClient(
        env.get("GITHUB_TOKEN", ""),
        env.get("GITHUB_REPOSITORY", ""),
        env.get("GITHUB_API_URL") or DEFAULT_API_URL,
        client=client,
        sleep=sleep,
    )
    return github.upsert_comment(number, markdown)
