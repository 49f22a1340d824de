"""What an extraction engine is handed (``Job``, ``Events``) and the protocol it implements (``Engine``); the
table of engines is ``nerspec.extract.engines``.

An engine gets the partitions still to do and must, for each, call ``events.partition`` with the result of
``nerspec.extract.outputs.commit`` or ``write`` (the files are written atomically by whoever calls it; the work
itself is ``nerspec.extract.work.analyze_partition``), and should call ``events.documents(n)`` as documents are
done, for the progress line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nerspec.extract.outputs import PartitionResult, Settings
from nerspec.extract.partitions import Partition


@dataclass(frozen=True)
class Job:
    """What every engine needs besides the partitions."""

    artifact_dir: Path
    out_dir: Path
    settings: Settings
    workers: int | None = None  # None: the engine's default (every core / every Ray CPU)
    batch_size: int = 64
    ray_address: str | None = None


class Events(Protocol):
    def documents(self, count: int) -> None: ...

    def partition(self, result: PartitionResult) -> None: ...


class Engine(Protocol):
    name: str

    def run(self, job: Job, pending: list[Partition], events: Events) -> None: ...
