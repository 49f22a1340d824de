"""The plan's JSON, as the types say it is: what ``to_json`` writes (``plan --json``, saved plans, the run result's
``plan`` entries) and the narrowing ``from_json`` reads it back with. A saved plan is input like any other: every
value is checked to be what it should be before it becomes a typed action."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict


# Key order is the JSON's order: these are written as the ``to_json`` methods build them. ``from`` is a keyword,
# hence the functional syntax where an action has one.
class TrainJSON(TypedDict):
    type: str
    fingerprint: str
    reasons: list[str]


DeployJSON = TypedDict("DeployJSON", {"type": str, "deployment": str, "target": str, "from": str | None, "to": str,
                                      "if_gates_pass": bool, "reasons": list[str]})


class RepairJSON(TypedDict, total=False):
    type: str
    deployment: str
    target: str
    fingerprint: str | None
    damaged: bool  # only when the plan looked
    reasons: list[str]


class RemoveDeploymentJSON(TypedDict):
    type: str
    deployment: str
    fingerprint: str | None
    reasons: list[str]


class StageRolloutJSON(TypedDict):
    type: str
    deployment: str
    target: str
    production: str | None
    candidate: str
    strategy: str
    weight: float | None
    if_gates_pass: bool
    reasons: list[str]


PromoteJSON = TypedDict("PromoteJSON", {"type": str, "deployment": str, "target": str, "rollout_id": str,
                                        "from": str | None, "to": str, "figures": str, "reasons": list[str]})


class EndRolloutJSON(TypedDict):
    type: str
    deployment: str
    rollout_id: str
    candidate: str
    figures: str
    reasons: list[str]


ActionJSON = TrainJSON | DeployJSON | RepairJSON | RemoveDeploymentJSON | StageRolloutJSON | PromoteJSON | EndRolloutJSON


class RolloutLineJSON(TypedDict):
    """``nerspec deployments rollout --json``'s line; ``plan`` shows the same."""

    deployment: str
    candidate: str
    strategy: str
    documents: int
    agreement: float | None
    error_rate: float | None
    latency_ratio: float | None
    verdict: str
    reasons: list[str]


class _ProjectPlanJSON(TypedDict):
    name: str
    kind: str
    manifest_path: str
    fingerprint: str
    data_fingerprint: str
    data_changes: dict[str, int] | None
    serves: dict[str, str | None]
    actions: list[ActionJSON]
    notes: list[str]


class ProjectPlanJSON(_ProjectPlanJSON, total=False):
    rollouts: list[RolloutLineJSON]  # only when some are in progress


class PlanJSON(TypedDict):
    version: int
    changes: bool
    inputs_sha256: str
    projects: list[ProjectPlanJSON]
    warnings: NotRequired[list[str]]  # `plan --json`: stray pointers and the like
    paths: NotRequired[list[str]]  # a saved plan (`plan -o`): the manifests it was made from,
    retry: NotRequired[list[str]]  # and the deployments it retries (`apply PLAN.json` plans with them again)


class PlanSection(TypedDict):
    """A run result project's ``plan`` entry: the project plan's actions and notes."""

    actions: list[ActionJSON]
    notes: list[str]


# Readers of untrusted JSON: a wrong type is a TypeError (a saved plan's caller says "malformed").

def obj(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def items(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def text(raw: Mapping[str, object], key: str, default: str | None = None) -> str:
    value = raw[key] if default is None else raw.get(key, default)
    if not isinstance(value, str):
        raise TypeError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def maybe_text(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else text(raw, key)


def texts(raw: Mapping[str, object], key: str, default: list[str] | None = None) -> list[str]:
    values = items(raw[key] if default is None else raw.get(key, default))
    if not all(isinstance(v, str) for v in values):
        raise TypeError(f"{key}: expected a list of strings")
    return [str(v) for v in values]


def number(raw: Mapping[str, object], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{key}: expected a number, got {type(value).__name__}")
    return value


def counts(value: object) -> dict[str, int] | None:
    if value is None:
        return None
    out = {}
    for key, count in obj(value).items():
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"{key}: expected a count, got {type(count).__name__}")
        out[str(key)] = count
    return out


def serves(value: object) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name, fingerprint in obj(value or {}).items():
        if fingerprint is not None and not isinstance(fingerprint, str):
            raise TypeError(f"serves.{name}: expected a fingerprint, got {type(fingerprint).__name__}")
        out[str(name)] = fingerprint
    return out
