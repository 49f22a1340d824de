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


Action = Train | Reuse | Deploy | Repair | RemoveDeployment
ModelAction = Train | Reuse
# The one table of action types, in the order the plan's summary counts them.
ACTIONS: dict[str, type[Train] | type[Reuse] | type[Deploy] | type[RemoveDeployment] | type[Repair]] = {
    cls.type: cls for cls in (Train, Reuse, Deploy, RemoveDeployment, Repair)
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

    @property
    def model_action(self) -> ModelAction | None:
        return next((a for a in self.actions if isinstance(a, (Train, Reuse))), None)

    @property
    def deploys(self) -> list[Deploy]:
        return [a for a in self.actions if isinstance(a, Deploy)]

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
