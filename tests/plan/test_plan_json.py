"""The plan's JSON (``plan --json``, saved plans, the run result's plan entries) round-trips through the typed plan."""

from __future__ import annotations

import json

import pytest

from nerspec.errors import StalePlanError
from nerspec.plan import (
    AbortRollout,
    Deploy,
    DropRollout,
    Plan,
    ProjectPlan,
    Promote,
    RemoveDeployment,
    Repair,
    Reuse,
    StageRollout,
    Train,
)
from nerspec.plan.actions import section_actions
from nerspec.plan.inputs import RolloutLine

A, B, C = "a" * 24, "b" * 24, "c" * 24


def every_action_plan() -> Plan:
    line = RolloutLine("canary", C, "canary", 12, 0.9, None, 1.25, "pending", ["needs 100 documents"])
    first = ProjectPlan(
        name="news", kind="NERProject", manifest_path="projects/news/nerspec.yaml", fingerprint=B,
        data_fingerprint="d" * 24, data_changes={"added": 3, "removed": 0, "relabeled": 1},
        serves={"production": A, "staging": None},
        actions=[
            Train(B, ["data changed"]),
            Deploy("production", "local", A, B, ["the manifest and data ask for a different model"]),
            Repair("staging", "http", A, ["pointer changed"], damaged=True),
            Repair("edge", "local", None, ["record lost"]),
            RemoveDeployment("old", A, ["no longer declared in the manifest"]),
            StageRollout("canary", "local", A, B, "canary", 0.1, ["canary rollout"]),
            Promote("shadow", "local", "r1", A, C, "agreement 0.99", ["passed"]),
            AbortRollout("canary", "r2", C, "error rate 0.2", ["failed"]),
            DropRollout("canary", "r3", C, "", ["replaced"]),
        ],
        notes=["staging: remote unreachable"],
        rollouts=[line],
    )
    second = ProjectPlan("intents", "TextcatProject", "projects/intents/nerspec.yaml", C, "e" * 24, None,
                         {"production": C}, actions=[Reuse(C, ["identical fingerprint"])])
    return Plan(projects=[first, second], inputs_sha256="f" * 64)


def test_the_plan_json_round_trips_through_the_typed_plan() -> None:
    plan = every_action_plan()
    text = json.dumps(plan.to_json(), indent=2, ensure_ascii=False)
    again = Plan.from_json(json.loads(text))
    assert again == plan
    assert json.dumps(again.to_json(), indent=2, ensure_ascii=False) == text  # byte for byte, key order included


def test_the_json_keeps_its_shape() -> None:
    data = every_action_plan().to_json()
    assert list(data) == ["version", "changes", "inputs_sha256", "projects"]
    first, second = data["projects"]
    assert "rollouts" in first and "rollouts" not in second  # the key only while rollouts are in progress
    deploy, repair, unlooked = first["actions"][1], first["actions"][2], first["actions"][3]
    assert list(deploy) == ["type", "deployment", "target", "from", "to", "if_gates_pass", "reasons"]
    assert list(repair) == ["type", "deployment", "target", "fingerprint", "damaged", "reasons"]
    assert "damaged" not in unlooked  # the plan did not look


def test_a_run_results_plan_entry_reads_back_as_actions() -> None:
    project = every_action_plan().projects[0]
    section = json.loads(json.dumps(project.section()))
    assert section_actions(section) == project.actions
    assert section_actions(None) == [] and section_actions({"notes": []}) == []


@pytest.mark.parametrize("field, value", [("fingerprint", 7), ("reasons", "not a list"), ("data_changes", {"added": "3"}),
                                          ("serves", {"production": 1})])
def test_a_value_of_the_wrong_type_is_a_malformed_plan(field: str, value: object) -> None:
    data = json.loads(json.dumps(every_action_plan().to_json()))
    target = data["projects"][0]["actions"][0] if field in ("fingerprint", "reasons") else data["projects"][0]
    target[field] = value
    with pytest.raises(StalePlanError, match="malformed"):
        Plan.from_json(data)


def test_what_is_not_a_plan_is_refused() -> None:
    for raw in ([], "plan", {"version": 1}, {"version": 2, "inputs_sha256": "x", "projects": []}):
        with pytest.raises(StalePlanError, match="not a saved nerspec plan"):
            Plan.from_json(raw)
