"""The batched writer: batches by size and by age, bounded queue with counted drops, close drains, errors counted."""

from __future__ import annotations

import threading
import time

from nerspec.serve.recorder import BatchRecorder


def test_flushes_full_batches_in_order_and_close_drains_the_rest() -> None:
    batches: list[list[int]] = []
    recorder: BatchRecorder[int] = BatchRecorder(batches.append, max_rows=10, max_seconds=60.0, max_queue=100)
    for i in range(25):
        assert recorder.record(i)
    deadline = time.monotonic() + 5
    while sum(map(len, batches)) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [len(b) for b in batches] == [10, 10]  # the last 5 wait for their 60 s or close
    recorder.close()
    assert [i for b in batches for i in b] == list(range(25))
    assert recorder.recorded == 25 and recorder.dropped == 0
    assert not recorder.record(99) and recorder.dropped == 1  # closed


def test_a_lone_item_is_written_after_max_seconds() -> None:
    written = threading.Event()
    recorder: BatchRecorder[str] = BatchRecorder(lambda items: written.set(), max_rows=100, max_seconds=0.1)
    started = time.monotonic()
    recorder.record("x")
    assert written.wait(5)
    assert time.monotonic() - started >= 0.09
    recorder.close()


def test_a_full_queue_drops_and_counts_instead_of_blocking() -> None:
    release = threading.Event()
    recorder: BatchRecorder[int] = BatchRecorder(lambda items: release.wait(5), max_rows=2, max_seconds=0.01,
                                                 max_queue=4)
    accepted = [recorder.record(i) for i in range(50)]
    assert accepted.count(False) == recorder.dropped >= 40  # the writer holds one batch, the queue 4 more
    release.set()
    recorder.close()
    assert recorder.recorded + recorder.dropped == 50


def test_a_failing_flush_is_counted_and_the_recorder_keeps_going() -> None:
    seen: list[list[int]] = []

    def flush(items: list[int]) -> None:
        seen.append(items)
        if items[0] == 0:
            raise RuntimeError("database down")

    recorder: BatchRecorder[int] = BatchRecorder(flush, max_rows=2, max_seconds=0.01)
    for i in range(4):
        recorder.record(i)
    recorder.close()
    assert recorder.failed == 2 and recorder.recorded == 2
    assert [i for b in seen for i in b] == [0, 1, 2, 3]
