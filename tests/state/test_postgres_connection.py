"""Connections to the PostgreSQL state: a failed connect names the server without its password, and
``PostgresStore.listen`` hears a deployment change another connection commits."""

from __future__ import annotations

import threading

import pytest

from nerspec.errors import StateError
from nerspec.state.postgres import PostgresStore
from nerspec.state.postgres_connection import connect
from nerspec.state.store import DeploymentRecord, ModelRecord, Store


def test_a_failed_connection_is_a_state_error_without_the_password() -> None:
    with pytest.raises(StateError, match="cannot connect to the PostgreSQL state") as caught:
        connect("postgresql://nerspec:hunter2@127.0.0.1:1/nerspec")
    assert "hunter2" not in str(caught.value)


def test_listen_hears_a_deployment_change(pg_url: str) -> None:
    listening: Store = PostgresStore(pg_url)
    writer = PostgresStore(pg_url)
    writer.record_model(ModelRecord("listened", "listened-a", "2024-01-01", "d", "s3://b/p/listened-a"))
    heard, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=listening.listen, args=(heard.set, stop), daemon=True)
    thread.start()
    try:
        # The listener connects in its own time: change the deployment until it hears one (or give up).
        for _ in range(60):
            writer.set_deployment(DeploymentRecord("listened", "production", "listened-a", {"type": "local"}, "t"),
                                  action="deploy", actor="test", reason="listen")
            if heard.wait(0.5):
                break
        assert heard.is_set() and listening.announces_changes
    finally:
        stop.set()
        thread.join(10)
        writer.close()
        listening.close()
    assert not thread.is_alive()  # ``stop`` ends it
