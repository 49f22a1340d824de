"""SQLite states on this machine other than the configured one, whose files the configured state sees.

With a shared (URL) state the local directory (``.nerspec/``) still holds the model directory and the pointer
files, and often a ``state.db`` of its own: the one ``make demo`` or applies without the shared settings wrote.
A directory state can also name another state's ``models/`` as its model store. Models and pointers written under
such a state are not "left by an interrupted apply" nor "written outside nerspec": asking that state tells the two
apart, so the plan and the warnings say what actually happened. Only read: nothing here writes to those states.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.errors import NerspecError
from nerspec.paths import StatePaths

if TYPE_CHECKING:
    from nerspec.state.store import Store

STATE_DB = "state.db"


def other_state_dirs(paths: StatePaths) -> list[Path]:
    """The SQLite state directories whose models or pointers ``paths`` shares, the configured one excluded: the local
    directory beside a URL state, and the state a model directory belongs to (``<state>/models``)."""
    own = None if paths.shared else Path(paths.root).resolve()
    found: list[Path] = []
    for folder in (Path(paths.root), Path(paths.models).parent):
        resolved = folder.resolve()
        if resolved != own and resolved not in found and (resolved / STATE_DB).is_file():
            found.append(resolved)
    return found


def describe(folder: Path) -> str:
    """``.nerspec/state.db`` relative to the working directory when it is below it (what users recognise)."""
    db = folder / STATE_DB
    try:
        return str(db.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(db)


@dataclass
class OtherStates:
    """Asks the other states (``other_state_dirs``) which of them records a model or a deployment.

    Each is opened on first use and only read; one that cannot be opened (damaged, a newer schema) is skipped:
    it then explains nothing, and the plain wording stays."""

    dirs: list[Path]
    # the one of ``dirs`` whose pointers are this state's too (the local directory beside a URL state), if any
    registry_owner: Path | None = None
    _stores: dict[Path, Store | None] = field(default_factory=dict)

    @classmethod
    def of(cls, paths: StatePaths) -> OtherStates:
        dirs, local = other_state_dirs(paths), Path(paths.root).resolve()
        return cls(dirs, local if local in dirs else None)

    def model_recorded_by(self, fingerprint: str) -> str | None:
        """The other state that records this model (described), or None."""
        for folder, store in self._opened():
            if store.get_model(fingerprint) is not None:
                return describe(folder)
        return None

    def deployment_recorded_by(self, project: str, deployment: str, fingerprint: str | None) -> str | None:
        """The other state sharing this state's pointer files whose record of ``project/deployment`` names
        ``fingerprint`` (described), or None."""
        if fingerprint is None or self.registry_owner is None:
            return None
        for folder, store in self._opened():
            record = store.deployments(project).get(deployment) if folder == self.registry_owner else None
            if record is not None and record.fingerprint == fingerprint:
                return describe(folder)
        return None

    def close(self) -> None:
        for store in self._stores.values():
            if store is not None:
                store.close()
        self._stores.clear()

    def _opened(self) -> list[tuple[Path, Store]]:
        for folder in self.dirs:
            if folder not in self._stores:
                self._stores[folder] = _open(folder)
        return [(folder, store) for folder, store in self._stores.items() if store is not None]


def _open(folder: Path) -> Store | None:
    from nerspec.state import open_store

    if not os.access(folder / STATE_DB, os.R_OK):
        return None
    try:
        return open_store(StatePaths(folder), create=False)
    except NerspecError:
        return None
