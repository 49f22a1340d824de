"""Records written off the request path, in batches: the server's one way of writing observations to the state.

A request hands its record to ``BatchRecorder.record`` (a non-blocking put into a bounded queue) and goes on; one
writer thread takes up to ``max_rows`` records, or what arrived within ``max_seconds`` of the first one, and
hands them to ``flush`` as one list (one transaction in the state store). When the queue is full the record is
dropped and counted, never waited for: recording must not slow an answer down. A killed server loses what was
queued and not yet flushed: at most one batch while the writer keeps up.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("nerspec.serve")

_STOP = object()


class BatchRecorder(Generic[T]):
    def __init__(self, flush: Callable[[list[T]], None], *, max_rows: int = 200, max_seconds: float = 1.0,
                 max_queue: int = 10_000, name: str = "nerspec-recorder") -> None:
        if max_rows < 1 or max_queue < 1 or max_seconds <= 0:
            raise ValueError("max_rows and max_queue must be at least 1, max_seconds positive")
        self._flush = flush
        self.max_rows, self.max_seconds = max_rows, max_seconds
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self.recorded = 0  # accepted into the queue
        self.written = 0  # handed to flush successfully
        self.dropped = 0  # refused: the queue was full
        self.failed = 0  # lost: flush raised for their batch
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def record(self, item: T) -> bool:
        """Queue ``item`` for the next batch; False (and counted in ``dropped``) when the queue is full or closed."""
        if self._closed:
            self.dropped += 1
            return False
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            return False
        self.recorded += 1
        return True

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer (waiting at most ``timeout`` seconds)."""
        if self._closed:
            return
        self._closed = True
        while True:
            try:
                self._queue.put(_STOP, timeout=timeout)
                break
            except queue.Full:  # the writer is stuck (the database is gone): give up on the backlog
                log.warning("recorder %s: queue still full after %.0f s; %d records not written",
                            self._thread.name, timeout, self._queue.qsize())
                return
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[T] = [first]  # type: ignore[list-item]
            deadline = time.monotonic() + self.max_seconds
            while len(batch) < self.max_rows:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._write(batch)

    def _write(self, batch: list[T]) -> None:
        try:
            self._flush(batch)
        except Exception:  # a lost batch is counted and logged; the server keeps answering
            self.failed += len(batch)
            log.exception("recorder %s: a batch of %d records was not written", self._thread.name, len(batch))
            return
        self.written += len(batch)
