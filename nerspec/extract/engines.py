"""Extraction engines: one protocol (``nerspec.extract.job.Engine``) and this one table; adding Spark is one module,
one line here and its tests. Engines are imported only when used: Ray is heavy and optional."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nerspec.errors import NerspecError

if TYPE_CHECKING:
    from nerspec.extract.job import Engine


def _local() -> Engine:
    from nerspec.extract.local import LocalEngine

    return LocalEngine()


def _ray() -> Engine:
    from nerspec.extract.ray import RayEngine

    return RayEngine()


# engine name (``nerspec extract --engine``) -> a new engine
ENGINES: dict[str, Callable[[], Engine]] = {"local": _local, "ray": _ray}


def get_engine(name: str) -> Engine:
    make = ENGINES.get(name)
    if make is None:
        raise NerspecError(f"unknown engine `{name}` (known: {', '.join(sorted(ENGINES))})")
    return make()
