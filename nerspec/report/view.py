"""The report's view model: a run result turned into plain JSON for the templates (and ``--format json``).

Kind-agnostic: what differs between project kinds (which evaluation key holds label metrics, what an error looks
like, whether a confusion matrix makes sense) is asked of the kind (``nerspec.kinds``). Raw strings, numbers
rounded to four decimals; the templates escape and format them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from nerspec.errors import NerspecError
from nerspec.evaluate.record import Evaluation, LabelCount, Number, Record, Scores
from nerspec.report.data_quality import agreement_view, label_errors_view
from nerspec.report.numbers import EPSILON, fmt_num, rounded
from nerspec.report.rollouts import rollouts_view
from nerspec.report.sections import (
    calibration_view,
    changes_view,
    confusion_view,
    gate_view,
    merge_view,
    production_view,
)
from nerspec.run_record import Baseline, GateRow, ProjectRun, RunRecord

if TYPE_CHECKING:
    from nerspec.kinds import ProjectKind
    from nerspec.plan.actions import Action

UNDER_MIN = 15
UNDER_WARN = 50
IMBALANCE_RATIO = 10.0

# The view model: plain JSON for the templates and ``--format json``, its shape is the templates' to read.
Json = dict[str, Any]


class ReportError(NerspecError):
    """The run result cannot be rendered (malformed input or an unknown format)."""


def build_view(run_result: object) -> Json:
    """The kind-agnostic report view of a run result; also the `--format json` output."""
    if not isinstance(run_result, dict) or not isinstance(run_result.get("projects"), list):
        raise ReportError("not a run result: expected an object with a 'projects' list (see `nerspec apply --json`)")
    try:
        record = RunRecord.from_json(run_result)
    except ValidationError as exc:
        raise ReportError(f"not a run result: {exc.errors()[0]['msg']} at "
                          f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}") from None
    projects = [_project_view(p, record.mode) for p in record.projects]
    return {
        "version": 1,
        "created": record.created,
        "mode": record.mode,
        "passed": all(p["verdict"]["passed"] for p in projects),
        "projects": projects,
    }


def _kind(name: str) -> ProjectKind:
    from nerspec.kinds import KINDS

    try:
        return KINDS[name]
    except KeyError:
        raise ReportError(f"unknown project kind {name!r} (expected one of {', '.join(KINDS)})") from None


R = TypeVar("R", bound=Record)


def _given(record: R | None) -> R | None:
    """A section that says something: an empty object in a run result reads as absent, as it always has."""
    return record if record is not None and record.model_fields_set else None


def _project_view(project: ProjectRun, mode: str = "") -> Json:
    kind = _kind(project.kind)
    evaluation = _given(project.evaluation) or Evaluation()
    baseline = _given(project.baseline)
    base_eval = _given(baseline.evaluation) if baseline is not None else None
    model = project.model or {}
    multilabel = model.get("multilabel")
    labels = _label_order(project, evaluation, base_eval)
    data_view = _data_view(labels, evaluation, project.data_changes)
    documents = evaluation.mismatched()
    return {
        "name": project.name,
        "kind": project.kind,
        "kind_title": kind.title,
        "label_noun": kind.label_noun,
        "label_plural": kind.label_plural,
        "count_noun": kind.count_noun,
        "manifest_path": str(project.manifest_path if "manifest_path" in project.model_fields_set else ""),
        "multilabel": bool(multilabel),
        "verdict": _verdict(project, mode),
        "plan": [{"type": a.type, "reasons": list(a.reasons)} for a in _actions(project)],
        "baseline": _baseline_view(baseline, base_eval),
        "ci_level": rounded(evaluation.ci.level),
        "overall": _overall(evaluation, base_eval),
        "labels": _label_rows(project, labels, evaluation, base_eval, data_view),
        "languages": _language_rows(evaluation, base_eval),
        "gates": [gate_view(g) for g in project.gates.results],
        "confusion": confusion_view(evaluation, base_eval)
        if kind.shows_confusion(multilabel if isinstance(multilabel, bool) else None, evaluation.to_json())
        else None,
        "data": data_view,
        "guidance": _guidance(evaluation),
        "lint": _lint(project),
        "errors": {"documents": len(documents), "rows": _error_rows(kind, documents)},
        "partial": _partial(evaluation),
        "calibration": calibration_view(evaluation, base_eval),
        "changes": changes_view(evaluation),
        "production": production_view(project.production),
        "rollouts": rollouts_view(project),
        "threshold": rounded(evaluation.threshold) if multilabel else None,
        "threshold_sweep": [{k: rounded(v) for k, v in row.items()} for row in evaluation.threshold_sweep or []],
        "footer": _footer(model),
        "label_errors": label_errors_view(project.label_errors),
        "agreement": agreement_view(project.agreement, evaluation),
    }


def _actions(project: ProjectRun) -> list[Action]:
    from nerspec.plan.actions import section_actions

    return section_actions(project.plan.to_json())


def _verdict(project: ProjectRun, mode: str) -> Json:
    gate_results = project.gates.results
    failed = [g for g in gate_results if not g.passed]
    passed = project.gates.passed if "passed" in project.gates.model_fields_set else not failed
    skipped = sum(1 for g in gate_results if g.skipped)
    deploy = project.deploy
    return {
        "passed": passed,
        # Skipped gates were not evaluated: counting them as passed would overstate the evidence.
        "gates_total": len(gate_results) - skipped,
        "gates_failed": len(failed),
        "gates_skipped": skipped,
        "will_deploy": deploy.will_deploy,
        "deployed": [{"deployment": d.deployment, "from": d.from_fp, "to": d.to} for d in deploy.deployed],
        "skipped_reason": deploy.skipped_reason,
        "merge": merge_view(mode, passed, _actions(project), project.model or {}),
    }


def _baseline_view(baseline: Baseline | None, base_eval: Evaluation | None) -> Json | None:
    if baseline is None:
        return None
    return {
        "deployment": baseline.deployment,
        "fingerprint": baseline.fingerprint,
        # Previous names (renames, merges) the deployed model's predictions were counted under.
        "label_map": _label_map_text(base_eval.label_map if base_eval is not None else None),
    }


def _trend(delta: float | None) -> str:
    if delta is None:
        return "new"
    if delta > EPSILON:
        return "up"
    if delta < -EPSILON:
        return "down"
    return "same"


def _metric(value: Number | None, baseline: Number | None, ci: list[Number] | None = None) -> Json:
    v, b = rounded(value), rounded(baseline)
    delta = round(v - b, 4) if v is not None and b is not None else None
    interval = [rounded(ci[0]), rounded(ci[1])] if ci is not None and len(ci) == 2 else None
    return {"value": v, "baseline": b, "delta": delta, "trend": _trend(delta) if b is not None else "new", "ci": interval}


def _scope(evaluation: Evaluation | None, average: str) -> Scores:
    if evaluation is None:
        return Scores()
    return evaluation.micro if average == "micro" else evaluation.macro


def _overall(evaluation: Evaluation, base_eval: Evaluation | None) -> list[Json]:
    """Micro and macro P/R/F1 against the deployed model's, with confidence intervals."""
    overall = []
    for avg in ("micro", "macro"):
        intervals = evaluation.ci.micro if avg == "micro" else {}
        for metric in ("precision", "recall", "f1"):
            value, base = getattr(_scope(evaluation, avg), metric), getattr(_scope(base_eval, avg), metric)
            overall.append({"average": avg, "metric": metric, **_metric(value, base, intervals.get(metric))})
    return overall


def _per_label(evaluation: Evaluation | None) -> dict[str, Scores]:
    return evaluation.per_label() if evaluation is not None else {}


def _label_order(project: ProjectRun, *evaluations: Evaluation | None) -> list[str]:
    declared = project.model_field("labels")
    order: list[str] = [str(x) for x in declared] if isinstance(declared, list) else []
    for evaluation in evaluations:
        for label in _per_label(evaluation):
            if label not in order:
                order.append(label)
    return order


def _gate_outcome_by_label(gate_results: list[GateRow]) -> dict[str, bool]:
    """Per label: whether all of its evaluated gates passed."""
    outcome: dict[str, bool] = {}
    for result in gate_results:
        if result.label is not None and not result.skipped:
            outcome[result.label] = outcome.get(result.label, True) and result.passed
    return outcome


def _label_rows(
    project: ProjectRun, labels: list[str], evaluation: Evaluation, base_eval: Evaluation | None, data_view: Json
) -> list[Json]:
    """One row per label: data counts, P/R/F1 against the deployed model's, gate outcome, status, data flags."""
    per, base_per = _per_label(evaluation), _per_label(base_eval)
    label_ci = evaluation.ci.per_label_f1
    flags = {row["label"]: row["flags"] for row in data_view["labels"]}
    gate_by_label = _gate_outcome_by_label(project.gates.results)
    rows = []
    for label in labels:
        found, before = per.get(label), base_per.get(label)
        status = "removed" if found is None else ("new" if base_eval and before is None else None)
        m, b = found or Scores(), before or Scores()
        rows.append(
            {
                "label": label,
                "train": _counts(evaluation, "train", label),
                "test": _counts(evaluation, "test", label),
                "support": m.support or 0,
                "precision": _metric(m.precision, b.precision),
                "recall": _metric(m.recall, b.recall),
                "f1": _metric(m.f1, b.f1, label_ci.get(label)),
                "gate": None if label not in gate_by_label else ("pass" if gate_by_label[label] else "fail"),
                "status": status,
                "flags": flags.get(label, []),
            }
        )
    return rows


def _counts(evaluation: Evaluation, side: str, label: str) -> int | None:
    stats = evaluation.data.train if side == "train" else evaluation.data.test
    entry: LabelCount | None = stats.labels.get(label) if stats is not None else None
    return None if entry is None else entry.count


def _data_flags(train: int, test: int, largest: int) -> list[str]:
    flags = []
    if train < UNDER_MIN:
        flags.append(f"under {UNDER_MIN}")
    elif train < UNDER_WARN:
        flags.append(f"under {UNDER_WARN}")
    if train and largest / train >= IMBALANCE_RATIO:
        flags.append(f"imbalanced 1:{round(largest / train)}")
    elif not train and largest:
        flags.append("no training data")
    if not test:
        flags.append("not in test")
    return flags


def _data_view(labels: list[str], evaluation: Evaluation, changes: dict[str, int] | None) -> Json:
    data = evaluation.data
    rows = []
    train_counts = {label: _counts(evaluation, "train", label) or 0 for label in labels}
    largest = max(train_counts.values(), default=0)
    for label in labels:
        train, test = train_counts[label], _counts(evaluation, "test", label) or 0
        rows.append({"label": label, "train": train, "test": test, "flags": _data_flags(train, test, largest)})
    return {
        "train_documents": data.train.documents if data.train is not None else 0,
        "test_documents": data.test.documents if data.test is not None else 0,
        "labels": rows,
        "changes": dict(changes) if changes is not None else None,
    }


def _language_rows(evaluation: Evaluation, baseline: Evaluation | None) -> list[Json]:
    """One row per language of ``per_language`` (micro P/R/F1 against the deployed model's, per-type F1)."""
    rows = []
    base = (baseline.per_language if baseline is not None else None) or {}
    for language, row in sorted((evaluation.per_language or {}).items()):
        micro = row.micro
        b = base[language].micro if language in base else Scores()
        rows.append({
            "language": language,
            "documents": row.documents,
            "support": row.support,
            "precision": _metric(micro.precision, b.precision),
            "recall": _metric(micro.recall, b.recall),
            "f1": _metric(micro.f1, b.f1),
            "per_label": ", ".join(f"{label} {fmt_num(v.f1)}" for label, v in row.per_label.items()),
        })
    return rows


def _label_map_text(mapping: dict[str, str] | None) -> str:
    """``BorrowerName, GuarantorName -> Party`` for the deployed model's renamed or merged types."""
    if not mapping:
        return ""
    groups: dict[str, list[str]] = {}
    for old, new in mapping.items():
        groups.setdefault(new, []).append(old)
    return "; ".join(f"{', '.join(sorted(olds))} -> {new}" for new, olds in sorted(groups.items()))


def _error_rows(kind: ProjectKind, documents: list[dict[str, object]]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    per_doc = [kind.report_errors(d) for d in documents]
    # Documents with the most mistakes first: they are the most telling, and often annotation errors.
    for doc_rows in sorted(per_doc, key=lambda doc_rows: -len(doc_rows)):
        rows.extend(doc_rows)
    return rows


def _guidance(evaluation: Evaluation) -> list[Json]:
    return [{"severity": g.severity, "code": g.code, "message": g.message, "labels": list(g.labels)}
            for g in evaluation.guidance]


def _lint(project: ProjectRun) -> list[Json]:
    return [
        {
            "severity": str(f.get("severity", "warning")),
            "code": str(f.get("code", "")),
            "message": str(f.get("message", "")),
            "doc_id": None if f.get("doc_id") is None else str(f["doc_id"]),
            "location": None if f.get("location") is None else str(f["location"]),
        }
        for f in project.lint
    ]


def _partial(evaluation: Evaluation) -> Json | None:
    return {
        mode: {k: rounded(v) if isinstance(v, float) else v for k, v in values.items()}
        for mode, values in (evaluation.partial or {}).items()
    } or None


def _footer(model: dict[str, object]) -> Json:
    found = model.get("versions")
    versions = found if isinstance(found, dict) else {}
    return {
        "fingerprint": str(model.get("fingerprint", "")),
        "data_fingerprint": str(model.get("data_fingerprint", "")),
        "nerspec": str(versions.get("nerspec", "")),
        "spacy": str(versions.get("spacy", "")),
        "python": str(versions.get("python", "")),
        "seed": model.get("seed"),
        "training_seconds": rounded(model.get("training_seconds")),
        "created": str(model.get("created", "")),
    }
