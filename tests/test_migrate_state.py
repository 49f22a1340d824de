"""``nerspec state migrate``: SQLite + local models -> PostgreSQL + S3, verified and idempotent."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.apply import make_plan
from nerspec.cli import cli
from nerspec.errors import StateError
from nerspec.migrate_state import SkippedRollout, migrate_state
from nerspec.paths import StatePaths
from nerspec.state import open_store
from nerspec.state.store import DeploymentRecord, HistoryRecord, RolloutRecord, StagedRollout
from tests.tiny import make_docs, manifest


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


ROLLOUT = {"strategy": "canary", "weight": 0.25, "analysis": {"min_documents": 50}}


def _staged_and_monitored(tiny: Any, state: StatePaths, run_apply: Any) -> None:
    """production serves a first model, a canary candidate is staged with 7 observations, the deployment is
    monitored with texts and has 5 logged documents (two of them in the same instant)."""
    from nerspec.state.monitoring import MonitoredDocument, Predicted
    from nerspec.state.store import RolloutObservation

    run_apply()
    tiny.write_manifest(manifest(deployments=[{"name": "production", "rollout": ROLLOUT,
                                               "monitoring": {"store_texts": True}}]))
    tiny.write_docs(make_docs(30))
    run_apply()
    with open_store(state) as store:
        rollout = store.rollouts("tiny")["production"]
        served = store.deployments("tiny")["production"].fingerprint
        store.record_rollout_observations([RolloutObservation(rollout.id, i == 3, 2, i % 2, 0, i != 5,
                                                              None if i == 3 else 1.5 + i, 2.0) for i in range(7)])
        store.record_monitoring_documents([
            MonitoredDocument("tiny", "production", served, 1_800_000_000.0 + min(i, 3), f"q{i}", "en", 20 + i, 5,
                              i % 2, (Predicted("PER", 0.9, 0, 5), Predicted("LOC", 0.75, 14, 19)),
                              2_000_000_000.0, f"Alice moved to Paris {i}.") for i in range(5)])


def _everything(store: Any) -> dict[str, Any]:
    """Every record kind the state store holds, comparable across backends (row ids and the models' locations,
    which a migration changes by design, left out)."""
    rollouts = store.all_rollouts()
    deployments = store.all_deployments()
    return {
        "models": sorted((replace(m, model_dir="") for m in store.all_models()), key=lambda m: m.fingerprint),
        "evaluations": {m.fingerprint: store.evaluations(m.fingerprint) for m in store.all_models()},
        "document_hashes": {m.fingerprint: store.document_hashes(m.fingerprint) for m in store.all_models()},
        "splits": store.recorded_splits("tiny"),
        "deployments": deployments,
        "history": [replace(h, id=0) for h in store.history("tiny")],
        "rollouts": rollouts,
        "observations": {r.id: store.rollout_observations(r.id) for r in rollouts},
        "monitoring_settings": store.monitoring_settings(),
        "monitoring_settings_updated": store.monitoring_settings_updated(),  # when apply declared them, kept
        "monitoring_documents": {(d.project, d.deployment): [replace(m, id=0) for m in store.monitoring_documents(
            d.project, d.deployment)] for d in deployments},
    }


def _assert_copied_everything(source: StatePaths, target: StatePaths) -> dict[str, Any]:
    with open_store(source) as old, open_store(target) as new:
        before, after = _everything(old), _everything(new)
    assert after == before
    assert len(after["rollouts"]) == 1 and len(after["observations"][after["rollouts"][0].id]) == 7
    assert len(after["monitoring_documents"][("tiny", "production")]) == 5 and after["monitoring_settings"]
    return after


def test_migrate_sqlite_to_sqlite_loses_no_record_kind(tiny: Any, state: StatePaths, parts: Any, run_apply: Any,
                                                       tmp_path: Path) -> None:
    _staged_and_monitored(tiny, state, run_apply)
    target = StatePaths(tmp_path / "moved")
    report = migrate_state(state, target)
    assert (report.rollouts_copied, report.rollout_observations_copied, report.monitoring_settings_copied,
            report.monitoring_documents_copied, report.rollouts_skipped) == (1, 7, 1, 5, [])
    _assert_copied_everything(state, target)
    with open_store(target) as store:  # the moved state plans what the old one did: the rollout, still pending
        (line,) = make_plan(tiny.load(), target, store, parts).projects[0].rollouts
        assert (line.verdict, line.documents) == ("pending", 7)

    again = CliRunner().invoke(cli, ["state", "migrate", "--from", str(state.root), "--to", str(target.root),
                                     "--quiet", "--json"])
    assert again.exit_code == 0, again.output
    second = json.loads(again.output)
    assert (second["rollouts_copied"], second["monitoring_settings_copied"], second["monitoring_documents_copied"],
            second["projects_present"]) == (0, 0, 0, ["tiny"])
    _assert_copied_everything(state, target)  # nothing added twice


def test_migrate_adds_a_rollout_to_a_project_the_target_already_has(tiny: Any, state: StatePaths, run_apply: Any,
                                                                   tmp_path: Path) -> None:
    """A target migrated before rollouts were copied (deployments and history, the rollout's start included, but no
    rollout rows) gets the staged rollout (its id kept) on the next run."""
    import sqlite3
    from contextlib import closing

    _staged_and_monitored(tiny, state, run_apply)
    target = StatePaths(tmp_path / "moved")
    migrate_state(state, target)
    with open_store(target) as store:
        rollout = store.rollouts("tiny")["production"]
    with closing(sqlite3.connect(target.db)) as db, db:  # what the older migrate left: no rollout tables copied
        db.execute("DELETE FROM rollout_observations")
        db.execute("DELETE FROM rollouts")
    report = migrate_state(state, target)
    assert (report.projects_present, report.rollouts_copied, report.rollout_observations_copied,
            report.rollouts_skipped) == (["tiny"], 1, 7, [])
    with open_store(target) as store:
        assert store.rollouts("tiny")["production"] == rollout and len(store.rollout_observations(rollout.id)) == 7


@pytest.mark.parametrize("action", ["abort", "promote"])
def test_migrate_again_never_revives_a_rollout_the_target_ended(action: str, tiny: Any, state: StatePaths,
                                                                run_apply: Any, pg_url: str, tmp_path: Path) -> None:
    """Aborted (SQLite) or promoted (PostgreSQL) on the target after the first run: the second run leaves it ended
    (servers must not resume the candidate's traffic) and says why."""
    _staged_and_monitored(tiny, state, run_apply)
    target = (StatePaths(tmp_path / "moved") if action == "abort"
              else StatePaths(tmp_path / "elsewhere", state_url=pg_url, artifacts_url=str(tmp_path / "models")))
    migrate_state(state, target)
    with open_store(target) as store:
        rollout = store.rollouts("tiny")["production"]
        promote = replace(store.deployments("tiny")["production"], fingerprint=rollout.candidate)
        store.rollout_end(rollout, action=action, actor="test", reason="ended on the target",
                          promote=promote if action == "promote" else None)
        served = store.deployments("tiny")["production"].fingerprint
    report = migrate_state(state, target)
    assert (report.rollouts_copied, report.rollout_observations_copied, report.rollouts_skipped) == \
        (0, 0, [SkippedRollout("tiny/production", "the target ended it")])
    with open_store(target) as store:
        assert store.rollouts("tiny") == {} and store.rollout_observations(rollout.id) == []
        assert store.deployments("tiny")["production"].fingerprint == served
    args = ["state", "migrate", "--from", str(state.root), "--to", target.describe() if action == "abort" else pg_url,
            "--quiet"] + ([] if action == "abort" else ["--artifacts", str(tmp_path / "models")])
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "warning: the rollout of tiny/production was not copied: the target ended it" in again.output


def test_migrate_counts_no_project_for_monitoring_rows_alone(state: StatePaths, tmp_path: Path) -> None:
    """A project known only by its monitoring settings: they are copied with the time they were declared, and no
    project is reported copied (none of its own records were)."""
    with open_store(state) as store:
        store.record_monitoring_settings("ghost", "web", {"store_texts": False}, 1_700_000_000.5)
    target = StatePaths(tmp_path / "moved")
    report = migrate_state(state, target)
    assert (report.projects_copied, report.projects_present, report.monitoring_settings_copied) == ([], [], 1)
    with open_store(target) as store:
        assert store.monitoring_settings_updated() == {("ghost", "web"): 1_700_000_000.5}
        assert store.deployments("ghost") == {} and store.history("ghost") == []


def test_migrate_sqlite_to_postgresql_loses_no_record_kind(tiny: Any, state: StatePaths, run_apply: Any,
                                                           pg_url: str, tmp_path: Path) -> None:
    _staged_and_monitored(tiny, state, run_apply)
    target = StatePaths(tmp_path / "elsewhere", state_url=pg_url, artifacts_url=str(tmp_path / "models"))
    report = migrate_state(state, target)
    assert (report.projects_copied, report.rollouts_copied, report.monitoring_documents_copied) == (["tiny"], 1, 5)
    after = _assert_copied_everything(state, target)
    assert after["rollouts"][0].weight == 0.25
    assert migrate_state(state, target).monitoring_documents_copied == 0
    _assert_copied_everything(state, target)


PRODUCTION, CANDIDATE = "p" * 24, "c" * 24


def _day(day: int) -> str:
    return f"2026-01-{day:02d}T12:00:00+00:00"


def _rollout(rollout_id: str, day: int) -> RolloutRecord:
    return RolloutRecord(rollout_id, "tiny", "production", CANDIDATE, PRODUCTION, "shadow", None, _day(day))


def _entry(action: str, day: int) -> HistoryRecord:
    """A history entry of tiny/production: production deployed, the candidate staged, or its rollout aborted."""
    moves = {"deploy": (None, PRODUCTION), "rollout": (PRODUCTION, CANDIDATE), "abort": (CANDIDATE, None)}
    return HistoryRecord(0, "tiny", "production", action, *moves[action], "test", _day(day), f"{action} on day {day}")


def _recorded(paths: StatePaths, history: list[HistoryRecord], rollouts: list[RolloutRecord]) -> None:
    """A state whose tiny/production serves PRODUCTION, with this history and these staged rollouts."""
    with open_store(paths) as store:
        store.import_project("tiny", [DeploymentRecord("tiny", "production", PRODUCTION, {"type": "local"}, _day(1))],
                             history, [StagedRollout(r, []) for r in rollouts])


def test_migrate_adds_a_later_rollout_of_a_candidate_whose_earlier_rollout_the_target_ended(tmp_path: Path) -> None:
    """A target migrated (before rollouts were copied) while a first rollout of the candidate was staged, then
    aborted there; the source replaced it by a second rollout of the same candidate. The second is copied: the
    target's end was of the first one."""
    source, target = StatePaths(tmp_path / "old"), StatePaths(tmp_path / "moved")
    _recorded(source, [_entry("deploy", 1), _entry("rollout", 2), _entry("rollout", 4)], [_rollout("second", 4)])
    _recorded(target, [_entry("deploy", 1), _entry("rollout", 2), _entry("abort", 3)], [])
    report = migrate_state(source, target)
    assert (report.projects_present, report.rollouts_copied, report.rollouts_skipped) == (["tiny"], 1, [])
    with open_store(target) as store:
        assert store.rollouts("tiny")["production"] == _rollout("second", 4)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrate_again_never_revives_a_later_rollout_of_a_candidate_the_source_ended_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The source aborted a first rollout of the candidate (the target never saw that end) and staged a second;
    the migration copies the second, the target aborts it: the next run leaves it ended, though both histories
    then record one abort of that candidate on that deployment."""
    source = StatePaths(tmp_path / "old")
    target = (StatePaths(tmp_path / "moved") if backend == "sqlite" else
              StatePaths(tmp_path / "elsewhere", state_url=request.getfixturevalue("pg_url"),
                         artifacts_url=str(tmp_path / "models")))
    _recorded(source, [_entry("deploy", 1), _entry("rollout", 2), _entry("abort", 3), _entry("rollout", 4)],
              [_rollout("second", 4)])
    _recorded(target, [_entry("deploy", 1), _entry("rollout", 2)], [])  # migrated while the first was staged
    assert migrate_state(source, target).rollouts_copied == 1
    with open_store(target) as store:
        store.rollout_end(_rollout("second", 4), action="abort", actor="test", reason="ended on the target")
    report = migrate_state(source, target)
    assert (report.rollouts_copied, report.rollouts_skipped) == \
        (0, [SkippedRollout("tiny/production", "the target ended it")])
    with open_store(target) as store:
        assert store.rollouts("tiny") == {}


def test_migrate_reports_a_rollout_the_target_replaced(tmp_path: Path) -> None:
    source, target = StatePaths(tmp_path / "old"), StatePaths(tmp_path / "moved")
    _recorded(source, [_entry("deploy", 1), _entry("rollout", 2)], [_rollout("first", 2)])
    _recorded(target, [_entry("deploy", 1), _entry("rollout", 2), _entry("rollout", 3)], [_rollout("own", 3)])
    report = migrate_state(source, target)
    assert (report.rollouts_copied, report.rollouts_skipped) == \
        (0, [SkippedRollout("tiny/production", "the target holds another rollout on that deployment")])
    with open_store(target) as store:
        assert store.rollouts("tiny")["production"].id == "own"


def test_migrate_again_keeps_what_the_target_recorded_of_a_model_since_and_adds_missing_evaluations(
    state: StatePaths, run_apply: Any, tmp_path: Path
) -> None:
    """The target re-evaluated a migrated model (its metrics and an evaluation changed there): the next run keeps
    them. An evaluation the target lacks (a run killed between the model's record and its evaluations) is added."""
    run_apply()
    target = StatePaths(tmp_path / "moved")
    migrate_state(state, target)
    with open_store(state) as old:
        (model,) = old.models("tiny")
        (key, *_), evaluations = list(old.evaluations(model.fingerprint)), old.evaluations(model.fingerprint)
    with open_store(target) as store:
        store.record_model(replace(store.models("tiny")[0], metrics={"f1": 0.5}))
        store.record_evaluation("tiny", model.fingerprint, key, {"evaluated": "on the target"})
        store.record_evaluation("tiny", model.fingerprint, "only-in-the-target", {"evaluated": "there too"})
    with open_store(state) as old:  # and one the target never got
        old.record_evaluation("tiny", model.fingerprint, "added-later", {"evaluated": "in the source"})
    report = migrate_state(state, target)
    assert (report.models_copied, report.models_present) == (0, 1)
    with open_store(target) as store:
        assert store.models("tiny")[0].metrics == {"f1": 0.5}
        assert store.evaluations(model.fingerprint) == {
            **evaluations, key: {"evaluated": "on the target"}, "only-in-the-target": {"evaluated": "there too"},
            "added-later": {"evaluated": "in the source"}}


def test_a_target_that_cannot_be_opened_leaves_no_source_connection(state: StatePaths, tmp_path: Path) -> None:
    import os

    with open_store(state) as store:
        store.record_monitoring_settings("tiny", "web", {"store_texts": False}, 1_700_000_000.0)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "state.db").write_bytes(b"not a database" * 100)
    with pytest.raises(StateError):
        migrate_state(state, StatePaths(broken))
    held = [os.path.realpath(fd) for fd in Path("/proc/self/fd").iterdir()] if Path("/proc/self/fd").is_dir() else []
    assert str(state.db.resolve()) not in held


def test_migrate_leaves_the_files_of_a_model_the_target_recorded_with_other_files(state: StatePaths, run_apply: Any,
                                                                                 tmp_path: Path) -> None:
    """The target trained the same model itself, to other bytes (its own record names them): the migration checks
    the target's files against the target's record, and neither replaces them nor fails on them."""
    from nerspec.safeio import sha256_file

    run_apply()
    target = StatePaths(tmp_path / "moved")
    migrate_state(state, target)
    with open_store(target) as store:
        (model,) = store.models("tiny")
        weights = Path(model.model_dir) / "model" / "weights.bin"
        weights.write_bytes(b"trained on the target")
        store.forget_model(model.fingerprint)  # recorded anew, as its own training would: no evaluations yet
        store.record_model(replace(model, artifact_files={**model.artifact_files,
                                                          "model/weights.bin": sha256_file(weights)}))
    report = migrate_state(state, target)
    assert (report.models_copied, report.models_present) == (0, 1)
    assert weights.read_bytes() == b"trained on the target"
    with open_store(target) as store:
        assert store.evaluations(model.fingerprint) == {}  # the source's measured the source's bytes


def test_migrate_again_checks_the_source_files_of_a_target_row_that_names_none(state: StatePaths, run_apply: Any,
                                                                               tmp_path: Path) -> None:
    """A row from before file lists were recorded: checked against the source's list (with none to check, the
    verification could never pass and "run the migration again" never helped)."""
    run_apply()
    target = StatePaths(tmp_path / "moved")
    migrate_state(state, target)
    with open_store(target) as store:
        (model,) = store.models("tiny")
        store.record_model(replace(model, artifact_files={}))
    report = migrate_state(state, target)
    assert (report.models_copied, report.models_present) == (0, 1) and report.files_verified > 0
