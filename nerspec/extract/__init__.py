"""``nerspec extract``: a deployed model over a large corpus, partitioned, resumable, on local cores or Ray.

Modules: ``partitions`` (inputs -> partitions), ``rows`` (partition -> rows), ``work`` (rows ->
``nerspec.predict`` -> records), ``outputs`` (atomic per-partition files, markers, summary), ``engines`` (the
engine protocol and table), ``local`` and ``ray`` (the engines), ``run`` (``extract()``, the Python API).

The package itself is callable, so ``nerspec.extract(...)`` is the API while ``nerspec.extract.run`` and the
other modules stay importable under the same name (a function ``nerspec.extract`` would be shadowed by this
package the moment any of its modules is imported).
"""

from __future__ import annotations

import sys
import types
from typing import Any


def extract(path: Any, **options: Any) -> Any:
    """Run an extraction; see ``nerspec.extract.run.extract`` for the options. Returns an ``ExtractSummary``."""
    from nerspec.extract.run import extract as _extract

    return _extract(path, **options)


class _CallableModule(types.ModuleType):
    def __call__(self, path: Any, **options: Any) -> Any:
        return extract(path, **options)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["extract"]
