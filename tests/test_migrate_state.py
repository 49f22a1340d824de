"""``nerspec state migrate``: SQLite + local models -> PostgreSQL + S3, verified and idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.apply import make_plan
from nerspec.cli import cli
from nerspec.errors import StateError
from nerspec.migrate_state import migrate_state
from nerspec.paths import StatePaths
from nerspec.state import open_store
from tests.tiny import make_docs


def test_migrate_copies_models_deployments_history_and_is_idempotent(
    tiny: Any, state: StatePaths, parts: Any, run_apply: Any, pg_url: str, s3_bucket: str
) -> None:
    run_apply()
    tiny.write_docs(make_docs(30))
    run_apply()
    target = StatePaths(state.root, state_url=pg_url, artifacts_url=s3_bucket)
    first = migrate_state(state, target)
    assert (first.models_copied, first.models_present, first.projects_copied) == (2, 0, ["tiny"])
    assert first.files_verified > 0

    store, old = open_store(target), open_store(state)
    try:
        assert [m.fingerprint for m in store.models("tiny")] == [m.fingerprint for m in old.models("tiny")]
        assert all(m.model_dir.startswith(s3_bucket) for m in store.models("tiny"))
        assert [(h.action, h.from_fp, h.to_fp) for h in store.history("tiny")] == \
            [(h.action, h.from_fp, h.to_fp) for h in old.history("tiny")]
        assert store.deployments("tiny")["production"].fingerprint == old.deployments("tiny")["production"].fingerprint
        assert not make_plan(tiny.load(), target, store, parts).changes  # nothing to retrain after the move
    finally:
        store.close()
        old.close()

    args = ["state", "migrate", "--from", str(state.root), "--to", pg_url, "--artifacts", s3_bucket, "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "0 model(s) copied, 2 already there" in result.output and "0 project(s) copied, 1 already there" in result.output
    with open_store(target) as again:
        assert len(again.history("tiny")) == len(open_store(state).history("tiny"))  # nothing added twice


def test_migrate_refuses_a_damaged_model(tiny: Any, state: StatePaths, run_apply: Any, pg_url: str,
                                         tmp_path: Path) -> None:
    run_apply()
    (model,) = open_store(state).models("tiny")
    (Path(model.model_dir) / "model" / "weights.bin").write_bytes(b"changed")
    with pytest.raises(StateError, match="do not match their recorded hashes"):
        migrate_state(state, StatePaths(tmp_path / "elsewhere", state_url=pg_url,
                                        artifacts_url=str(tmp_path / "models")))


def test_migrate_to_another_directory_copies_and_verifies_the_models(tiny: Any, state: StatePaths, parts: Any,
                                                                     run_apply: Any, tmp_path: Path) -> None:
    run_apply()
    target = tmp_path / "moved"
    result = CliRunner().invoke(cli, ["state", "migrate", "--from", str(state.root), "--to", str(target), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1 model(s) copied" in result.output and "1 project(s) copied" in result.output
    moved = StatePaths(target)
    with open_store(moved) as store:
        (model,) = store.models("tiny")
        assert model.model_dir == str(target / "models" / model.fingerprint)
        assert (target / "models" / model.fingerprint / "meta.json").is_file()
    with pytest.raises(StateError, match="the same"):
        migrate_state(state, state)
