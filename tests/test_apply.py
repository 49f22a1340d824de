"""apply with the fake run parts: gates, --no-deploy, run result, rollback, swap, history."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nerspec.deploy import local, rollback, swap
from nerspec.errors import GateFailed
from nerspec.plan import render
from nerspec.state import open_store
from tests.plan.test_plan import plan_of
from tests.tiny import make_docs, manifest


def pointer_fp(state: Any, deployment: str = "production") -> str | None:
    pointer = local.read_pointer(state, "tiny", deployment)
    return pointer["fingerprint"] if pointer else None


def test_apply_writes_run_result(tiny: Any, state: Any, run_apply: Any) -> None:
    steps: list[str] = []
    result = run_apply(progress=steps.append)
    project = result["projects"][0]
    assert result["version"] == 1 and result["mode"] == "apply"
    assert project["model"]["fingerprint"] == pointer_fp(state)
    assert project["evaluation"]["micro"]["f1"] == 0.8
    assert project["deploy"] == {"will_deploy": True, "deployed": [{"deployment": "production", "from": None, "to": pointer_fp(state)}], "skipped_reason": None}
    assert json.loads((state.reports / "last-run.json").read_text()) == result
    assert any("train" in s for s in steps) and any("deployed production" in s for s in steps)
    artifact = state.models / pointer_fp(state)
    assert {p.name for p in artifact.iterdir()} >= {"model", "meta.json", "manifest.json", "fingerprints.json", "evaluation.json"}


def test_gate_failure_keeps_production(tiny: Any, state: Any, run_apply: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run_apply()
    good = pointer_fp(state)
    tiny.write_manifest(manifest(gates={"micro_f1": {"min": 0.7}, "per_entity": {"*": {"recall": {"min": 0.6}}}}))
    tiny.write_docs(make_docs(30))
    monkeypatch.setenv("NERSPEC_FAKE_F1", "0.5")
    with pytest.raises(GateFailed) as info:
        run_apply()
    message = str(info.value)
    assert "3 gates failed; nothing deployed" in message
    assert "  - micro_f1 = 0.500 < min 0.700" in message
    assert "per_entity.*.recall" in message
    assert pointer_fp(state) == good
    result = json.loads((state.reports / "last-run.json").read_text())
    project = result["projects"][0]
    assert project["gates"]["passed"] is False and project["deploy"]["skipped_reason"] == "gates failed"
    store = open_store(state)
    assert store.deployments("tiny")["production"].fingerprint == good
    assert store.get_model(project["model"]["fingerprint"]) is not None  # recorded although not deployed
    store.close()


def test_regression_gate_against_production(tiny: Any, state: Any, run_apply: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny.write_manifest(manifest(gates={"regression": {"against": "production", "max_drop": {"micro_f1": 0.05}}}))
    first = run_apply()["projects"][0]["gates"]["results"]
    # Nothing deployed yet: the regression gate is reported, passing and marked skipped (not silently absent).
    assert [(r["name"], r["passed"], r.get("skipped")) for r in first] == [("regression.micro_f1", True, True)]
    assert "no model deployed in `production` yet" in first[0]["message"]
    good = pointer_fp(state)
    tiny.write_docs(make_docs(30))
    monkeypatch.setenv("NERSPEC_FAKE_F1", "0.7")
    with pytest.raises(GateFailed, match=r"micro_f1 dropped 0\.100 \(0\.800 -> 0\.700\) against production, more than the allowed 0\.050"):
        run_apply()
    result = json.loads((state.reports / "last-run.json").read_text())["projects"][0]
    assert result["baseline"]["fingerprint"] == good and result["baseline"]["evaluation"]["micro"]["f1"] == 0.8
    assert pointer_fp(state) == good


def test_no_deploy(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    result = run_apply(no_deploy=True)
    assert result["mode"] == "apply --no-deploy"
    assert result["projects"][0]["deploy"]["skipped_reason"] == "--no-deploy"
    assert pointer_fp(state) is None
    assert [a.type for a in plan_of(tiny, state, parts).projects[0].actions] == ["reuse", "deploy"]


def test_rollback_restores_and_sticks(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    run_apply()
    first = pointer_fp(state)
    tiny.write_docs(make_docs(30))
    run_apply()
    second = pointer_fp(state)
    assert first != second
    (project,) = tiny.load()
    assert rollback(state, project, "production") == (second, first)
    assert pointer_fp(state) == first
    plan = plan_of(tiny, state, parts)
    assert not plan.changes and "was rolled back" in plan.projects[0].notes[0]  # apply won't undo it
    # "no changes" names what production really serves, not the candidate it was rolled back from
    assert f"no changes: production serves {first[:12]} (the manifest and data ask for {second[:12]})" in render(plan)
    steps: list[str] = []
    run_apply(progress=steps.append)
    assert f"tiny: no changes (production serves {first[:12]}" in steps[0]
    assert rollback(state, project, "production", to=second[:8]) == (first, second)
    store = open_store(state)
    assert [(h.action, h.from_fp, h.to_fp) for h in store.history("tiny")] == [
        ("deploy", None, first), ("deploy", first, second), ("rollback", second, first), ("rollback", first, second)
    ]
    assert all(h.actor and h.at for h in store.history("tiny"))
    store.close()


def test_swap(tiny: Any, state: Any, run_apply: Any) -> None:
    tiny.write_manifest(manifest(deployments=[{"name": "production"}, {"name": "staging"}]))
    run_apply()
    first = pointer_fp(state)
    tiny.write_docs(make_docs(30))
    run_apply()
    second = pointer_fp(state)
    (project,) = tiny.load()
    rollback(state, project, "staging")
    assert (pointer_fp(state), pointer_fp(state, "staging")) == (second, first)
    assert swap(state, project, "production", "staging") == (first, second)
    assert (pointer_fp(state), pointer_fp(state, "staging")) == (first, second)
    store = open_store(state)
    assert [h.action for h in store.history("tiny")][-2:] == ["swap", "swap"]
    assert store.deployments("tiny")["production"].fingerprint == first
    store.close()


def _span_outside_text(tiny: Any) -> None:
    docs = make_docs(24)
    docs[3]["spans"].append([0, 999, "LOC"])  # ends far past the text
    tiny.write_docs(docs)


def test_data_error_blocks_before_training(tiny: Any, state: Any, run_apply: Any) -> None:
    from nerspec.errors import EXIT_ERROR, DataError

    _span_outside_text(tiny)
    with pytest.raises(DataError) as failed:
        run_apply()
    assert failed.value.exit_code == EXIT_ERROR
    problems = failed.value.problems
    assert len(problems) == 1 and problems[0].where == "d0003[0:999]" and "outside" in problems[0].message
    assert "nothing trained" in failed.value.summary
    # nothing trained, nothing recorded, nothing deployed, no run result
    assert not state.models.exists() or list(state.models.iterdir()) == []
    store = open_store(state)
    try:
        assert store.models("tiny") == [] and store.deployments("tiny") == {}
    finally:
        store.close()
    assert pointer_fp(state) is None
    assert not (state.reports / "last-run.json").exists()


def test_data_error_in_one_project_blocks_every_project(tiny: Any, state: Any, parts: Any, tmp_path: Any) -> None:
    from nerspec.apply import apply
    from nerspec.errors import DataError
    from tests.tiny import TinyProject

    good = TinyProject(tmp_path, "good")
    good.write_manifest(manifest("good"))
    good.write_docs(make_docs(24))
    _span_outside_text(tiny)
    with pytest.raises(DataError, match="d0003"):
        apply(good.load() + tiny.load(), state, parts=parts)
    assert local.read_pointer(state, "good", "production") is None


def test_warnings_do_not_block_and_lint_lands_in_the_run_result(tiny: Any, state: Any, run_apply: Any) -> None:
    docs = make_docs(24)
    # `Alice` tagged PER in d0000 and LOC here: a lint type conflict (a warning), never an error.
    docs[12]["spans"][0][2] = "LOC"
    tiny.write_docs(docs)
    steps: list[str] = []
    result = run_apply(progress=steps.append)
    (project,) = result["projects"]
    lint = project["lint"]
    assert any(f["code"] == "lint_type_conflict" and "Alice" in f["message"] for f in lint)
    assert all(f["severity"] == "warning" and {"doc_id", "location", "start", "end", "excerpt"} <= f.keys() for f in lint)
    assert pointer_fp(state) is not None
    assert json.loads((state.reports / "last-run.json").read_text())["projects"][0]["lint"] == lint
    assert any("lint finding" in s for s in steps)


def test_damaged_rolled_back_model_is_refused_not_fake_repaired(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    from nerspec.errors import DeployError

    run_apply()
    first = pointer_fp(state)
    tiny.write_docs(make_docs(30))
    run_apply()
    second = pointer_fp(state)
    (project,) = tiny.load()
    rollback(state, project, "production")
    (state.models / first / "model" / "weights.bin").write_bytes(b"tampered")  # type: ignore[operator]
    (repair,) = plan_of(tiny, state, parts).projects[0].actions
    assert repair.type == "repair" and repair.damaged is True
    assert any("apply cannot rebuild" in r and "nerspec rollback" in r for r in repair.reasons)
    steps: list[str] = []
    with pytest.raises(DeployError) as refused:
        run_apply(progress=steps.append)
    message = str(refused.value)
    assert "not repaired" in message and f"--to {second[:12]}" in message  # type: ignore[index]
    assert not any("repaired production" in s for s in steps)
    store = open_store(state)
    assert [h.action for h in store.history("tiny")] == ["deploy", "deploy", "rollback"]  # no fake repair recorded
    store.close()
    assert [a.type for a in plan_of(tiny, state, parts).projects[0].actions] == ["repair"]  # still honest
    rollback(state, project, "production", to=second)  # the fix the message names
    assert not plan_of(tiny, state, parts).changes


def test_pointer_drift_while_rolled_back_is_repaired_and_stays_fixed(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    run_apply()
    first = pointer_fp(state)
    tiny.write_docs(make_docs(30))
    run_apply()
    (project,) = tiny.load()
    rollback(state, project, "production")
    (state.registry / "tiny" / "production.json").unlink()
    assert [a.type for a in plan_of(tiny, state, parts).projects[0].actions] == ["repair"]
    steps: list[str] = []
    run_apply(progress=steps.append)
    assert pointer_fp(state) == first
    assert any("repaired production: serves" in s for s in steps)
    assert not plan_of(tiny, state, parts).changes


def test_damaged_model_repair_while_promote_from_waits(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    from nerspec.errors import DeployError

    tiny.write_manifest(manifest(deployments=[{"name": "staging"}, {"name": "production", "promote_from": "staging"}]))
    run_apply()
    run_apply()
    old = pointer_fp(state)
    tiny.write_docs(make_docs(30))
    (state.models / old / "model" / "weights.bin").write_bytes(b"tampered")  # type: ignore[operator]
    plan = plan_of(tiny, state, parts).projects[0]
    assert [(a.type, getattr(a, "deployment", None)) for a in plan.actions] == [("train", None), ("deploy", "staging"), ("repair", "production")]
    with pytest.raises(DeployError, match="production: not repaired"):
        run_apply()
    # staging now serves the new model, so production may take it: that replaces the damaged model
    actions = plan_of(tiny, state, parts).projects[0].actions
    assert [(a.type, getattr(a, "deployment", None)) for a in actions] == [("reuse", None), ("deploy", "production")]
    run_apply()
    assert not plan_of(tiny, state, parts).changes


def test_rollback_to_requires_a_model_the_deployment_served(
    tiny: Any, state: Any, run_apply: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nerspec.errors import DeployError

    run_apply()
    good = pointer_fp(state)
    tiny.write_manifest(manifest(gates={"micro_f1": {"min": 0.7}}))
    tiny.write_docs(make_docs(30))
    monkeypatch.setenv("NERSPEC_FAKE_F1", "0.5")
    with pytest.raises(GateFailed):
        run_apply()
    failed = json.loads((state.reports / "last-run.json").read_text())["projects"][0]["model"]["fingerprint"]
    (project,) = tiny.load()
    with pytest.raises(DeployError, match="never served .*--force"):
        rollback(state, project, "production", to=failed[:8])
    assert pointer_fp(state) == good
    assert rollback(state, project, "production", to=failed[:8], force=True) == (good, failed)
    assert rollback(state, project, "production", to=good) == (failed, good)  # served before: no --force needed


def test_rollback_enforces_promote_from(tiny: Any, state: Any, run_apply: Any) -> None:
    from nerspec.errors import DeployError

    tiny.write_manifest(manifest(deployments=[{"name": "staging"}, {"name": "production", "promote_from": "staging"}]))
    run_apply()
    run_apply()
    tiny.write_docs(make_docs(30))
    run_apply(no_deploy=True)  # trained and recorded, served by nobody
    unstaged = json.loads((state.reports / "last-run.json").read_text())["projects"][0]["model"]["fingerprint"]
    (project,) = tiny.load()
    with pytest.raises(DeployError, match="promote_from: staging"):
        rollback(state, project, "production", to=unstaged, force=True)
    rollback(state, project, "staging", to=unstaged, force=True)
    assert rollback(state, project, "production", to=unstaged, force=True)[1] == unstaged  # staging served it now


def test_missing_baseline_model_reports_only_the_failure(tiny: Any, state: Any, run_apply: Any) -> None:
    import shutil

    tiny.write_manifest(manifest(gates={"regression": {"against": "production", "max_drop": {"micro_f1": 0.05, "per_label_f1": 0.1}}}))
    run_apply()
    good = pointer_fp(state)
    shutil.rmtree(state.models / good)  # type: ignore[operator]
    tiny.write_docs(make_docs(30))
    with pytest.raises(GateFailed, match="is missing"):
        run_apply()
    results = json.loads((state.reports / "last-run.json").read_text())["projects"][0]["gates"]["results"]
    regression = [r for r in results if r["name"].startswith("regression")]
    assert len(regression) == 1 and not regression[0]["passed"] and "is missing" in regression[0]["message"]
    assert not any(r.get("skipped") for r in results)


def test_a_rollback_holds_back_until_retried_or_the_deployments_settings_change(
    tiny: Any, state: Any, parts: Any, run_apply: Any
) -> None:
    from click.testing import CliRunner

    from nerspec.cli import cli

    run_apply()
    first = pointer_fp(state)
    tiny.write_docs(make_docs(30))
    run_apply()
    second = pointer_fp(state)
    (project,) = tiny.load()
    rollback(state, project, "production")
    (note,) = plan_of(tiny, state, parts).projects[0].notes
    assert note.startswith(f"production: held back: {second[:12]} was rolled back (rollback to the previous model, ")
    assert f"serves {first[:12]} while the manifest asks for {second[:12]}" in note and "--retry production" in note

    # Retried without editing anything: plan shows the deploy (exit 2), apply makes it.
    planned = plan_of(tiny, state, parts, retry=frozenset({"production"})).projects[0]
    assert [(a.type, getattr(a, "to", None)) for a in planned.actions] == [("reuse", None), ("deploy", second)]
    assert planned.actions[1].reasons[0].startswith(f"retrying {second[:12]}, held back since it was rolled back")
    run_apply(retry=frozenset({"production"}))
    assert pointer_fp(state) == second and not plan_of(tiny, state, parts).changes
    refused = CliRunner().invoke(cli, ["plan", str(tiny.dir), "--state", str(state.root), "--retry", "prod"])
    assert refused.exit_code == 1 and "--retry prod: no such deployment" in refused.output

    # Held back again; then the deployment's own settings change (a smoke check is added): deployed again.
    rollback(state, project, "production")
    assert not plan_of(tiny, state, parts).changes
    tiny.write_manifest(manifest(deployments=[{"name": "production", "smoke": [{"text": "Alice went to Paris."}]}]))
    (deploy,) = [a for a in plan_of(tiny, state, parts).projects[0].actions if a.type == "deploy"]
    assert deploy.to == second and deploy.reasons[0].startswith(f"production's settings changed since {second[:12]}")
