"""Plan and apply against PostgreSQL + S3 through the library API (fake trainer): reuse across machines, drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from nerspec.apply import apply, make_plan
from nerspec.paths import StatePaths
from nerspec.state import open_store
from tests.tiny import manifest


def _plan(tiny: Any, paths: StatePaths, parts: Any) -> Any:
    with open_store(paths) as store:
        return make_plan(tiny.load(), paths, store, parts)


def test_a_model_changed_in_the_bucket_is_drift_and_is_trained_again(
    tiny: Any, parts: Any, tmp_path: Path, pg_url: str, s3_bucket: str
) -> None:
    tiny.write_manifest(manifest(deployments=[{"name": "production", "target": {"type": "registry"}}]))
    machine_a = StatePaths(tmp_path / "a", state_url=pg_url, artifacts_url=s3_bucket)
    machine_b = StatePaths(tmp_path / "b", state_url=pg_url, artifacts_url=s3_bucket)
    result = apply(tiny.load(), machine_a, parts=parts)
    fingerprint = result["projects"][0]["model"]["fingerprint"]
    assert not _plan(tiny, machine_b, parts).changes  # machine B: nothing local, nothing to do

    bucket, prefix = s3_bucket[5:].split("/", 1)
    boto3.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/{fingerprint}/files/model/weights.bin", Body=b"x")
    plan = _plan(tiny, machine_b, parts).projects[0]
    assert [a.type for a in plan.actions] == ["train", "deploy"]
    assert "changed or deleted outside nerspec" in " ".join(plan.actions[0].reasons)
    assert any("model files of" in r for r in plan.actions[1].reasons)
    apply(tiny.load(), machine_b, parts=parts)  # B rebuilds it and publishes intact files again
    assert not _plan(tiny, machine_a, parts).changes


def test_a_sqlite_state_with_models_in_s3_plans_nothing_after_apply(
    tiny: Any, parts: Any, tmp_path: Path, s3_bucket: str
) -> None:
    """The SQLite state keeps local model directories relative to its root; an S3 location is a URL, not a path,
    and must be read back as written (read as ``<root>/s3:/bucket/...`` every plan found the model "changed or
    deleted outside nerspec" and trained it again)."""
    paths = StatePaths(tmp_path / "state", artifacts_url=s3_bucket)
    apply(tiny.load(), paths, parts=parts)
    with open_store(paths) as store:
        listed = {m.model_dir for m in (*store.all_models(), *store.models(tiny.load()[0].name))}
    assert listed and all(d.startswith(s3_bucket) for d in listed)
    assert not _plan(tiny, paths, parts).changes
