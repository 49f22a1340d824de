"""The plan's vocabulary: one dataclass per action, a project's plan, and the whole plan.

Everything inside nerspec passes these types; ``to_json``/``from_json`` are the one boundary with `plan --json`,
saved plan files and the run result, whose dicts keep their exact shape (key order included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from nerspec.errors import StalePlanError

PLAN_VERSION = 1


def _target(raw: dict[str, Any]) -> str:
    """A saved plan's target type (plans from before targets name none: the default)."""
    from nerspec.deploy.targets import target_type

    return target_type({"type": raw.get("target")})


@dataclass(frozen=True)
class Train:
    """Train the model the manifest and data ask for."""

    fingerprint: str
    reasons: list[str]
    type: ClassVar[str] = "train"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "fingerprint": self.fingerprint, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Train:
        return cls(raw["fingerprint"], list(raw["reasons"]))


@dataclass(frozen=True)
class Reuse:
    """Record (or keep) a model already trained: identical fingerprint, or an interrupted apply's artifact."""

    fingerprint: str
    reasons: list[str]
    type: ClassVar[str] = "reuse"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "fingerprint": self.fingerprint, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Reuse:
        return cls(raw["fingerprint"], list(raw["reasons"]))


@dataclass(frozen=True)
class Deploy:
    """Point a deployment at the candidate, if the gates pass."""

    deployment: str
    target: str
    from_fp: str | None
    to: str
    reasons: list[str]
    type: ClassVar[str] = "deploy"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "deployment": self.deployment, "target": self.target, "from": self.from_fp,
                "to": self.to, "if_gates_pass": True, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Deploy:
        return cls(raw["deployment"], _target(raw), raw.get("from"), raw["to"], list(raw["reasons"]))


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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "deployment": self.deployment, "target": self.target,
                               "fingerprint": self.fingerprint}
        if self.damaged is not None:
            out["damaged"] = self.damaged
        out["reasons"] = list(self.reasons)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Repair:
        return cls(raw["deployment"], _target(raw), raw.get("fingerprint"), list(raw["reasons"]),
                   raw.get("damaged"))


@dataclass(frozen=True)
class RemoveDeployment:
    """Stop serving a deployment the manifest no longer declares, and forget it."""

    deployment: str
    fingerprint: str | None
    reasons: list[str]
    type: ClassVar[str] = "remove_deployment"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "deployment": self.deployment, "fingerprint": self.fingerprint,
                "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RemoveDeployment:
        return cls(raw["deployment"], raw.get("fingerprint"), list(raw["reasons"]))


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

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "deployment": self.deployment, "target": self.target,
                "production": self.production, "candidate": self.candidate, "strategy": self.strategy,
                "weight": self.weight, "if_gates_pass": True, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> StageRollout:
        return cls(raw["deployment"], _target(raw), raw.get("production"), raw["candidate"],
                   raw["strategy"], raw.get("weight"), list(raw["reasons"]))


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

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "deployment": self.deployment, "target": self.target,
                "rollout_id": self.rollout_id, "from": self.from_fp, "to": self.to, "figures": self.figures,
                "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Promote:
        return cls(raw["deployment"], _target(raw), raw["rollout_id"], raw.get("from"), raw["to"],
                   raw.get("figures", ""), list(raw["reasons"]))


@dataclass(frozen=True)
class _EndRollout:
    deployment: str
    rollout_id: str
    candidate: str
    figures: str
    reasons: list[str]
    type: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "deployment": self.deployment, "rollout_id": self.rollout_id,
                "candidate": self.candidate, "figures": self.figures, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Any:
        return cls(raw["deployment"], raw["rollout_id"], raw["candidate"], raw.get("figures", ""),
                   list(raw["reasons"]))


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


def action_from_json(raw: dict[str, Any]) -> Action:
    cls = ACTIONS.get(raw.get("type", ""))
    if cls is None:
        raise StalePlanError(f"the saved plan has an action nerspec does not know: {raw.get('type')!r}")
    return cls.from_json(raw)


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
    rollouts: list[dict[str, Any]] = field(default_factory=list)

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

    def actions_json(self) -> list[dict[str, Any]]:
        return [a.to_json() for a in self.actions]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "manifest_path": self.manifest_path,
            "fingerprint": self.fingerprint,
            "data_fingerprint": self.data_fingerprint,
            "data_changes": self.data_changes,
            "serves": dict(self.serves),
            "actions": self.actions_json(),
            "notes": list(self.notes),
            **({"rollouts": [dict(r) for r in self.rollouts]} if self.rollouts else {}),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ProjectPlan:
        return cls(
            name=raw["name"],
            kind=raw.get("kind", ""),
            manifest_path=raw.get("manifest_path", ""),
            fingerprint=raw["fingerprint"],
            data_fingerprint=raw.get("data_fingerprint", ""),
            data_changes=raw.get("data_changes"),
            serves=dict(raw.get("serves") or {}),
            actions=[action_from_json(a) for a in raw.get("actions", [])],
            notes=list(raw.get("notes", [])),
            rollouts=list(raw.get("rollouts", [])),
        )


@dataclass
class Plan:
    projects: list[ProjectPlan]
    inputs_sha256: str

    @property
    def changes(self) -> bool:
        return any(p.actions for p in self.projects)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION,
            "changes": self.changes,
            "inputs_sha256": self.inputs_sha256,
            "projects": [p.to_json() for p in self.projects],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Plan:
        if raw.get("version") != PLAN_VERSION or "inputs_sha256" not in raw:
            raise StalePlanError("not a saved nerspec plan (or from another nerspec version); run `nerspec plan -o` again")
        try:
            projects = [ProjectPlan.from_json(p) for p in raw["projects"]]
        except (KeyError, TypeError, AttributeError) as exc:
            raise StalePlanError(f"the saved plan is malformed ({exc!r}); run `nerspec plan -o` again") from None
        return cls(projects=projects, inputs_sha256=raw["inputs_sha256"])

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
