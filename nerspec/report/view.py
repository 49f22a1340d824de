"""The report's view model: a run result turned into plain JSON for the templates (and ``--format json``).

Kind-agnostic: what differs between project kinds (which evaluation key holds label metrics, what an error looks
like, whether a confusion matrix makes sense) is asked of the kind (``nerspec.kinds``). Raw strings, numbers
rounded to four decimals; the templates escape and format them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nerspec.errors import NerspecError
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

if TYPE_CHECKING:
    from nerspec.kinds import ProjectKind
    from nerspec.plan.actions import Action

UNDER_MIN = 15
UNDER_WARN = 50
IMBALANCE_RATIO = 10.0

Json = dict[str, Any]


class ReportError(NerspecError):
    """The run result cannot be rendered (malformed input or an unknown format)."""


def build_view(run_result: Json) -> Json:
    """The kind-agnostic report view of a run result; also the `--format json` output."""
    if not isinstance(run_result, dict) or not isinstance(run_result.get("projects"), list):
        raise ReportError("not a run result: expected an object with a 'projects' list (see `nerspec apply --json`)")
    mode = str(run_result.get("mode", ""))
    projects = [_project_view(p, mode) for p in run_result["projects"]]
    return {
        "version": 1,
        "created": str(run_result.get("created", "")),
        "mode": mode,
        "passed": all(p["verdict"]["passed"] for p in projects),
        "projects": projects,
    }


def _kind(name: str) -> ProjectKind:
    from nerspec.kinds import KINDS

    try:
        return KINDS[name]
    except KeyError:
        raise ReportError(f"unknown project kind {name!r} (expected one of {', '.join(KINDS)})") from None


def _project_view(project: Json, mode: str = "") -> Json:
    kind = _kind(str(project.get("kind", "")))
    evaluation = project.get("evaluation") or {}
    baseline = project.get("baseline") or None
    base_eval = (baseline or {}).get("evaluation") or None
    model = project.get("model") or {}
    labels = _label_order(kind, project, evaluation, base_eval)
    data_view = _data_view(labels, evaluation, project.get("data_changes"))
    documents = [d for d in evaluation.get("documents") or [] if d.get("mismatch", True)]
    return {
        "name": str(project.get("name", "")),
        "kind": str(project.get("kind", "")),
        "kind_title": kind.title,
        "label_noun": kind.label_noun,
        "label_plural": kind.label_plural,
        "count_noun": kind.count_noun,
        "manifest_path": str(project.get("manifest_path", "")),
        "multilabel": bool(model.get("multilabel", False)),
        "verdict": _verdict(project, mode),
        "plan": [{"type": a.type, "reasons": list(a.reasons)} for a in _actions(project)],
        "baseline": _baseline_view(baseline, base_eval),
        "ci_level": rounded((evaluation.get("ci") or {}).get("level")),
        "overall": _overall(evaluation, base_eval),
        "labels": _label_rows(kind, project, labels, evaluation, base_eval, data_view),
        "languages": _language_rows(evaluation, base_eval),
        "gates": [gate_view(g) for g in _gate_results(project)],
        "confusion": confusion_view(evaluation, base_eval)
        if kind.shows_confusion(model.get("multilabel"), evaluation) else None,
        "data": data_view,
        "guidance": _guidance(evaluation),
        "lint": _lint(project),
        "errors": {"documents": len(documents), "rows": _error_rows(kind, documents)},
        "partial": _partial(evaluation),
        "calibration": calibration_view(evaluation, base_eval),
        "changes": changes_view(evaluation),
        "production": production_view(project.get("production")),
        "rollouts": rollouts_view(project),
        "threshold": rounded(evaluation.get("threshold")) if model.get("multilabel") else None,
        "threshold_sweep": [
            {k: rounded(v) for k, v in row.items()} for row in evaluation.get("threshold_sweep") or []
        ],
        "footer": _footer(model),
        "label_errors": label_errors_view(project.get("label_errors")),
        "agreement": agreement_view(project.get("agreement"), evaluation),
    }


def _gate_results(project: Json) -> list[Json]:
    return list((project.get("gates") or {}).get("results") or [])


def _actions(project: Json) -> list[Action]:
    from nerspec.plan.actions import section_actions

    return section_actions(project.get("plan"))


def _verdict(project: Json, mode: str) -> Json:
    gate_results = _gate_results(project)
    deploy = project.get("deploy") or {}
    failed = [g for g in gate_results if not g.get("passed")]
    passed = bool((project.get("gates") or {}).get("passed", not failed))
    skipped = sum(1 for g in gate_results if g.get("skipped"))
    return {
        "passed": passed,
        # Skipped gates were not evaluated: counting them as passed would overstate the evidence.
        "gates_total": len(gate_results) - skipped,
        "gates_failed": len(failed),
        "gates_skipped": skipped,
        "will_deploy": bool(deploy.get("will_deploy", False)),
        "deployed": [
            {"deployment": str(d.get("deployment", "")), "from": d.get("from"), "to": d.get("to")}
            for d in deploy.get("deployed") or []
        ],
        "skipped_reason": deploy.get("skipped_reason"),
        "merge": merge_view(mode, passed, _actions(project), project.get("model") or {}),
    }


def _baseline_view(baseline: Json | None, base_eval: Json | None) -> Json | None:
    if not baseline:
        return None
    return {
        "deployment": str(baseline.get("deployment", "")),
        "fingerprint": str(baseline.get("fingerprint", "")),
        # Previous names (renames, merges) the deployed model's predictions were counted under.
        "label_map": _label_map_text((base_eval or {}).get("label_map")),
    }


def _trend(delta: float | None) -> str:
    if delta is None:
        return "new"
    if delta > EPSILON:
        return "up"
    if delta < -EPSILON:
        return "down"
    return "same"


def _metric(value: Any, baseline: Any, ci: Any = None) -> Json:
    v, b = rounded(value), rounded(baseline)
    delta = round(v - b, 4) if v is not None and b is not None else None
    interval = [rounded(ci[0]), rounded(ci[1])] if isinstance(ci, (list, tuple)) and len(ci) == 2 else None
    return {"value": v, "baseline": b, "delta": delta, "trend": _trend(delta) if b is not None else "new", "ci": interval}


def _overall(evaluation: Json, base_eval: Json | None) -> list[Json]:
    """Micro and macro P/R/F1 against the deployed model's, with confidence intervals."""
    ci = evaluation.get("ci") or {}
    overall = []
    for avg in ("micro", "macro"):
        for metric in ("precision", "recall", "f1"):
            value = (evaluation.get(avg) or {}).get(metric)
            base = ((base_eval or {}).get(avg) or {}).get(metric)
            interval = (ci.get(avg) or {}).get(metric)
            overall.append({"average": avg, "metric": metric, **_metric(value, base, interval)})
    return overall


def _per_label(kind: ProjectKind, evaluation: Json | None) -> dict[str, Json]:
    if not evaluation:
        return {}
    found: dict[str, Json] = (
        evaluation.get(kind.per_label_key) or evaluation.get("per_entity") or evaluation.get("per_class") or {}
    )
    return found


def _label_order(kind: ProjectKind, project: Json, *evaluations: Json | None) -> list[str]:
    order: list[str] = [str(x) for x in (project.get("model") or {}).get("labels") or []]
    for evaluation in evaluations:
        for label in _per_label(kind, evaluation):
            if label not in order:
                order.append(label)
    return order


def _gate_outcome_by_label(gate_results: list[Json]) -> dict[str, bool]:
    """Per label: whether all of its evaluated gates passed."""
    outcome: dict[str, bool] = {}
    for result in gate_results:
        if result.get("label") is not None and not result.get("skipped"):
            key = str(result["label"])
            outcome[key] = outcome.get(key, True) and bool(result.get("passed"))
    return outcome


def _label_rows(
    kind: ProjectKind, project: Json, labels: list[str], evaluation: Json, base_eval: Json | None, data_view: Json
) -> list[Json]:
    """One row per label: data counts, P/R/F1 against the deployed model's, gate outcome, status, data flags."""
    per, base_per = _per_label(kind, evaluation), _per_label(kind, base_eval)
    label_ci = (evaluation.get("ci") or {}).get("per_label_f1") or {}
    flags = {row["label"]: row["flags"] for row in data_view["labels"]}
    gate_by_label = _gate_outcome_by_label(_gate_results(project))
    rows = []
    for label in labels:
        found, before = per.get(label), base_per.get(label)
        status = "removed" if found is None else ("new" if base_eval and before is None else None)
        m, b = found or {}, before or {}
        rows.append(
            {
                "label": label,
                "train": _counts(evaluation, "train", label),
                "test": _counts(evaluation, "test", label),
                "support": int(m.get("support", 0)),
                "precision": _metric(m.get("precision"), b.get("precision")),
                "recall": _metric(m.get("recall"), b.get("recall")),
                "f1": _metric(m.get("f1"), b.get("f1"), label_ci.get(label)),
                "gate": None if label not in gate_by_label else ("pass" if gate_by_label[label] else "fail"),
                "status": status,
                "flags": flags.get(label, []),
            }
        )
    return rows


def _counts(evaluation: Json, side: str, label: str) -> int | None:
    labels = ((evaluation.get("data") or {}).get(side) or {}).get("labels") or {}
    entry = labels.get(label)
    if entry is None:
        return None
    return int(entry.get("instances", entry.get("documents", 0)))


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


def _data_view(labels: list[str], evaluation: Json, changes: Any) -> Json:
    data = evaluation.get("data") or {}
    rows = []
    train_counts = {label: _counts(evaluation, "train", label) or 0 for label in labels}
    largest = max(train_counts.values(), default=0)
    for label in labels:
        train, test = train_counts[label], _counts(evaluation, "test", label) or 0
        rows.append({"label": label, "train": train, "test": test, "flags": _data_flags(train, test, largest)})
    return {
        "train_documents": int((data.get("train") or {}).get("documents", 0)),
        "test_documents": int((data.get("test") or {}).get("documents", 0)),
        "labels": rows,
        "changes": dict(changes) if isinstance(changes, dict) else None,
    }


def _language_rows(evaluation: Json, baseline: Json | None) -> list[Json]:
    """One row per language of ``per_language`` (micro P/R/F1 against the deployed model's, per-type F1)."""
    rows = []
    base = (baseline or {}).get("per_language") or {}
    for language, row in sorted((evaluation.get("per_language") or {}).items()):
        micro, b = row.get("micro") or {}, (base.get(language) or {}).get("micro") or {}
        per = row.get("per_label") or {}
        rows.append({
            "language": str(language),
            "documents": int(row.get("documents", 0)),
            "support": int(row.get("support", 0)),
            "precision": _metric(micro.get("precision"), b.get("precision")),
            "recall": _metric(micro.get("recall"), b.get("recall")),
            "f1": _metric(micro.get("f1"), b.get("f1")),
            "per_label": ", ".join(f"{label} {fmt_num(v.get('f1'))}" for label, v in per.items()),
        })
    return rows


def _label_map_text(mapping: Any) -> str:
    """``BorrowerName, GuarantorName -> Party`` for the deployed model's renamed or merged types."""
    if not isinstance(mapping, dict) or not mapping:
        return ""
    groups: dict[str, list[str]] = {}
    for old, new in mapping.items():
        groups.setdefault(str(new), []).append(str(old))
    return "; ".join(f"{', '.join(sorted(olds))} -> {new}" for new, olds in sorted(groups.items()))


def _error_rows(kind: ProjectKind, documents: list[Json]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    per_doc = [kind.report_errors(d) for d in documents]
    # Documents with the most mistakes first: they are the most telling, and often annotation errors.
    for doc_rows in sorted(per_doc, key=lambda doc_rows: -len(doc_rows)):
        rows.extend(doc_rows)
    return rows


def _guidance(evaluation: Json) -> list[Json]:
    return [
        {
            "severity": str(g.get("severity", "info")),
            "code": str(g.get("code", "")),
            "message": str(g.get("message", "")),
            "labels": [str(x) for x in g.get("labels") or []],
        }
        for g in evaluation.get("guidance") or []
    ]


def _lint(project: Json) -> list[Json]:
    return [
        {
            "severity": str(f.get("severity", "warning")),
            "code": str(f.get("code", "")),
            "message": str(f.get("message", "")),
            "doc_id": None if f.get("doc_id") is None else str(f["doc_id"]),
            "location": None if f.get("location") is None else str(f["location"]),
        }
        for f in project.get("lint") or []
    ]


def _partial(evaluation: Json) -> Json | None:
    partial = evaluation.get("partial")
    return {
        mode: {k: rounded(v) if isinstance(v, float) else v for k, v in values.items()}
        for mode, values in (partial or {}).items()
    } or None


def _footer(model: Json) -> Json:
    versions = model.get("versions") or {}
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
