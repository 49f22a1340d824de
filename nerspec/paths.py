"""Where recorded state and artifacts live.

Default: ``.nerspec/`` at the repository root (the nearest ancestor with ``.git``, else the working
directory). ``--state DIR`` or ``NERSPEC_STATE`` override it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STATE_ENV = "NERSPEC_STATE"


@dataclass(frozen=True)
class StatePaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "state.db"

    @property
    def models(self) -> Path:
        """Content-addressed artifact store: ``models/<fingerprint>/``."""
        return self.root / "models"

    @property
    def registry(self) -> Path:
        """Local deployments: ``registry/<project>/<deployment>.json`` pointer files."""
        return self.root / "registry"

    @property
    def cache(self) -> Path:
        """Stat cache, downloaded URL sources and other rebuildable files."""
        return self.root / "cache"

    @property
    def reports(self) -> Path:
        return self.root / "reports"


def repository_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


def state_paths(state: str | Path | None = None, start: Path | None = None) -> StatePaths:
    chosen = state or os.environ.get(STATE_ENV)
    if chosen:
        return StatePaths(Path(chosen).resolve())
    return StatePaths(repository_root(start) / ".nerspec")
