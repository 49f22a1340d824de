"""Recorded state: what nerspec trained, evaluated and deployed (the "current" side of plan's diff)."""

from __future__ import annotations

from pathlib import Path

from nerspec.paths import StatePaths
from nerspec.state.store import DeploymentRecord, HistoryRecord, ModelRecord, Store

__all__ = ["DeploymentRecord", "HistoryRecord", "ModelRecord", "Store", "open_store"]


def open_store(paths: StatePaths) -> Store:
    """The store for a state directory (SQLite today; the backend choice goes here when PostgreSQL lands)."""
    from nerspec.state.sqlite import SqliteStore

    Path(paths.root).mkdir(parents=True, exist_ok=True)
    return SqliteStore(paths.db)
