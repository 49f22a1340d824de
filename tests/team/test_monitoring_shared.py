"""Production monitoring on the team backend: a real training applied to PostgreSQL + S3 (moto), a real server
serving that shared state and logging to PostgreSQL, then `nerspec monitor` and the production labeling pool."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nerspec.paths import StatePaths
from tests.monitor.test_run_e2e import precision, send, wait_logged, write_project
from tests.monitor.traffic import in_distribution, other_domain

pytest.importorskip("spacy")
pytestmark = pytest.mark.slow


def test_monitoring_with_a_postgres_state(tmp_path: Path, pg_url: str, s3_bucket: str) -> None:
    import httpx

    from nerspec.apply import apply
    from nerspec.label.next import next_batch
    from nerspec.manifest.load import load_project
    from nerspec.monitor.pool import production_pool
    from nerspec.monitor.run import monitor
    from nerspec.predict import load
    from nerspec.serve.app import create_app
    from nerspec.state import open_store
    from tests.serve.conftest import run_server

    root = write_project(tmp_path / "people", {"store_texts": True, "alert": {"min_documents": 20}})
    paths = StatePaths(tmp_path / "local", state_url=pg_url, artifacts_url=s3_bucket)
    project = load_project(root)
    apply([project], paths)
    inside_records, outside_records = in_distribution(150, seed=21), other_domain(60, seed=22)
    for server in run_server(create_app(StatePaths(tmp_path / "server", state_url=pg_url, artifacts_url=s3_bucket),
                                        poll_interval=0.1), paths):
        deadline = time.monotonic() + 60  # the server fetches the models from S3 first
        while httpx.get(server.url + "/projects/people/deployments").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        results = send(server.url, "production", inside_records)
        send(server.url, "staging", inside_records[:25])
        wait_logged(paths, 150)
        inside = monitor(project, "production", paths, last=150)
        send(server.url, "production", outside_records)
        wait_logged(paths, 210)
        outside = monitor(project, "production", paths, last=60)

    assert inside.drift is not None and not inside.drift.drifted, inside.drift
    assert inside.estimated.reliable and inside.estimated.precision is not None
    assert abs(inside.estimated.precision - precision(inside_records, results)) <= 0.1
    assert outside.drift is not None and outside.drift.drifted and outside.alerts
    store = open_store(paths)
    assert ("people", "staging") not in store.monitoring_counts()  # no `monitoring` block: nothing logged
    store.close()
    pool = production_pool(project, "production", paths)
    batch = next_batch(project, 10, production=pool, predictor=load(paths.models / inside.fingerprint))
    assert sum(p.id.startswith("out") for p in batch.picks) >= 8, [p.id for p in batch.picks]
