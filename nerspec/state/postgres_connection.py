"""Connections to the PostgreSQL state: opening one (its errors redacted), and listening for deployment changes
on one of its own (``PostgresStore.listen``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from nerspec.errors import StateError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow

CONNECT_TIMEOUT_S = 10
# NOTIFY channel: every change of a deployment is announced (payload: the project) when its transaction commits,
# so `nerspec serve` swaps at once instead of at its next poll.
CHANNEL = "nerspec_deployments"


def connect(url: str) -> Connection[TupleRow]:
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name="nerspec")
    except psycopg.Error as exc:
        raise StateError(f"cannot connect to the PostgreSQL state {redacted(url)}: {redacted(str(exc).strip())}") from None


def redacted(text: str) -> str:
    from nerspec.redact import redact

    return redact(text)


def listen(url: str, on_change: Callable[[], None], stop: threading.Event, poll: float = 1.0) -> None:
    """Call ``on_change()`` whenever a deployment changes, until ``stop`` (a threading.Event) is set.

    Runs on its own connection and thread; a lost connection is retried every few seconds (meanwhile the
    server's polling still picks changes up)."""
    import psycopg

    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                 application_name="nerspec serve (listen)") as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                while not stop.is_set():
                    if any(True for _ in conn.notifies(timeout=poll)):
                        try:
                            on_change()
                        except Exception:  # the next notification or poll tries again
                            logging.getLogger("nerspec.serve").exception("reloading after a notification failed")
        except psycopg.Error:
            stop.wait(5.0)
