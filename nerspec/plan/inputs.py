"""What the plan decides from: the world as observed (manifest values, data fingerprints, recorded models and
deployments, what targets serve). Plain data, built by ``nerspec.plan.observe`` or by hand in tests."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from nerspec.plan.plan_json import RolloutLineJSON, number, obj, text, texts
from nerspec.state.sql import JsonObject

SHORT = 12


@dataclass(frozen=True)
class RolloutLine:
    """A rollout in progress, with its figures and verdict (``nerspec deployments rollout``; ``plan`` shows it)."""

    deployment: str
    candidate: str
    strategy: str
    documents: int
    agreement: float | None
    error_rate: float | None
    latency_ratio: float | None
    verdict: str  # pending | pass | fail
    reasons: list[str]

    def to_json(self) -> RolloutLineJSON:
        return {"deployment": self.deployment, "candidate": self.candidate, "strategy": self.strategy,
                "documents": self.documents, "agreement": self.agreement, "error_rate": self.error_rate,
                "latency_ratio": self.latency_ratio, "verdict": self.verdict, "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, value: object) -> RolloutLine:
        raw = obj(value)
        documents = raw["documents"]
        if isinstance(documents, bool) or not isinstance(documents, int):
            raise TypeError(f"documents: expected a count, got {type(documents).__name__}")
        return cls(text(raw, "deployment"), text(raw, "candidate"), text(raw, "strategy"), documents,
                   number(raw, "agreement"), number(raw, "error_rate"), number(raw, "latency_ratio"),
                   text(raw, "verdict"), texts(raw, "reasons"))


@dataclass
class StagedRollout:
    """A candidate staged on a deployment, with the analysis of what the servers observed so far."""

    id: str
    candidate: str
    production: str | None
    strategy: str
    started: str
    documents: int
    agreement: float | None
    error_rate: float | None
    latency_ratio: float | None
    verdict: str  # pending | pass | fail
    reasons: list[str] = field(default_factory=list)
    figures: str = ""  # the figures in one line (history entries, progress)

    def line(self, deployment: str) -> RolloutLine:
        """``nerspec deployments rollout``'s line; ``plan`` shows the same."""
        return RolloutLine(deployment, self.candidate, self.strategy, self.documents, self.agreement,
                           self.error_rate, self.latency_ratio, self.verdict, list(self.reasons))


@dataclass
class Hold:
    """A model a rollback moved a deployment away from: held back while the manifest still asks for it, until the
    model or the deployment's settings change, or the user retries it (``apply --retry DEPLOYMENT``)."""

    fingerprint: str  # the held-back model
    at: str  # when it was rolled back
    reason: str  # why (a smoke check's failure, "rollback to the previous model", ...)
    settings: str = ""  # digest of the deployment's settings then ('' unknown: only a new model releases it)


@dataclass
class ObservedDeployment:
    """One deployment as recorded and as found on its target."""

    name: str
    target: JsonObject
    promote_from: str | None = None
    desired: bool = True  # declared in the manifest
    recorded: str | None = None  # fingerprint in the state store
    actual: str | None = None  # fingerprint the pointer / remote serves (None: nothing there)
    actual_origin: str | None = None  # unrecorded here, ``actual`` is what this other state deployed (its state.db)
    drift: list[str] = field(default_factory=list)  # what changed outside nerspec
    artifact_damaged: bool = False  # the recorded model's files are missing or changed
    served: list[str] = field(default_factory=list)  # every fingerprint it ever served (promote_from)
    rolled_back_from: list[str] = field(default_factory=list)  # fingerprints a rollback moved it away from
    unreachable: str | None = None  # "URL: why" when the remote target did not answer (unknown, not drift)
    notes: list[str] = field(default_factory=list)  # worth saying, not a change (a stale cache, an unchecked remote)
    holds: list[Hold] = field(default_factory=list)  # models rolled back from and not chosen again since
    settings: str = ""  # digest of the deployment's settings now (``Deployment.settings_sha256``)
    retry: bool = False  # the user asked to retry a held-back model (`apply --retry DEPLOYMENT`)
    pending_to: str | None = None  # a killed rollback/swap left it to switch to this fingerprint (apply finishes it)
    pending_reason: str | None = None  # that intent, described with the command that finishes it
    rollout_strategy: str | None = None  # the manifest's `rollout.strategy` (None: switch at once)
    rollout_weight: float | None = None
    rollout: StagedRollout | None = None  # the candidate staged now, if any


@dataclass
class PreviousModel:
    fingerprint: str
    created: str
    data_fingerprint: str
    training_inputs: JsonObject
    versions: dict[str, str]


@dataclass
class ProjectInputs:
    name: str
    kind: str
    manifest_path: str
    manifest_sha256: str
    training_inputs: JsonObject
    versions: dict[str, str]
    data_fingerprint: str
    candidate: str  # model fingerprint the manifest + data ask for
    candidate_recorded: str | None  # created time when trained before and its artifact is intact
    candidate_damaged: bool = False  # trained before, but the artifact is gone or changed
    candidate_orphan: bool = False  # a complete artifact this state never recorded
    # the other state on this machine that trained that artifact (its state.db; None: an interrupted apply left it)
    candidate_origin: str | None = None
    previous: PreviousModel | None = None  # what the reasons compare against
    data_changes: dict[str, int] | None = None  # documents added / removed / relabeled vs previous
    file_changes: dict[str, int] | None = None  # fallback when document hashes are unknown
    # merged type -> {previous name: instances the data still labels with it} (plan's merge line)
    relabeled: dict[str, dict[str, int]] | None = None
    deployments: list[ObservedDeployment] = field(default_factory=list)


def short(fp: str | None) -> str:
    return fp[:SHORT] if fp else "none"


# Shown to people, not inputs of the plan: ``manifest_path`` and the ``*_origin`` fields (another state's
# state.db, ``other_states.describe``) are relative to the working directory, so hashing them would make
# `apply plan.json` from another directory call an unchanged plan stale. The manifest's content is covered by
# ``manifest_sha256``; what the plan does about an unrecorded model or pointer by ``candidate_orphan``/``actual``.
DISPLAY_FIELDS = ("manifest_path", "candidate_origin")
DEPLOYMENT_DISPLAY_FIELDS = ("actual_origin",)


# A rollout's figures change with every observation; a saved plan depends on its verdict only.
ROLLOUT_HASHED = ("id", "candidate", "verdict")


def _hashed(p: ProjectInputs) -> JsonObject:
    out = {k: v for k, v in asdict(p).items() if k not in DISPLAY_FIELDS}
    for d in out["deployments"]:
        for name in DEPLOYMENT_DISPLAY_FIELDS:
            d.pop(name, None)
        if d.get("rollout") is not None:
            d["rollout"] = {k: d["rollout"][k] for k in ROLLOUT_HASHED}
    return out


def inputs_sha256(inputs: list[ProjectInputs], state_sha256: str) -> str:
    hashed = [_hashed(p) for p in inputs]
    text = json.dumps([hashed, state_sha256], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
