"""``nerspec extract``: a deployed model over a large corpus, partitioned, resumable, on local cores or Ray.

Modules: ``partitions`` (inputs -> partitions -> rows), ``work`` (rows -> ``nerspec.predict`` -> records),
``outputs`` (atomic per-partition files, markers, summary), ``engines`` (the engine protocol and table),
``local`` and ``ray`` (the engines), ``run`` (``extract()``, the Python API).
"""

from __future__ import annotations

from typing import Any


def extract(path: Any, **options: Any) -> Any:
    """See ``nerspec.extract.run.extract``."""
    from nerspec.extract.run import extract as _extract

    return _extract(path, **options)


__all__ = ["extract"]
