"""The run result as a typed record: what ``apply`` did per project (``<state>/reports/last-run.json``,
``apply --json``), read by the report, the GitHub comment and the next no-op run.

One JSON boundary, as for the Evaluation (``nerspec.evaluate.record``): ``RunRecord.from_json`` reads any run
result nerspec wrote (absent fields read as their defaults, unknown keys are kept) and ``to_json`` writes back
exactly the keys that were given or set, in their order. The artifact's ``meta.json`` (``model``) and the
sections other modules own (plan actions, lint findings, rollouts, label errors, agreement, production) are
objects whose values are not checked here: their shape belongs to their writers, and their readers narrow.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, JsonValue

from nerspec.evaluate.record import Evaluation, JsonObject, Number, Record

RUN_RESULT_VERSION = 1


class Baseline(Record):
    """The deployed model the candidate was compared with, scored on the candidate's test split."""

    deployment: str = ""
    fingerprint: str = ""
    evaluation: Evaluation | None = None


class GateRow(Record):
    """One gate's result as recorded (``nerspec.gates.GateResult.to_json``)."""

    name: str = ""
    metric: str = ""
    label: str | None = None
    threshold: Number | None = None
    value: Number | None = None
    baseline: Number | None = None
    passed: bool = False
    message: str = ""
    skipped: bool = False  # only written when true


class GatesSummary(Record):
    passed: bool = True
    results: list[GateRow] = Field(default_factory=list)


class Deployed(Record):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    deployment: str = ""
    from_fp: str | None = Field(default=None, alias="from")
    to: str | None = None
    smoke_failed: JsonValue = None


class DeploySummary(Record):
    will_deploy: bool = False
    deployed: list[Deployed] = Field(default_factory=list)
    skipped_reason: str | None = None


class PlanSummary(Record):
    actions: list[dict[str, object]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class ProjectRun(Record):
    """One project's entry, fields in the order ``apply`` writes them."""

    name: str = ""
    kind: str = ""
    manifest_path: str | None = None
    plan: PlanSummary = Field(default_factory=PlanSummary)
    model: dict[str, object] | None = None  # the artifact's meta.json
    evaluation: Evaluation | None = None
    baseline: Baseline | None = None
    gates: GatesSummary = Field(default_factory=GatesSummary)
    deploy: DeploySummary = Field(default_factory=DeploySummary)
    data_changes: dict[str, int] | None = None
    lint: list[JsonObject] = Field(default_factory=list)
    rollouts: list[dict[str, object]] = Field(default_factory=list)
    label_errors: JsonObject | None = None
    agreement: dict[str, object] | None = None
    rollout_actions: list[dict[str, object]] = Field(default_factory=list)
    production: object = None  # ``nerspec monitor``'s JSON per deployment, added by ``nerspec report``

    def model_field(self, key: str) -> object:
        """A field of the model's meta.json (None when absent)."""
        return (self.model or {}).get(key)


class RunRecord(Record):
    version: int = RUN_RESULT_VERSION
    created: str = ""
    mode: str = ""
    projects: list[ProjectRun] = Field(default_factory=list)
