"""Batched writes off the request path: a request hands an item over in O(1) and a background thread writes.

The server records per-document observations (monitoring, rollouts) in the state store. A database write per
request would put the store's latency (an fsync in SQLite, a round trip to PostgreSQL) into every response, so a
request only appends to a bounded queue, and one thread calls ``flush`` with up to ``max_rows`` items at a time:
when that many are waiting, or ``max_seconds`` after the oldest waiting item arrived. A full queue (the store is
down or slower than the traffic) drops the new item and counts it (``dropped``): serving never waits on the
store. ``flush`` failures are logged and counted (``failed``); their items are lost, never retried in a loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger("nerspec.serve")
T = TypeVar("T")


class BatchRecorder(Generic[T]):
    """``record(item)`` from any thread; ``flush(items)`` runs on the recorder's own thread, in order."""

    def __init__(self, flush: Callable[[list[T]], None], *, max_rows: int = 500, max_seconds: float = 1.0,
                 max_queue: int = 50_000, name: str = "nerspec-recorder",
                 weigh: Callable[[T], int] | None = None, max_bytes: int | None = None) -> None:
        """``weigh(item)``: the memory an item holds while queued; the queue holds at most ``max_bytes`` of them
        (items that carry a document's text: 50,000 of 125,000 characters would be gigabytes)."""
        if max_rows < 1 or max_queue < max_rows or max_seconds <= 0:
            raise ValueError("need 1 <= max_rows <= max_queue and max_seconds > 0")
        self._flush = flush
        self.max_rows, self.max_seconds, self.max_queue = max_rows, max_seconds, max_queue
        self._weigh, self.max_bytes, self._bytes = weigh, max_bytes, 0
        self._queue: deque[T] = deque()
        self._oldest: float | None = None  # monotonic time the oldest waiting item arrived
        self._cond = threading.Condition()
        self._closed = False
        self.recorded = 0  # items handed to flush without an error
        self.dropped = 0  # items refused because the queue was full (or the recorder closed)
        self.failed = 0  # items whose flush raised
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def record(self, item: T) -> bool:
        """Queue ``item``; False (and counted in ``dropped``) when the queue is full or the recorder closed."""
        size = self._weigh(item) if self._weigh is not None else 0
        with self._cond:
            too_big = self.max_bytes is not None and self._bytes + size > self.max_bytes
            if self._closed or len(self._queue) >= self.max_queue or too_big:
                self.dropped += 1
                return False
            self._bytes += size
            if not self._queue:
                self._oldest = time.monotonic()
            self._queue.append(item)
            if len(self._queue) >= self.max_rows:
                self._cond.notify()
            elif len(self._queue) == 1:
                self._cond.notify()  # the writer starts the max_seconds clock
            return True

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread (items recorded after this are dropped)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=timeout)

    def _next_batch(self) -> list[T] | None:
        """Wait until a batch is due; None once closed and drained."""
        with self._cond:
            while True:
                if self._queue and (len(self._queue) >= self.max_rows or self._closed):
                    break
                if self._queue and self._oldest is not None:
                    left = self._oldest + self.max_seconds - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                    continue
                if self._closed:
                    return None
                self._cond.wait()
            batch = [self._queue.popleft() for _ in range(min(self.max_rows, len(self._queue)))]
            if self._weigh is not None:
                self._bytes -= sum(self._weigh(item) for item in batch)
            self._oldest = time.monotonic() if self._queue else None
            return batch

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._flush(batch)
                self.recorded += len(batch)
            except Exception:  # the store is down or a row is bad: log it, lose the batch, keep serving
                self.failed += len(batch)
                log.exception("could not write %d recorded items", len(batch))
