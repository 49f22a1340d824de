"""What a no-op ``apply`` leaves in ``<state>/reports/last-run.json``.

A run that changes nothing must not replace the report of the run that deployed what is served with an empty one
("no gates, no deployed model to compare with" while production serves a gated model). So for a project without
changes the previous run's entry is kept when it still describes what every deployment serves; otherwise (no
earlier run, another state, a rollback since) the entry is rebuilt from the state: the served model, the
evaluation recorded for it on its test split, and its absolute gates re-checked on that evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from nerspec import safeio
from nerspec.evaluate.record import Evaluation, JsonObject
from nerspec.plan import test_key
from nerspec.run_record import DeploySummary, GatesSummary, PlanSummary, ProjectRun, RunRecord

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.plan import ProjectPlan
    from nerspec.state.store import Store

NOOP_SKIP_REASON = "no changes"
NOT_REEVALUATED = "not re-evaluated: nothing changed since this model was deployed"


def read_run(path: Path) -> RunRecord | None:
    """The run result recorded at ``path``; None when there is none or it is not one."""
    try:
        raw = json.loads(safeio.read_text(path))
    except (OSError, ValueError):
        return None
    if not (isinstance(raw, dict) and isinstance(raw.get("projects"), list)):
        return None
    raw["projects"] = [p for p in raw["projects"] if isinstance(p, dict) and isinstance(p.get("name"), str)]
    try:
        return RunRecord.from_json(raw)
    except ValidationError:
        return None


def describes(entry: ProjectRun, serves: dict[str, str | None]) -> bool:
    """The entry's model is what every declared deployment serves now."""
    model = entry.model_field("fingerprint")
    return bool(model) and bool(serves) and all(fp == model for fp in serves.values())


def noop_entry(
    project: LoadedProject, project_plan: ProjectPlan, store: Store, previous: ProjectRun | None
) -> ProjectRun:
    """The run-result entry of a project the plan leaves unchanged."""
    serves = project_plan.serves
    if previous is not None and describes(previous, serves):
        return previous
    fingerprint = next((fp for fp in serves.values() if fp), None) or project_plan.fingerprint
    record = store.get_model(fingerprint)
    meta = _read_json(Path(record.model_dir) / "meta.json") if record is not None else None
    evaluation = None
    if record is not None:
        recorded = store.evaluation(fingerprint, test_key(record.data_fingerprint, record.training_inputs))
        recorded = recorded or _read_json(Path(record.model_dir) / "evaluation.json")
        evaluation = Evaluation.from_json(recorded) if recorded is not None else None
    return ProjectRun(
        name=project.name,
        kind=project.kind,
        manifest_path=project_plan.manifest_path,
        plan=PlanSummary(actions=[], notes=list(project_plan.notes)),
        model=meta,
        evaluation=evaluation,
        baseline=None,
        gates=_gates(project, evaluation),
        deploy=DeploySummary(will_deploy=False, deployed=[], skipped_reason=NOOP_SKIP_REASON),
        data_changes=None,
        lint=[],
    )


def _gates(project: LoadedProject, evaluation: Evaluation | None) -> GatesSummary:
    if evaluation is None:
        return GatesSummary(passed=True, results=[])
    from nerspec.gates import evaluate_gates, summary

    spec = project.manifest.spec
    results = evaluate_gates(project.kind, [label.name for label in spec.labels], spec.gates, evaluation, None)
    data = summary(results)
    for row in data.results:
        if row.skipped:
            row.message = f"{row.name}: {NOT_REEVALUATED}"
    return data


def _read_json(path: Path) -> JsonObject | None:
    try:
        found = json.loads(safeio.read_text(path))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
