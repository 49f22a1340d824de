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
    assert changes == ["people/production: monitoring on: features and texts, 0.5 of the documents, kept 30 days"]
    assert store.monitoring_settings()[("people", "production")]["sample"] == 0.5
    assert sync_settings(store, [_Project([monitored, Deployment(name="staging")])]) == []  # unchanged: no write
    assert sync_settings(store, [_Project([Deployment(name="production")])]) == [
        "people/production: monitoring off (nothing is logged)"]
    assert store.monitoring_settings() == {}
    sync_settings(store, [_Project([monitored])])
    assert sync_settings(store, [_Project([])]) == ["people/production: monitoring off (nothing is logged)"]
    store.close()
