"""Extraction engines: one small protocol and one table (``ENGINES``); adding Spark is one module + its tests.

An engine gets the partitions still to do and must, for each, call ``events.partition`` with the result of
``nerspec.extract.outputs.commit`` or ``write`` (the files are written atomically by whoever calls it; the work
itself is ``nerspec.extract.work.analyze_partition``), and should call ``events.documents(n)`` as documents are
done, for the progress line. Engines are imported only when used:
Ray is heavy and optional.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nerspec.errors import NerspecError
from nerspec.extract.outputs import PartitionResult, Settings
from nerspec.extract.partitions import Partition

ENGINES: dict[str, str] = {
    "local": "nerspec.extract.local:LocalEngine",
    "ray": "nerspec.extract.ray:RayEngine",
}


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


def get_engine(name: str) -> Engine:
    target = ENGINES.get(name)
    if target is None:
        raise NerspecError(f"unknown engine `{name}` (known: {', '.join(sorted(ENGINES))})")
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)()
