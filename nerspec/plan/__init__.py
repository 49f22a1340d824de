"""``nerspec plan``: the difference between the manifests (desired) and what nerspec recorded (current).

Three parts, one way: ``observe`` looks at the world (files, state store, targets) and builds ``ProjectInputs``;
``decide`` is a pure function of them to a typed ``Plan`` of ``actions``; ``render`` prints it. The typed plan
crosses module boundaries; ``Plan.to_json``/``from_json`` is the one place its JSON (plan --json, saved plans,
the run result) is written and read.
"""

from __future__ import annotations

from nerspec.plan.actions import (
    PLAN_VERSION,
    AbortRollout,
    Action,
    Deploy,
    DropRollout,
    ModelAction,
    Plan,
    ProjectPlan,
    Promote,
    RemoveDeployment,
    Repair,
    Reuse,
    StageRollout,
    Train,
    check_fresh,
)
from nerspec.plan.decide import compute_plan, unrebuildable_hint
from nerspec.plan.inputs import (
    Hold,
    ObservedDeployment,
    PreviousModel,
    ProjectInputs,
    StagedRollout,
    inputs_sha256,
    short,
)
from nerspec.plan.observe import (
    artifact_files,
    artifact_intact,
    collect_inputs,
    document_hashes_loader,
    make_plan,
    manifest_sha256,
    observe_rollout,
    test_key,
)
from nerspec.plan.reasons import train_reasons
from nerspec.plan.render import describe, render, serving
from nerspec.plan.target_checks import check_deploy_secrets

__all__ = [
    "PLAN_VERSION", "AbortRollout", "Action", "Deploy", "Hold", "DropRollout", "Promote", "StageRollout", "StagedRollout",
    "observe_rollout", "ModelAction", "ObservedDeployment", "Plan", "PreviousModel", "ProjectInputs", "ProjectPlan",
    "RemoveDeployment", "Repair", "Reuse", "Train", "artifact_files", "artifact_intact", "check_deploy_secrets", "check_fresh",
    "collect_inputs", "compute_plan", "describe", "document_hashes_loader", "inputs_sha256", "make_plan",
    "manifest_sha256", "render", "serving", "short", "test_key", "train_reasons", "unrebuildable_hint",
]
