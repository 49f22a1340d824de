"""The types the stores' shared SQL speaks: driver rows and parameters, the connection it needs, and the JSON
documents kept in text columns. No imports of the state's own modules: everything in ``nerspec.state`` may use it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

# A JSON document a store keeps in a text column and gives back as it was written: an Evaluation's JSON, a model's
# training inputs and metrics summary, a deployment's target, monitoring settings. Its shape is its writer's (the
# layers above the store own those types); the store only round-trips it.
JsonObject = dict[str, Any]

# A row as the drivers return it (sqlite3 and psycopg type every column as Any): what a column holds is the
# schema's word (migrations.py), and ``rows.py`` turns rows into typed records at once.
Row = tuple[Any, ...]
Params = Sequence[object]
SqliteParameters: TypeAlias = "SupportsLenAndGetItem[object] | Mapping[str, object]"  # what sqlite3 binds to "?"


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchall(self) -> list[Row]: ...

    def fetchone(self) -> Row | None: ...

    def executemany(self, sql: str, rows: Iterable[Params], /) -> object: ...

    def close(self) -> None: ...


class Connection(Protocol):
    """What the SQL the two stores share (rollouts, monitoring, split sides) needs of a sqlite3 or psycopg
    connection, inside the caller's transaction."""

    def execute(self, sql: str, params: Params = ..., /) -> Cursor: ...

    def cursor(self) -> Cursor: ...
