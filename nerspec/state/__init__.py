"""Recorded state: what nerspec trained, evaluated and deployed (the "current" side of plan's diff)."""

from __future__ import annotations

from pathlib import Path

from nerspec.errors import StateError
from nerspec.paths import StatePaths
from nerspec.state.postgres import PostgresStore
from nerspec.state.sqlite import SqliteStore
from nerspec.state.store import DeploymentRecord, HistoryRecord, ModelRecord, Store

__all__ = ["STATE_STORES", "store_type", "DeploymentRecord", "HistoryRecord", "ModelRecord", "Store", "open_store",
           "refuse_special_db"]


# The state stores by URL scheme (one table; psycopg is imported only when one is opened); a directory (no scheme)
# is SQLite in that directory.
STATE_STORES: dict[str, type[Store]] = {"postgresql": PostgresStore, "postgres": PostgresStore}


def store_type(paths: StatePaths) -> type[Store]:
    """The kind of store ``paths`` names: SQLite for a directory, else the table's entry for the URL scheme."""
    if paths.state_url is None:
        return SqliteStore
    scheme = paths.state_url.split("://", 1)[0].lower()
    if scheme not in STATE_STORES:
        raise StateError(f"unsupported state {paths.state_url!r}: use a directory or one of "
                         f"{', '.join(s + '://' for s in STATE_STORES)}")
    return STATE_STORES[scheme]


def refuse_special_db(paths: StatePaths) -> None:
    """A state database that is a directory, a pipe or a device is not "no state yet": never read as empty."""
    if paths.state_url is None and Path(paths.db).exists() and not Path(paths.db).is_file():
        raise StateError(f"{paths.db}: the state is not a regular file (a directory, a pipe or a device); move it "
                         "aside and restore the state (`nerspec state restore`) or start a new one")


def open_store(paths: StatePaths, create: bool = True, *, fresh_ok: bool = False) -> Store:
    """The store for the configured state: a ``postgresql://`` URL or a SQLite file in the state directory.

    ``create=False`` is for read-only commands (plan, deployments list/history): when there is no state yet they
    get an empty in-memory store instead of a new ``.nerspec/`` left wherever they happened to run.
    A lost, empty or corrupt SQLite state beside deployments is refused with the recovery commands.
    """
    from nerspec.state.repair import check_layout, check_not_lost

    kind = store_type(paths)
    if paths.state_url is not None:
        return kind(paths.state_url)  # type: ignore[call-arg]
    check_layout(paths)
    if not fresh_ok:  # a server recording its own uploads starts its state beside pointers on purpose
        check_not_lost(paths)
    refuse_special_db(paths)
    if not create and not Path(paths.db).is_file():
        return SqliteStore(Path(":memory:"), root=Path(paths.root))
    Path(paths.root).mkdir(parents=True, exist_ok=True)
    return SqliteStore(paths.db)
