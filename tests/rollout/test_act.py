"""Apply's rollout steps with the fake run parts and a real SQLite state: stage instead of switching, then promote
on pass, abort (exit 3, production unchanged) on fail, wait on pending; the edge cases of the issue."""

from __future__ import annotations

from typing import Any

import pytest

from nerspec.deploy import local, rollback
from nerspec.errors import GateFailed
from nerspec.plan import make_plan
from nerspec.state import open_store
from nerspec.state.store import RolloutObservation
from tests.tiny import make_docs, manifest

SHADOW = {"strategy": "shadow", "analysis": {"min_documents": 4}}


def _pointer(state: Any) -> str:
    pointer = local.read_pointer(state, "tiny", "production")
    assert pointer is not None
    return str(pointer["fingerprint"])


def _observe(state: Any, n: int, matched: int = 2, production_only: int = 0) -> None:
    store = open_store(state)
    rollout = store.rollouts("tiny")["production"]
    store.record_rollout_observations(
        [RolloutObservation(rollout.id, False, matched, 0, production_only, True, 1.0, 1.0)] * n)
    store.close()


def _plan(tiny: Any, state: Any, parts: Any) -> Any:
    store = open_store(state)
    try:
        return make_plan(tiny.load(), state, store, parts).projects[0]
    finally:
        store.close()


@pytest.fixture
def staged(tiny: Any, state: Any, run_apply: Any) -> tuple[str, str]:
    """production serves a first model; a data change staged a second one as its shadow candidate."""
    run_apply()
    first = _pointer(state)
    tiny.write_manifest(manifest(deployments=[{"name": "production", "rollout": SHADOW}]))
    tiny.write_docs(make_docs(30))
    steps: list[str] = []
    result = run_apply(progress=steps.append)
    store = open_store(state)
    rollout = store.rollouts("tiny")["production"]
    store.close()
    assert _pointer(state) == first and rollout.production == first and rollout.candidate != first
    assert rollout.started and any("staged" in s for s in steps)
    assert result["projects"][0]["deploy"]["deployed"] == []
    return first, rollout.candidate


def test_pending_then_promoted_with_figures(staged: tuple[str, str], tiny: Any, state: Any, run_apply: Any,
                                            parts: Any) -> None:
    first, candidate = staged
    _observe(state, 3)
    plan = _plan(tiny, state, parts)
    assert plan.actions == [] and plan.rollouts[0].verdict == "pending"
    steps: list[str] = []
    result = run_apply(progress=steps.append)  # pending: progress, exit 0
    assert any("3 of 4 documents observed" in s for s in steps) and _pointer(state) == first
    assert result["projects"][0]["rollouts"][0]["documents"] == 3
    _observe(state, 1)
    assert [a.type for a in _plan(tiny, state, parts).actions] == ["promote"]
    run_apply()
    assert _pointer(state) == candidate
    store = open_store(state)
    last = store.history("tiny", "production")[-1]
    assert store.rollouts("tiny") == {} and store.deployments("tiny")["production"].fingerprint == candidate
    store.close()
    assert (last.action, last.from_fp, last.to_fp) == ("promote", first, candidate)
    assert last.reason.startswith("rollout passed: 4 documents, agreement 1.000, error rate 0.000")


def test_failed_analysis_aborts_with_exit_3(staged: tuple[str, str], state: Any, run_apply: Any) -> None:
    first, candidate = staged
    _observe(state, 4, matched=0, production_only=2)
    with pytest.raises(GateFailed, match="rollout of .* failed .*agreement 0.000 < 0.900.*production is unchanged"):
        run_apply()
    assert _pointer(state) == first
    store = open_store(state)
    assert store.rollouts("tiny") == {} and store.deployments("tiny")["production"].fingerprint == first
    last = store.history("tiny", "production")[-1]
    store.close()
    assert (last.action, last.from_fp) == ("abort", candidate) and "agreement 0.000" in last.reason


def test_manifest_change_replaces_the_candidate(staged: tuple[str, str], tiny: Any, state: Any,
                                                run_apply: Any) -> None:
    _observe(state, 3)
    tiny.write_docs(make_docs(32))
    run_apply()
    store = open_store(state)
    rollout = store.rollouts("tiny")["production"]
    assert rollout.candidate != staged[1] and store.rollout_observations(rollout.id) == []
    store.close()


def test_removing_rollout_deploys_directly(staged: tuple[str, str], tiny: Any, state: Any, run_apply: Any,
                                          parts: Any) -> None:
    tiny.write_manifest(manifest())
    plan = _plan(tiny, state, parts)
    assert [a.type for a in plan.actions] == ["reuse", "drop_rollout", "deploy"]
    run_apply()
    assert _pointer(state) == staged[1]


def test_rollback_drops_the_candidate(staged: tuple[str, str], tiny: Any, state: Any, run_apply: Any) -> None:
    # Promote first, then a rollback during the next rollout drops that rollout's candidate.
    _observe(state, 4)
    run_apply()
    tiny.write_docs(make_docs(32))
    run_apply()
    store = open_store(state)
    assert "production" in store.rollouts("tiny")
    store.close()
    rollback(state, tiny.load()[0], "production")
    store = open_store(state)
    assert store.rollouts("tiny") == {} and store.history("tiny", "production")[-1].action == "drop"
    assert store.deployments("tiny")["production"].fingerprint == staged[0]
    store.close()


def test_no_deploy_leaves_rollouts_alone(staged: tuple[str, str], state: Any, run_apply: Any) -> None:
    from nerspec.report.render import render

    _observe(state, 4)
    result = run_apply(no_deploy=True)
    assert result["projects"][0]["rollouts"][0]["verdict"] == "pass"
    assert _pointer(state) == staged[0]
    # The pull request's report shows the rollout's figures for the deployment it targets.
    markdown = render(result, "md")
    assert "### Rollout" in markdown
    assert f"| `production` | `{staged[1][:12]}` | shadow | 4 | 1.000 | 0.000 | 1.00 | pass |" in markdown
    assert "- `production`: agreement 1.000 &gt;= 0.900" in markdown  # escaped as every text of the report
    html = render(result, "html")
    assert "<h3>Rollout</h3>" in html and "<td>pass</td>" in html


def test_rollout_command_and_plan_exit_code(staged: tuple[str, str], tiny: Any, state: Any) -> None:
    import json

    from click.testing import CliRunner

    from nerspec.cli import cli

    runner = CliRunner()
    out = runner.invoke(cli, ["deployments", "rollout", str(tiny.dir), "--json", "--state", str(state.root)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [{
        "deployment": "production", "candidate": staged[1], "strategy": "shadow", "documents": 0,
        "agreement": None, "error_rate": None, "latency_ratio": None, "verdict": "pending",
        "reasons": ["0 of 4 documents observed"]}]
    _observe(state, 4)
    text = runner.invoke(cli, ["deployments", "rollout", str(tiny.dir), "--state", str(state.root)])
    assert f"production candidate {staged[1][:12]} (shadow): 4 documents, agreement 1.000" in text.output
    assert text.output.rstrip().endswith(": pass (agreement 1.000 >= 0.900; error rate 0.000 <= 0.010; "
                                         "latency ratio 1.00 <= 1.50)")
    plan = runner.invoke(cli, ["plan", str(tiny.dir), "--detailed-exitcode", "--state", str(state.root)])
    assert plan.exit_code == 2 and "^ promote" in plan.output and "rollout: production candidate" in plan.output
