"""apply's record of the manifest's monitoring blocks: written on change, removed with the block or the entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nerspec.deploy.monitoring import sync_settings
from nerspec.manifest.schema import Deployment, Monitoring
from nerspec.state.sqlite import SqliteStore


class _Project:  # the fields of LoadedProject that sync_settings reads
    def __init__(self, deployments: list[Deployment]) -> None:
        self.name = "people"
        spec = type("Spec", (), {"deployments": deployments})()
        self.manifest: Any = type("Manifest", (), {"spec": spec})()


def test_settings_follow_the_manifest(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    monitored = Deployment(name="production", monitoring=Monitoring(store_texts=True, sample=0.5))
    changes = sync_settings(store, [_Project([monitored, Deployment(name="staging")])])
    assert changes == ["people/production: monitoring on: features and texts, 50% of the documents, kept 30 days"]
    assert store.monitoring_settings()[("people", "production")]["sample"] == 0.5
    assert sync_settings(store, [_Project([monitored, Deployment(name="staging")])]) == []  # unchanged: no write
    assert sync_settings(store, [_Project([Deployment(name="production")])]) == [
        "people/production: monitoring off (nothing is logged)"]
    assert store.monitoring_settings() == {}
    sync_settings(store, [_Project([monitored])])
    assert sync_settings(store, [_Project([])]) == ["people/production: monitoring off (nothing is logged)"]
    store.close()


def test_plan_notes_a_monitoring_change_and_apply_records_it(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    from nerspec.state import open_store
    from tests.plan.test_plan import plan_of
    from tests.tiny import manifest

    run_apply()
    tiny.write_manifest(manifest(deployments=[{"name": "production", "monitoring": {"sample": 0.25}}]))
    plan = plan_of(tiny, state, parts)
    assert not plan.changes  # no model or pointer changes
    assert plan.projects[0].notes == ["monitoring will change: tiny/production: monitoring on: features only, no "
                                      "texts, 25% of the documents, kept 30 days (recorded by `nerspec apply`)"]
    run_apply(no_deploy=True)  # a pull request's apply leaves what the servers log alone
    store = open_store(state)
    assert store.monitoring_settings() == {}
    store.close()
    run_apply()
    store = open_store(state)
    assert store.monitoring_settings()[("tiny", "production")]["sample"] == 0.25
    store.close()
    assert plan_of(tiny, state, parts).projects[0].notes == []
