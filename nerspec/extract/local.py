"""``--engine local``: separate processes on this machine, each loading the model once.

Processes (not threads) because spaCy inference holds the GIL for much of its work. Workers are spawned, not
forked, so they never inherit the parent's threads or locks, and on Linux each asks the kernel to kill it when
the parent dies (``PR_SET_PDEATHSIG``), so a SIGKILLed ``nerspec extract`` leaves no orphan writing files.
A worker reads, analyzes and commits whole partitions; it reports analyzed documents on a queue that a
thread of the parent turns into progress events.
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.errors import NerspecError
from nerspec.extract.job import Events, Job
from nerspec.extract.partitions import Partition

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from nerspec.extract.outputs import PartitionResult, Settings
    from nerspec.extract.work import Analyzer


class _Worker:
    """What a worker process holds between partitions: its model and the queue its progress goes to."""

    analyzer: Analyzer
    queue: Queue[int | None]


_WORKER = _Worker()


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux/glibc: the pool's pipe still ends them
        pass


def _init_worker(artifact_dir: str, settings: Settings, batch_size: int, queue: Queue[int | None]) -> None:
    _die_with_parent()
    from nerspec.extract.work import Analyzer

    _WORKER.analyzer = Analyzer(Path(artifact_dir), settings, batch_size)
    _WORKER.queue = queue


def _run_in_worker(partition: Partition, out_dir: str) -> PartitionResult:
    from nerspec.extract.work import run_partition

    queue = _WORKER.queue
    return run_partition(_WORKER.analyzer, partition, Path(out_dir), queue.put)


class LocalEngine:
    name = "local"

    def run(self, job: Job, pending: list[Partition], events: Events) -> None:
        if not pending:
            return
        workers = max(1, min(job.workers or default_workers(), len(pending)))
        if workers == 1:
            self._run_here(job, pending, events)
            return
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        queue: Queue[int | None] = ctx.Queue()
        drain = threading.Thread(target=_drain, args=(queue, events), daemon=True)
        drain.start()
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(str(job.artifact_dir), job.settings, job.batch_size, queue))
        try:
            futures: set[Future[PartitionResult]] = {pool.submit(_run_in_worker, p, str(job.out_dir)) for p in pending}
            while futures:
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    events.partition(future.result())
        except BrokenProcessPool:
            pool.shutdown(wait=False, cancel_futures=True)
            raise NerspecError(
                "an extraction worker died (killed, out of memory, or the model could not be loaded); "
                "finished partitions are kept: rerun to resume"
            ) from None
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)
            queue.put(None)
            drain.join(timeout=5)

    @staticmethod
    def _run_here(job: Job, pending: list[Partition], events: Events) -> None:
        from nerspec.extract.work import Analyzer, run_partition

        analyzer = Analyzer(job.artifact_dir, job.settings, job.batch_size)
        for partition in pending:
            events.partition(run_partition(analyzer, partition, job.out_dir, events.documents))


def _drain(queue: Queue[int | None], events: Events) -> None:
    while True:
        item = queue.get()
        if item is None:
            return
        events.documents(int(item))
