"""Fair serving: bounded work per request and per client, so one caller cannot starve the others.

- Long documents are cut into chunks of at most ``CHUNK_CHARS`` characters and entity offsets are shifted
  back (``nerspec.chunking``: the same pieces ``predict`` and ``evaluate`` use, so served entities equal
  scored ones); many short documents are grouped into units of about the same size. A unit is the most work a worker does before it can turn to another request.
- Workers take units round-robin over the requests waiting (``FairScheduler``), so a 20-character request
  waits for at most the units already running, never behind a 124,000-character one.
- Each request has a deadline for its units to start; a client may have ``max_per_client`` requests in
  flight (more: 429) and the server ``max_requests`` in all (more: 503); both answers carry ``Retry-After``.

Classification documents are never cut (a class belongs to the whole text), only grouped.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from nerspec.chunking import CHUNK_CHARS, chunk_text
from nerspec.predictions import Prediction
from nerspec.serve.errors import ApiError

__all__ = ["CHUNK_CHARS", "FairScheduler", "Plan", "chunk_text", "merge", "plan_units"]

DEFAULT_DEADLINE_S = 30.0
DEFAULT_MAX_PER_CLIENT = 8
DEFAULT_MAX_REQUESTS = 64
Unit = Callable[[], list[Prediction]]  # one unit of work: the predictions of its segments


@dataclass
class Plan:
    """How one request's documents become units: per unit, the (doc index, offset, text) segments it runs."""

    units: list[list[tuple[int, int, str]]]
    documents: int


def plan_units(texts: list[str], chunk: bool, size: int = CHUNK_CHARS) -> Plan:
    units: list[list[tuple[int, int, str]]] = []
    current: list[tuple[int, int, str]] = []
    used = 0
    for index, text in enumerate(texts):
        for offset, piece in (chunk_text(text, size) if chunk else [(0, text)]):
            if current and used + len(piece) > size:
                units.append(current)
                current, used = [], 0
            current.append((index, offset, piece))
            used += len(piece)
    if current:
        units.append(current)
    return Plan(units, len(texts))


def merge(plan: Plan, outputs: list[list[Prediction]], spans: bool) -> list[Prediction]:
    """Per document, the predictions of its segments with offsets shifted back into the whole text."""
    merged: list[Prediction] = [[] for _ in range(plan.documents)]
    for unit, predictions in zip(plan.units, outputs):
        for (index, offset, _), predicted in zip(unit, predictions):
            merged[index].extend(item.shifted(offset) if spans else item for item in predicted)
    return merged


@dataclass
class _Request:
    key: object
    client: str
    deadline: float
    units: deque[tuple[Unit, Future[list[Prediction]]]] = field(default_factory=deque)


class FairScheduler:
    """Worker threads taking one unit at a time, round-robin over the requests that wait."""

    def __init__(self, workers: int = 2, *, deadline_s: float = DEFAULT_DEADLINE_S,
                 max_per_client: int = DEFAULT_MAX_PER_CLIENT, max_requests: int = DEFAULT_MAX_REQUESTS) -> None:
        self.deadline_s = deadline_s
        self.max_per_client = max_per_client
        self.max_requests = max_requests
        self._waiting: OrderedDict[object, _Request] = OrderedDict()
        self._in_flight: dict[str, int] = {}
        self._cv = threading.Condition()
        self._stopped = False
        self._threads = [threading.Thread(target=self._work, name=f"nerspec-worker-{i}", daemon=True)
                         for i in range(max(1, workers))]
        for thread in self._threads:
            thread.start()

    def submit(self, client: str, work: list[Unit]) -> tuple[list[Future[list[Prediction]]], Callable[[], None]]:
        """Queue one request's units; returns their futures and ``done()`` to call when the request ends."""
        with self._cv:
            if self._in_flight.get(client, 0) >= self.max_per_client:
                raise ApiError(429, "TooManyRequests",
                               f"More than {self.max_per_client} requests of this client are in progress; retry later.",
                               headers={"Retry-After": "1"})
            if sum(self._in_flight.values()) >= self.max_requests:
                raise ApiError(503, "ServiceUnavailable", "The server is busy; retry later.",
                               headers={"Retry-After": "2"})
            request = _Request(object(), client, time.monotonic() + self.deadline_s)
            futures: list[Future[list[Prediction]]] = []
            for fn in work:
                future: Future[list[Prediction]] = Future()
                request.units.append((fn, future))
                futures.append(future)
            self._in_flight[client] = self._in_flight.get(client, 0) + 1
            if request.units:
                self._waiting[request.key] = request
                self._cv.notify(len(request.units))
        released = [False]

        def done() -> None:
            with self._cv:
                if released[0]:
                    return
                released[0] = True
                self._waiting.pop(request.key, None)  # a failed request's remaining units are dropped
                for _fn, future in request.units:
                    future.cancel()
                left = self._in_flight.get(client, 1) - 1
                if left:
                    self._in_flight[client] = left
                else:
                    self._in_flight.pop(client, None)
                if not self._in_flight:
                    self._cv.notify_all()  # wait_idle: background work may run now

        return futures, done

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight (True), or ``timeout`` seconds (False). Background work (a rollout's
        shadow) runs one unit at a time in the gaps, so it never holds up a request for more than one unit."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._in_flight and not self._stopped:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
            return not self._stopped

    def _next(self) -> tuple[Unit, Future[list[Prediction]], _Request] | None:
        with self._cv:
            while not self._waiting and not self._stopped:
                self._cv.wait()
            if self._stopped:
                return None
            key, request = self._waiting.popitem(last=False)  # the request waiting longest for a turn
            fn, future = request.units.popleft()
            if request.units:
                self._waiting[key] = request  # back of the line: the others get their turn first
            return fn, future, request

    def _work(self) -> None:
        while True:
            taken = self._next()
            if taken is None:
                return
            fn, future, request = taken
            if not future.set_running_or_notify_cancel():
                continue
            if time.monotonic() > request.deadline:
                future.set_exception(ApiError(
                    503, "ServiceUnavailable", "The request waited too long for a worker; retry later.",
                    headers={"Retry-After": "2"}))
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # delivered to the request that owns the unit
                future.set_exception(exc)

    def close(self) -> None:
        with self._cv:
            self._stopped = True
            for request in self._waiting.values():
                for _fn, future in request.units:
                    future.cancel()
            self._waiting.clear()
            self._cv.notify_all()
