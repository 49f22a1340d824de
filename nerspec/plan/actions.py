"""The plan's vocabulary: one dataclass per action, a project's plan, and the whole plan.

Everything inside nerspec passes these types; ``to_json``/``from_json`` are the one boundary with `plan --json`,
saved plan files and the run result, whose dicts keep their exact shape (key order included).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Self

from nerspec.errors import StalePlanError
from nerspec.plan.inputs import RolloutLine
from nerspec.plan.plan_json import (
    ActionJSON,
    DeployJSON,
    EndRolloutJSON,
    PlanJSON,
    PlanSection,
    ProjectPlanJSON,
    PromoteJSON,
    RemoveDeploymentJSON,
    RepairJSON,
    StageRolloutJSON,
    TrainJSON,
    counts,
    items,
    maybe_text,
    number,
    obj,
    serves,
    text,
    texts,
)

PLAN_VERSION = 1


Raw = Mapping[str, object]


def _target(raw: Raw) -> str:
    """A saved plan's target type (plans from before targets name none: the default)."""
    from nerspec.deploy.targets import target_type

    return target_type({"type": maybe_text(raw, "target")})


@dataclass(frozen=True)
class Train:
    """Train the model the manifest and data ask for."""

    fingerprint: str
    reasons: list[str]
    type: ClassVar[str] = "train"

    def to_json(self) -> TrainJSON:
        return {"type": self.type, "fingerprint": self.fingerprint, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: Raw) -> Train:
        return cls(text(raw, "fingerprint"), texts(raw, "reasons"))


@dataclass(frozen=True)
class Reuse:
    """Record (or keep) a model already trained: identical fingerprint, or an interrupted apply's artifact."""

    fingerprint: str
    reasons: list[str]
    type: ClassVar[str] = "reuse"

    def to_json(self) -> TrainJSON:
        return {"type": self.type, "fingerprint": self.fingerprint, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: Raw) -> Reuse:
        return cls(text(raw, "fingerprint"), texts(raw, "reasons"))


@dataclass(frozen=True)
class Deploy:
    """Point a deployment at the candidate, if the gates pass."""

    deployment: str
    target: str
    from_fp: str | None
    to: str
    reasons: list[str]
    type: ClassVar[str] = "deploy"

    def to_json(self) -> DeployJSON:
        return {"type": self.type, "deployment": self.deployment, "target": self.target, "from": self.from_fp,
                "to": self.to, "if_gates_pass": True, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: Raw) -> Deploy:
        return cls(text(raw, "deployment"), _target(raw), maybe_text(raw, "from"), text(raw, "to"),
                   texts(raw, "reasons"))


@dataclass(frozen=True)
class Repair:
    """Put a drifted deployment back on the model it is recorded to serve. ``damaged`` is None when the plan
    did not look (the deployment serves the candidate itself), so the JSON has no ``damaged`` key then."""

    deployment: str
    target: str
    fingerprint: str | None
    reasons: list[str]
    damaged: bool | None = None
    type: ClassVar[str] = "repair"

    def to_json(self) -> RepairJSON:
        out: RepairJSON = {"type": self.type, "deployment": self.deployment, "target": self.target,
                           "fingerprint": self.fingerprint}
        if self.damaged is not None:
            out["damaged"] = self.damaged
        out["reasons"] = list(self.reasons)
        return out

    @classmethod
    def from_json(cls, raw: Raw) -> Repair:
        damaged = raw.get("damaged")
        if damaged is not None and not isinstance(damaged, bool):
            raise TypeError(f"damaged: expected true or false, got {type(damaged).__name__}")
        return cls(text(raw, "deployment"), _target(raw), maybe_text(raw, "fingerprint"), texts(raw, "reasons"),
                   damaged)


@dataclass(frozen=True)
class RemoveDeployment:
    """Stop serving a deployment the manifest no longer declares, and forget it."""

    deployment: str
    fingerprint: str | None
    reasons: list[str]
    type: ClassVar[str] = "remove_deployment"

    def to_json(self) -> RemoveDeploymentJSON:
        return {"type": self.type, "deployment": self.deployment, "fingerprint": self.fingerprint,
                "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: Raw) -> RemoveDeployment:
        return cls(text(raw, "deployment"), maybe_text(raw, "fingerprint"), texts(raw, "reasons"))


@dataclass(frozen=True)
class StageRollout:
    """Make the candidate the deployment's rollout candidate (if the gates pass); production keeps answering."""

    deployment: str
    target: str
    production: str | None
    candidate: str
    strategy: str
    weight: float | None
    reasons: list[str]
    type: ClassVar[str] = "rollout"

    def to_json(self) -> StageRolloutJSON:
        return {"type": self.type, "deployment": self.deployment, "target": self.target,
                "production": self.production, "candidate": self.candidate, "strategy": self.strategy,
                "weight": self.weight, "if_gates_pass": True, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: Raw) -> StageRollout:
        return cls(text(raw, "deployment"), _target(raw), maybe_text(raw, "production"), text(raw, "candidate"),
                   text(raw, "strategy"), number(raw, "weight"), texts(raw, "reasons"))


@dataclass(frozen=True)
class Promote:
    """The rollout passed its analysis: the candidate becomes the deployment's model."""

    deployment: str
    target: str
    rollout_id: str
    from_fp: str | None
    to: str
    figures: str
    reasons: list[str]
    type: ClassVar[str] = "promote"

    def to_json(self) -> PromoteJSON:
        return {"type": self.type, "deployment": self.deployment, "target": self.target,
                "rollout_id": self.rollout_id, "from": self.from_fp, "to": self.to, "figures": self.figures,
                "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: Raw) -> Promote:
        return cls(text(raw, "deployment"), _target(raw), text(raw, "rollout_id"), maybe_text(raw, "from"),
                   text(raw, "to"), text(raw, "figures", ""), texts(raw, "reasons"))


@dataclass(frozen=True)
class _EndRollout:
    deployment: str
    rollout_id: str
    candidate: str
    figures: str
    reasons: list[str]
    type: ClassVar[str] = ""

    def to_json(self) -> EndRolloutJSON:
        return {"type": self.type, "deployment": self.deployment, "rollout_id": self.rollout_id,
                "candidate": self.candidate, "figures": self.figures, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: Raw) -> Self:
        return cls(text(raw, "deployment"), text(raw, "rollout_id"), text(raw, "candidate"),
                   text(raw, "figures", ""), texts(raw, "reasons"))


@dataclass(frozen=True)
class AbortRollout(_EndRollout):
    """The rollout failed its analysis: the candidate is dropped, production is unchanged, the run fails (exit 3)."""

    type: ClassVar[str] = "abort_rollout"


@dataclass(frozen=True)
class DropRollout(_EndRollout):
    """The manifest no longer asks for the staged candidate: it is dropped without a verdict (not a failure)."""

    type: ClassVar[str] = "drop_rollout"


Action = Train | Reuse | Deploy | Repair | RemoveDeployment | StageRollout | Promote | AbortRollout | DropRollout
ModelAction = Train | Reuse
# The one table of action types, in the order the plan's summary counts them.
ACTIONS: dict[str, type[Action]] = {
    cls.type: cls for cls in (Train, Reuse, Deploy, RemoveDeployment, Repair, StageRollout, Promote, AbortRollout,
                              DropRollout)
}


def action_from_json(value: object) -> Action:
    raw = obj(value)
    kind = raw.get("type", "")
    cls = ACTIONS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise StalePlanError(f"the saved plan has an action nerspec does not know: {raw.get('type')!r}")
    return cls.from_json(raw)


def section_actions(section: object) -> list[Action]:
    """The typed actions of a run result project's ``plan`` entry (``ProjectPlan.section``; none without one)."""
    if not section:
        return []
    try:
        return [action_from_json(a) for a in items(obj(section).get("actions") or [])]
    except (KeyError, TypeError) as exc:
        raise StalePlanError(f"the run result's plan is malformed ({exc!r})") from None


@dataclass
class ProjectPlan:
    """What apply will do for one project, and why."""

    name: str
    kind: str
    manifest_path: str
    fingerprint: str  # the candidate: the model the manifest + data ask for
    data_fingerprint: str
    data_changes: dict[str, int] | None
    # What each declared deployment serves now: after a rollback (or while promote_from waits) that is not
    # ``fingerprint``, and "no changes" must not read as "serves the candidate".
    serves: dict[str, str | None]
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # rollouts in progress: `nerspec deployments rollout`'s lines (the JSON has the key only when there are some)
    rollouts: list[RolloutLine] = field(default_factory=list)

    @property
    def model_action(self) -> ModelAction | None:
        return next((a for a in self.actions if isinstance(a, (Train, Reuse))), None)

    @property
    def deploys(self) -> list[Deploy | StageRollout]:
        """What the candidate's gates decide: deploying it, or staging it as a rollout candidate."""
        return [a for a in self.actions if isinstance(a, (Deploy, StageRollout))]

    @property
    def rollout_actions(self) -> list[Promote | AbortRollout | DropRollout]:
        """Ends of staged rollouts: they concern models that passed their gates when staged."""
        return [a for a in self.actions if isinstance(a, (Promote, AbortRollout, DropRollout))]

    def actions_json(self) -> list[ActionJSON]:
        return [a.to_json() for a in self.actions]

    def section(self) -> PlanSection:
        """The run result's ``plan`` entry of this project."""
        return {"actions": self.actions_json(), "notes": list(self.notes)}

    def to_json(self) -> ProjectPlanJSON:
        out: ProjectPlanJSON = {
            "name": self.name,
            "kind": self.kind,
            "manifest_path": self.manifest_path,
            "fingerprint": self.fingerprint,
            "data_fingerprint": self.data_fingerprint,
            "data_changes": self.data_changes,
            "serves": dict(self.serves),
            "actions": self.actions_json(),
            "notes": list(self.notes),
        }
        if self.rollouts:
            out["rollouts"] = [r.to_json() for r in self.rollouts]
        return out

    @classmethod
    def from_json(cls, value: object) -> ProjectPlan:
        raw = obj(value)
        return cls(
            name=text(raw, "name"),
            kind=text(raw, "kind", ""),
            manifest_path=text(raw, "manifest_path", ""),
            fingerprint=text(raw, "fingerprint"),
            data_fingerprint=text(raw, "data_fingerprint", ""),
            data_changes=counts(raw.get("data_changes")),
            serves=serves(raw.get("serves")),
            actions=[action_from_json(a) for a in items(raw.get("actions", []))],
            notes=texts(raw, "notes", []),
            rollouts=[RolloutLine.from_json(r) for r in items(raw.get("rollouts", []))],
        )


@dataclass
class Plan:
    projects: list[ProjectPlan]
    inputs_sha256: str

    @property
    def changes(self) -> bool:
        return any(p.actions for p in self.projects)

    def to_json(self) -> PlanJSON:
        return {
            "version": PLAN_VERSION,
            "changes": self.changes,
            "inputs_sha256": self.inputs_sha256,
            "projects": [p.to_json() for p in self.projects],
        }

    @classmethod
    def from_json(cls, value: object) -> Plan:
        raw = value if isinstance(value, Mapping) else {}
        if raw.get("version") != PLAN_VERSION or not isinstance(raw.get("inputs_sha256"), str):
            raise StalePlanError("not a saved nerspec plan (or from another nerspec version); run `nerspec plan -o` again")
        try:
            projects = [ProjectPlan.from_json(p) for p in items(raw["projects"])]
        except (KeyError, TypeError, AttributeError) as exc:
            raise StalePlanError(f"the saved plan is malformed ({exc!r}); run `nerspec plan -o` again") from None
        return cls(projects=projects, inputs_sha256=text(raw, "inputs_sha256"))

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(ACTIONS, 0)
        for project in self.projects:
            for action in project.actions:
                out[action.type] += 1
        return out


def check_fresh(saved: Plan, current: Plan) -> None:
    if saved.inputs_sha256 != current.inputs_sha256:
        raise StalePlanError(
            "the saved plan is stale: the manifests, data or recorded state changed since it was made "
            f"(plan {saved.inputs_sha256[:12]}, now {current.inputs_sha256[:12]}). "
            "Run `nerspec plan -o plan.json` again and review it."
        )
    if _what_it_does(saved) != _what_it_does(current):
        # The same inputs always decide the same plan (``nerspec.plan.decide``), so a difference is an edit of the
        # file: executing it would deploy to a deployment no manifest declares, or repair what was never recorded.
        raise StalePlanError(
            "the saved plan's actions are not the ones its inputs decide: the file was edited after "
            "`nerspec plan -o` wrote it. Run `nerspec plan -o plan.json` again and review it."
        )


# Shown to people and refreshed by every observation (a rollout's figures), not what the plan does.
_NOT_COMPARED = ("reasons", "figures")


def _what_it_does(plan: Plan) -> list[tuple[str, str, list[dict[str, object]]]]:
    return [(p.name, p.fingerprint, [{k: v for k, v in a.to_json().items() if k not in _NOT_COMPARED}
                                     for a in p.actions]) for p in plan.projects]
