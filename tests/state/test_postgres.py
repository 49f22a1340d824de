"""The PostgreSQL store against a real server: the Store contract, migrations, advisory locks, lost connections."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from nerspec.errors import LockError, StateError
from nerspec.paths import StatePaths
from nerspec.state import open_store
from nerspec.state import postgres_migrations as migrations
from nerspec.state.postgres import PostgresStore
from nerspec.state.store import DeploymentRecord, ModelRecord


def _paths(tmp_path: Path, url: str) -> StatePaths:
    return StatePaths(tmp_path / ".nerspec", state_url=url)


def test_open_store_picks_postgres_from_the_url(tmp_path: Path, pg_url: str) -> None:
    store = open_store(_paths(tmp_path, pg_url))
    assert isinstance(store, PostgresStore) and store.schema_version() == migrations.LATEST
    store.close()


def test_store_contract_models_deployments_history(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    store.record_model(ModelRecord("tiny", "a", "2024-01-01", "d", "s3://b/p/a", {"split": {}}, {"spacy": "3"},
                                   {}, {"meta.json": "x"}), {"doc1": "h1", "doc2": "h2"})
    store.record_model(ModelRecord("tiny", "b", "2024-01-02", "d2", "s3://b/p/b"))
    assert store.get_model("a").artifact_files == {"meta.json": "x"}
    assert [m.fingerprint for m in store.models("tiny")] == ["a", "b"]
    assert store.document_hashes("a") == {"doc1": "h1", "doc2": "h2"}
    store.record_evaluation("tiny", "a", "k", {"micro": {"f1": 0.5}})
    assert store.evaluation("a", "k") == {"micro": {"f1": 0.5}}
    store.set_deployment(DeploymentRecord("tiny", "production", "a", {"type": "registry"}, "t"),
                         action="deploy", actor="me", reason="new", expected_from=None)
    store.set_deployment(DeploymentRecord("tiny", "staging", "b", {"type": "registry"}, "t"),
                         action="deploy", actor="me", reason="new", expected_from=None)
    with pytest.raises(StateError, match="changed meanwhile"):
        store.set_deployment(DeploymentRecord("tiny", "production", "b", {}, "t"), action="deploy", actor="x",
                             reason="", expected_from=None)
    store.swap_deployments("tiny", "production", "staging", actor="me", reason="swap")
    assert store.deployments("tiny")["production"].fingerprint == "b"
    assert store.served("tiny", "production") == {"a", "b"}
    store.remove_deployment("tiny", "staging", actor="me", reason="gone")
    assert [h.action for h in store.history("tiny", "staging")] == ["deploy", "swap", "remove"]
    before = store.snapshot()
    store.forget_model("b")
    assert store.get_model("b") is None and store.snapshot()["sha256"] != before["sha256"]
    store.close()


def test_old_schema_upgrades_in_place_and_newer_is_refused(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        migrations.migrate(conn, target=1)
        conn.execute("INSERT INTO models (fingerprint, project, created, data_fingerprint, model_dir) "
                     "VALUES ('abc', 'tiny', 't', 'd', '/m/abc')")
    store = PostgresStore(pg_url)
    assert store.schema_version() == migrations.LATEST and store.get_model("abc") is not None
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE nerspec_schema SET version = 99")
    with pytest.raises(StateError, match="newer than this nerspec supports"):
        PostgresStore(pg_url)


def test_lock_is_per_project_and_names_its_holder(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/models")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    a, b = PostgresStore(pg_url), PostgresStore(pg_url)
    with a.locked("apply", ["tickets"]):
        with b.locked("apply", ["invoices"]):  # another project: no wait
            pass
        with pytest.raises(LockError) as info:
            with b.locked("apply", ["invoices", "tickets"]):
                pass
    message = str(info.value)
    assert f"pid {os.getpid()}" in message and "(apply, since" in message
    assert "https://github.com/acme/models/actions/runs/42" in message and "tickets" in message
    with b.locked("apply", ["tickets"]):  # released with the block
        pass
    a.close()
    b.close()


def test_killed_holder_releases_its_lock_without_force_unlock(pg_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "locked"
    script = textwrap.dedent(f"""
        import pathlib, time
        from nerspec.state.postgres import PostgresStore
        store = PostgresStore({pg_url!r})
        with store.locked("apply", ["tickets"]):
            pathlib.Path({str(marker)!r}).write_text("x")
            time.sleep(120)
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        store = PostgresStore(pg_url)
        with pytest.raises(LockError, match=f"pid {child.pid}"):
            with store.locked("apply", ["tickets"]):
                pass
        child.kill()
        child.wait()
        with store.locked("apply", ["tickets"], timeout=10):  # the server noticed the dead session
            pass
        store.close()
    finally:
        child.kill()


def test_lost_connection_is_an_error_and_leaves_state_consistent(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    store.record_model(ModelRecord("tiny", "a", "t", "d", "/m/a"))
    backend = store.conn.info.backend_pid
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
    with pytest.raises(StateError, match="lost the connection"):
        store.set_deployment(DeploymentRecord("tiny", "production", "a", {}, "t"), action="deploy", actor="x",
                             reason="", expected_from=None)
    fresh = PostgresStore(pg_url)
    assert fresh.deployments("tiny") == {} and fresh.history("tiny") == []
    assert fresh.get_model("a") is not None
    fresh.close()


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    from tests.services import free_port

    with pytest.raises(StateError, match="cannot connect to the PostgreSQL state"):
        PostgresStore(f"postgresql://nerspec@127.0.0.1:{free_port()}/nerspec")
