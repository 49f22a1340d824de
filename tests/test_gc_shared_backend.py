"""`nerspec gc` on the shared backend (PostgreSQL state, S3 artifact store on moto's server): the same selection as
on a local state, under PostgreSQL's per-project locks; killed between hiding a model and deleting its objects,
it leaves every deployment serving and the next gc finishes the removal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from nerspec.apply import RunParts, apply
from nerspec.artifacts.stores import open_artifact_store
from nerspec.errors import LockError
from nerspec.gc import collect
from nerspec.manifest.load import load_projects
from nerspec.paths import StatePaths
from nerspec.state import open_store
from tests import fakes
from tests.tiny import make_docs, manifest

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = ("production", "staging")
PARTS = RunParts(trainer=fakes.train, evaluator=fakes.evaluate, load_corpus=fakes.load_corpus,
                split_corpus=fakes.split_corpus)


def _models(tmp_path: Path, paths: StatePaths, count: int) -> list[str]:
    """``count`` data versions applied; both deployments (the state's registry) follow each. Oldest first."""
    project = tmp_path / "projects" / "tiny"
    (project / "data").mkdir(parents=True)
    spec = manifest(deployments=[{"name": name, "target": {"type": "registry"}} for name in DEPLOYMENTS])
    (project / "nerspec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    fingerprints = []
    for i in range(count):
        (project / "data" / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in make_docs(24 + i)))
        result = apply(load_projects([project]), paths, parts=PARTS)
        fingerprints.append(result["projects"][0]["model"]["fingerprint"])
    return fingerprints


def _bucket_models(s3_url: str) -> dict[str, set[str]]:
    """fingerprint -> the names under it in the bucket (``manifest.json``, ``gc-removing``, ``files/...``)."""
    bucket, prefix = s3_url[len("s3://"):].split("/", 1)
    out: dict[str, set[str]] = {}
    for page in boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            fingerprint, _, rest = item["Key"][len(prefix) + 1:].partition("/")
            out.setdefault(fingerprint, set()).add(rest)
    return out


def assert_every_deployment_serves(paths: StatePaths) -> None:
    store, artifacts = open_store(paths), open_artifact_store(paths)
    try:
        served = {d.deployment: d.fingerprint for d in store.all_deployments()}
        assert sorted(served) == sorted(DEPLOYMENTS)
        for fingerprint in served.values():
            record = store.get_model(fingerprint)
            assert record is not None and artifacts.intact(fingerprint, record.artifact_files, None)
            assert artifacts.verify(fingerprint, record.artifact_files) == []  # every byte still there
    finally:
        store.close()


def test_gc_on_postgres_and_s3_killed_mid_way_then_finished(tmp_path: Path, pg_url: str, s3_bucket: str,
                                                             monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    paths = StatePaths(tmp_path / ".nerspec", state_url=pg_url, artifacts_url=s3_bucket)
    fps = _models(tmp_path, paths, 4)
    assert set(_bucket_models(s3_bucket)) == set(fps)

    dry = collect(paths, keep=1, dry_run=True)
    assert sorted(c.fingerprint for c in dry.removed) == sorted(fps[:2]) and set(_bucket_models(s3_bucket)) == set(fps)

    marker = tmp_path / "paused-gc"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": pg_url, "NERSPEC_ARTIFACTS": s3_bucket,
           "NERSPEC_LOCAL_DIR": str(paths.root), "NERSPEC_TEST_PAUSE_AT": "gc",
           "NERSPEC_TEST_PAUSE_MARKER": str(marker), "NERSPEC_TEST_PAUSE_SECONDS": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.launch", "gc", "--keep", "0"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stdout.read().decode()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "gc never reached its removal"
        time.sleep(0.05)
    proc.kill()  # the first model is forgotten and its manifest deleted; its files are still in the bucket
    proc.wait(timeout=10)

    stored = _bucket_models(s3_bucket)
    half_removed = [fp for fp in fps if "gc-removing" in stored.get(fp, set())]
    assert len(half_removed) == 1 and "manifest.json" not in stored[half_removed[0]]
    assert not open_artifact_store(paths).exists(half_removed[0])  # gone for every reader at once
    assert_every_deployment_serves(paths)

    holder = open_store(paths)
    try:
        with holder.locked("apply", ["tiny"]), pytest.raises(LockError):
            collect(paths, keep=0)  # an apply of the project holds its lock: gc waits for it (here: refuses)
    finally:
        holder.close()
    result = collect(paths, keep=0)  # the killed gc's PostgreSQL locks went with its connection
    assert len(result.removed) == 2 and result.kept[fps[-1]].startswith("served by tiny/")
    assert half_removed[0] not in result.kept and half_removed[0] not in [c.fingerprint for c in result.removed]
    assert set(_bucket_models(s3_bucket)) == {fps[-1]}  # the interrupted removal finished too, mark and all
    store = open_store(paths)
    try:
        assert [store.get_model(fp) is None for fp in fps] == [True, True, True, False]
    finally:
        store.close()
    assert not [p for p in paths.models.iterdir() if p.name in fps[:3]]  # nor kept in the local cache
    assert_every_deployment_serves(paths)
    assert collect(paths, keep=0).removed == []
