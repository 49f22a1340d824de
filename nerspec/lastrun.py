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
from typing import TYPE_CHECKING, Any

from nerspec.plan import test_key

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.plan import ProjectPlan
    from nerspec.state.store import Store

NOOP_SKIP_REASON = "no changes"
NOT_REEVALUATED = "not re-evaluated: nothing changed since this model was deployed"


def read_run(path: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) and isinstance(raw.get("projects"), list) else None


def describes(entry: dict[str, Any], serves: dict[str, str | None]) -> bool:
    """The entry's model is what every declared deployment serves now."""
    model = (entry.get("model") or {}).get("fingerprint")
    return bool(model) and bool(serves) and all(fp == model for fp in serves.values())


def noop_entry(
    project: LoadedProject, project_plan: ProjectPlan, store: Store, previous: dict[str, Any] | None
) -> dict[str, Any]:
    """The run-result entry of a project the plan leaves unchanged."""
    serves = project_plan.serves
    if previous is not None and describes(previous, serves):
        return previous
    fingerprint = next((fp for fp in serves.values() if fp), None) or project_plan.fingerprint
    record = store.get_model(fingerprint)
    meta = _read_json(Path(record.model_dir) / "meta.json") if record is not None else None
    evaluation = None
    if record is not None:
        evaluation = store.evaluation(fingerprint, test_key(record.data_fingerprint, record.training_inputs))
        evaluation = evaluation or _read_json(Path(record.model_dir) / "evaluation.json")
    return {
        "name": project.name,
        "kind": project.kind,
        "manifest_path": project_plan.manifest_path,
        "plan": {"actions": [], "notes": list(project_plan.notes)},
        "model": meta,
        "evaluation": evaluation,
        "baseline": None,
        "gates": _gates(project, evaluation),
        "deploy": {"will_deploy": False, "deployed": [], "skipped_reason": NOOP_SKIP_REASON},
        "data_changes": None,
        "lint": [],
    }


def _gates(project: LoadedProject, evaluation: dict[str, Any] | None) -> dict[str, Any]:
    if evaluation is None:
        return {"passed": True, "results": []}
    from nerspec.gates import evaluate_gates, summary

    spec = project.manifest.spec
    results = evaluate_gates(project.kind, [label.name for label in spec.labels], spec.gates, evaluation, None)
    data = summary(results)
    for row in data["results"]:
        if row.get("skipped"):
            row["message"] = f"{row['name']}: {NOT_REEVALUATED}"
    return data


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
