"""SQLite states on this machine other than the configured one, whose files the configured state sees.

With a shared (URL) state the local directory (``.nerspec/``) still holds the model directory and the pointer
files, and often a ``state.db`` of its own: the one ``make demo`` or applies without the shared settings wrote.
A directory state can also name another state's ``models/`` as its model store. Models and pointers written under
such a state are not "left by an interrupted apply" nor "written outside nerspec": asking that state tells the two
apart, so the plan and the warnings say what actually happened. Only read: each question opens that state read-only
and closes it again (``read_only_rows``: no file left in its directory, no WAL switch, no migration, no waiting on
its lock) and asks with a plain SELECT on columns every schema version has, so an older state is never upgraded by
a plan run beside it, and nothing of this state stays open between questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nerspec.paths import StatePaths

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
    """``.nerspec/state.db`` relative to the working directory when it is below it (what users recognise). Shown
    only: the plan's ``*_origin`` fields carrying it are not hashed (``nerspec.plan.inputs.DISPLAY_FIELDS``)."""
    db = folder / STATE_DB
    try:
        return str(db.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(db)


@dataclass
class OtherStates:
    """Asks the other states (``other_state_dirs``) which of them records a model or a deployment.

    Each question is read from the other state alone (``read_only_rows``); one that cannot be read (damaged, locked,
    busy, a newer schema) is not asked again during this run: it explains nothing, and the plain wording stays."""

    dirs: list[Path]
    # the one of ``dirs`` whose pointers are this state's too (the local directory beside a URL state), if any
    registry_owner: Path | None = None
    _unreadable: set[Path] = field(default_factory=set)

    @classmethod
    def of(cls, paths: StatePaths) -> OtherStates:
        dirs, local = other_state_dirs(paths), Path(paths.root).resolve()
        return cls(dirs, local if local in dirs else None)

    def model_recorded_by(self, fingerprint: str) -> str | None:
        """The other state that records this model (described), or None."""
        for folder in self.dirs:
            if self._answer(folder, "SELECT 1 FROM models WHERE fingerprint = ?", (fingerprint,)) is not None:
                return describe(folder)
        return None

    def deployment_recorded_by(self, project: str, deployment: str, fingerprint: str | None) -> str | None:
        """The other state sharing this state's pointer files whose record of ``project/deployment`` names
        ``fingerprint`` (described), or None."""
        if fingerprint is None or self.registry_owner is None:
            return None
        query = "SELECT fingerprint FROM deployments WHERE project = ? AND deployment = ?"
        if self._answer(self.registry_owner, query, (project, deployment)) == fingerprint:
            return describe(self.registry_owner)
        return None

    def close(self) -> None:
        """Nothing stays open between questions; the states found unreadable are asked again after this."""
        self._unreadable.clear()

    def _answer(self, folder: Path, query: str, params: tuple[str, ...]) -> object | None:
        """The first column of the first row, or None: none, or the state cannot be read now."""
        from nerspec.state.sqlite_connection import read_only_rows

        if folder in self._unreadable:
            return None
        rows = read_only_rows(folder / STATE_DB, query, params)
        if rows is None:
            self._unreadable.add(folder)
        return rows[0][0] if rows else None
