"""The pure rollout analysis (``nerspec.plan.rollouts``) and the plan's rollout decisions, from hand-built inputs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from nerspec.plan import (
    AbortRollout,
    Deploy,
    DropRollout,
    ObservedDeployment,
    Plan,
    ProjectInputs,
    Promote,
    StagedRollout,
    StageRollout,
    compute_plan,
    render,
)
from nerspec.plan.rollouts import Thresholds, analyze, compare, p95
from nerspec.predictions import from_json
from nerspec.state.store import RolloutObservation

OLD, NEW, OTHER = "a" * 24, "b" * 24, "c" * 24


def obs(matched: int = 2, c_only: int = 0, p_only: int = 0, identical: bool = True, error: bool = False,
        c_ms: float | None = 10.0, p_ms: float = 10.0) -> RolloutObservation:
    return RolloutObservation("r1", error, matched, c_only, p_only, identical, None if error else c_ms, p_ms)


def test_compare_counts_entities_by_offset_length_and_type() -> None:
    a = from_json([{"category": "PER", "offset": 0, "length": 4}, {"category": "LOC", "offset": 10, "length": 5}])
    b = from_json([{"category": "PER", "offset": 0, "length": 4}, {"category": "ORG", "offset": 10, "length": 5}])
    assert compare(a, b, spans=True) == compare(a, b, True)
    got = compare(a, b, spans=True)
    assert (got.matched, got.candidate_only, got.production_only, got.identical) == (1, 1, 1, False)
    classes = compare(from_json([{"category": "x"}, {"category": "y"}]), from_json([{"category": "y"}, {"category": "x"}]),
                      spans=False)
    assert classes.identical and classes.matched == 2


def test_pending_until_min_documents() -> None:
    result = analyze([obs()] * 9, Thresholds(min_documents=10), spans=True)
    assert result.verdict == "pending" and result.reasons == ["9 of 10 documents observed"]
    assert result.documents == 9 and result.agreement == 1.0


def test_pass_names_every_threshold() -> None:
    result = analyze([obs()] * 10, Thresholds(min_documents=10), spans=True)
    assert result.verdict == "pass"
    assert result.reasons == ["agreement 1.000 >= 0.900", "error rate 0.000 <= 0.010", "latency ratio 1.00 <= 1.50"]


def test_agreement_is_entity_f1_over_all_documents() -> None:
    # 6 matched, 2 only the candidate's, 2 only production's: F1 = 12 / 16
    observations = [obs(matched=3, c_only=1, p_only=1), obs(matched=3, c_only=1, p_only=1)]
    result = analyze(observations, Thresholds(min_documents=2), spans=True)
    assert result.agreement == pytest.approx(0.75)
    assert result.verdict == "fail" and result.reasons == ["agreement 0.750 < 0.900"]


def test_classification_agreement_is_the_share_of_identical_class_sets() -> None:
    observations = [obs(identical=True)] * 3 + [obs(identical=False)]
    assert analyze(observations, Thresholds(min_documents=1), spans=False).agreement == 0.75


def test_errors_and_latency_fail_with_reasons() -> None:
    observations = [obs(c_ms=30.0)] * 9 + [obs(error=True)]
    result = analyze(observations, Thresholds(min_documents=10), spans=True)
    assert result.error_rate == pytest.approx(0.1) and result.latency_ratio == pytest.approx(3.0)
    assert result.verdict == "fail"
    assert result.reasons == ["error rate 0.100 > 0.010", "latency ratio 3.00 > 1.50"]


def test_nothing_found_by_either_model_agrees() -> None:
    assert analyze([obs(matched=0)] * 3, Thresholds(min_documents=3), spans=True).agreement == 1.0
    assert p95([]) is None and p95([float(i) for i in range(1, 101)]) == 95.0


def staged(verdict: str = "pending", candidate: str = NEW, production: str | None = OLD) -> StagedRollout:
    return StagedRollout("r1", candidate, production, "shadow", "2026-12-06T00:00:00+00:00", 12, 0.95, 0.0, 1.1,
                         verdict, ["12 of 500 documents observed"], "12 documents, agreement 0.950, ...")


def project(*deployments: ObservedDeployment) -> ProjectInputs:
    return ProjectInputs(name="tiny", kind="NERProject", manifest_path="p", manifest_sha256="m", training_inputs={},
                         versions={}, data_fingerprint="d", candidate=NEW, candidate_recorded="t",
                         deployments=list(deployments))


def prod(**changes: Any) -> ObservedDeployment:
    base = ObservedDeployment("production", {"type": "local"}, recorded=OLD, actual=OLD, rollout_strategy="shadow")
    return replace(base, **changes)


def _types(plan: Plan) -> list[str]:
    return [a.type for a in plan.projects[0].actions]


def test_a_new_model_is_staged_not_deployed() -> None:
    plan = compute_plan([project(prod())])
    actions = plan.projects[0].actions
    assert [type(a) for a in actions] == [type(actions[0]), StageRollout]
    stage = actions[1]
    assert isinstance(stage, StageRollout) and (stage.production, stage.candidate) == (OLD, NEW)
    first = compute_plan([project(prod(recorded=None, actual=None))])
    assert any(isinstance(a, Deploy) for a in first.projects[0].actions)  # nothing to compare a first model with


def test_pending_rollout_is_no_change_with_its_line() -> None:
    plan = compute_plan([project(prod(rollout=staged()))])
    assert not plan.changes
    assert plan.projects[0].rollouts[0].verdict == "pending"
    assert "production candidate bbbbbbbbbbbb (shadow): 12 documents" in render(plan)


@pytest.mark.parametrize("verdict, action", [("pass", Promote), ("fail", AbortRollout)])
def test_a_verdict_is_a_change(verdict: str, action: type) -> None:
    plan = compute_plan([project(prod(rollout=staged(verdict)))])
    assert plan.changes and [type(a) for a in plan.projects[0].actions] == [action]
    assert Plan.from_json(plan.to_json()).to_json() == plan.to_json()


def test_manifest_change_replaces_the_candidate() -> None:
    plan = compute_plan([project(prod(rollout=staged(candidate=OTHER)))])
    assert _types(plan) == ["reuse", "drop_rollout", "rollout"]
    assert "replaces candidate cccccccccccc" in plan.projects[0].actions[2].reasons


def test_removing_rollout_deploys_directly_and_says_so() -> None:
    plan = compute_plan([project(prod(rollout_strategy=None, rollout=staged()))])
    assert _types(plan) == ["reuse", "drop_rollout", "deploy"]
    drop = plan.projects[0].actions[1]
    assert isinstance(drop, DropRollout) and "`rollout` was removed" in drop.reasons[0]


def test_figures_do_not_make_a_saved_plan_stale() -> None:
    a = compute_plan([project(prod(rollout=staged()))])
    b = compute_plan([project(prod(rollout=replace(staged(), documents=13, agreement=0.9)))])
    c = compute_plan([project(prod(rollout=staged("pass")))])
    assert a.inputs_sha256 == b.inputs_sha256 != c.inputs_sha256
