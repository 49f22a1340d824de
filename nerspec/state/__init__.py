"""Recorded state: what nerspec trained, evaluated and deployed (the "current" side of plan's diff)."""

from __future__ import annotations

from pathlib import Path

from nerspec.paths import StatePaths
from nerspec.state.store import DeploymentRecord, HistoryRecord, ModelRecord, Store

__all__ = ["DeploymentRecord", "HistoryRecord", "ModelRecord", "Store", "open_store"]


def open_store(paths: StatePaths, create: bool = True, *, fresh_ok: bool = False) -> Store:
    """The store for the configured state: a ``postgresql://`` URL or a SQLite file in the state directory.

    ``create=False`` is for read-only commands (plan, deployments list/history): when there is no state yet they
    get an empty in-memory store instead of a new ``.nerspec/`` left wherever they happened to run.
    A lost, empty or corrupt SQLite state beside deployments is refused with the recovery commands.
    """
    from nerspec.state.repair import check_layout, check_not_lost
    from nerspec.state.sqlite import SqliteStore

    if paths.state_url is not None:
        from nerspec.state.postgres import open_postgres

        return open_postgres(paths.state_url)
    check_layout(paths)
    if not fresh_ok:  # a server recording its own uploads starts its state beside pointers on purpose
        check_not_lost(paths)
    if not create and not Path(paths.db).is_file():
        return SqliteStore(Path(":memory:"))
    Path(paths.root).mkdir(parents=True, exist_ok=True)
    return SqliteStore(paths.db)
