"""Evaluation reports from a run result (`nerspec apply --json`, `<state>/reports/last-run.json`).

Two steps, so that every format tells the same story:

1. :func:`build_view` turns the run result into a kind-agnostic view (plain JSON: raw strings, rounded numbers).
   What differs between project kinds (which evaluation key holds label metrics, what an error looks like, whether
   a confusion matrix makes sense) is asked of the kind (``nerspec.kinds``).
2. :func:`render` formats the view with jinja2 templates (StrictUndefined). The JSON format *is* the view.

Markdown has no autoescape of its own, so the Markdown environment gets one: a ``finalize`` hook escapes every
plain string that reaches the output with :func:`nerspec.report.escape.md_text`; filters that produce Markdown on
purpose return ``Markup`` to opt out. A template that forgets a filter is therefore safe rather than injectable.

jinja2 is imported only inside functions (the CLI must start fast).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from nerspec.errors import NerspecError
from nerspec.report import escape

if TYPE_CHECKING:
    from nerspec.kinds import ProjectKind

Format = Literal["md", "html", "json"]
FORMATS: tuple[str, ...] = ("md", "html", "json")

GITHUB_COMMENT_LIMIT = 65_536
# Room for the sticky-comment marker, a truncation note and GitHub counting some characters differently.
MD_BUDGET = GITHUB_COMMENT_LIMIT - 1_536
NONE_LABEL = "$none"
# Below this magnitude a change is rounding noise at three decimals and is shown as unchanged.
EPSILON = 0.0005
UNDER_MIN = 15
UNDER_WARN = 50
IMBALANCE_RATIO = 10.0


class ReportError(NerspecError):
    """The run result cannot be rendered (malformed input or an unknown format)."""


# ---------------------------------------------------------------------------------------------------------------
# the kind


def _kind(name: str) -> ProjectKind:
    from nerspec.kinds import KINDS

    try:
        return KINDS[name]
    except KeyError:
        raise ReportError(f"unknown project kind {name!r} (expected one of {', '.join(KINDS)})") from None


def _per_label(kind: ProjectKind, evaluation: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not evaluation:
        return {}
    return evaluation.get(kind.per_label_key) or evaluation.get("per_entity") or evaluation.get("per_class") or {}


# ---------------------------------------------------------------------------------------------------------------
# view


def _r(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return round(float(value), 4)
    except (TypeError, ValueError):
        return None


def _trend(delta: float | None) -> str:
    if delta is None:
        return "new"
    if delta > EPSILON:
        return "up"
    if delta < -EPSILON:
        return "down"
    return "same"


def _metric(value: Any, baseline: Any, ci: Any = None) -> dict[str, Any]:
    v, b = _r(value), _r(baseline)
    delta = round(v - b, 4) if v is not None and b is not None else None
    interval = [_r(ci[0]), _r(ci[1])] if isinstance(ci, (list, tuple)) and len(ci) == 2 else None
    return {"value": v, "baseline": b, "delta": delta, "trend": _trend(delta) if b is not None else "new", "ci": interval}


def _label_order(kind: ProjectKind, project: dict[str, Any], *evaluations: dict[str, Any] | None) -> list[str]:
    order: list[str] = [str(x) for x in (project.get("model") or {}).get("labels") or []]
    for evaluation in evaluations:
        for label in _per_label(kind, evaluation):
            if label not in order:
                order.append(label)
    return order


def _counts(evaluation: dict[str, Any], side: str, label: str) -> int | None:
    labels = ((evaluation.get("data") or {}).get(side) or {}).get("labels") or {}
    entry = labels.get(label)
    if entry is None:
        return None
    return int(entry.get("instances", entry.get("documents", 0)))


def _data_view(kind: ProjectKind, labels: list[str], evaluation: dict[str, Any], changes: Any) -> dict[str, Any]:
    data = evaluation.get("data") or {}
    rows = []
    train_counts = {label: _counts(evaluation, "train", label) or 0 for label in labels}
    largest = max(train_counts.values(), default=0)
    for label in labels:
        train, test = train_counts[label], _counts(evaluation, "test", label) or 0
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
        rows.append({"label": label, "train": train, "test": test, "flags": flags})
    return {
        "train_documents": int((data.get("train") or {}).get("documents", 0)),
        "test_documents": int((data.get("test") or {}).get("documents", 0)),
        "labels": rows,
        "changes": dict(changes) if isinstance(changes, dict) else None,
    }


def _language_rows(evaluation: dict[str, Any], baseline: dict[str, Any] | None) -> list[dict[str, Any]]:
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


def _confusion_view(evaluation: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, Any] | None:
    cm = evaluation.get("confusion_matrix") or {}
    labels = [str(x) for x in cm.get("labels") or []]
    matrix = cm.get("matrix") or []
    if not labels or len(matrix) != len(labels):
        return None
    base_cell: Callable[[str, str], int | None] = lambda g, p: None  # noqa: E731
    if baseline and baseline.get("confusion_matrix"):
        b_labels = [str(x) for x in baseline["confusion_matrix"].get("labels") or []]
        b_matrix = baseline["confusion_matrix"].get("matrix") or []
        index = {label: i for i, label in enumerate(b_labels)}

        def base_cell(g: str, p: str) -> int | None:
            if g in index and p in index:
                return int(b_matrix[index[g]][index[p]])
            return 0

    if NONE_LABEL in labels:
        # Single-label classification never predicts "nothing": an all-zero `$none` row and column is noise.
        k = labels.index(NONE_LABEL)
        if not any(int(matrix[k][j]) or int(matrix[j][k]) for j in range(len(labels))):
            labels = labels[:k] + labels[k + 1 :]
            matrix = [row[:k] + row[k + 1 :] for i, row in enumerate(matrix) if i != k]
    rows, changed = [], 0
    for i, gold in enumerate(labels):
        cells: list[dict[str, Any]] = []
        for j, pred in enumerate(labels):
            value = int(matrix[i][j])
            base = base_cell(gold, pred)
            delta = value - base if base is not None else None
            if delta:
                changed += 1
            # More on the diagonal is better, more off it is worse; `$none`/`$none` is never counted.
            good = None if not delta else (delta > 0) == (i == j)
            cells.append({"predicted": pred, "value": value, "baseline": base, "delta": delta, "good": good})
        rows.append({"gold": gold, "total": sum(c["value"] for c in cells), "cells": cells})
    return {"labels": labels, "rows": rows, "changed": changed, "has_baseline": base_cell("", "") is not None}


def _is_regression(gate: dict[str, Any]) -> bool:
    # gates.py names every regression result `regression.<what>` (apply's missing-baseline failure: `regression`).
    name = str(gate.get("name", ""))
    return name == "regression" or name.startswith("regression.")


def _gate_view(gate: dict[str, Any]) -> dict[str, Any]:
    """One gate row that reads on its own: what is required, what was measured, the outcome.

    An absolute gate is `value` against `min <threshold>`. A regression gate's threshold is an allowed *drop*, so
    showing it next to the raw score ("0.778 | 0.030") misleads; its value is the change against the baseline
    with both scores, `-0.012 (0.871 → 0.859)`, next to `max drop 0.030`.
    """
    threshold, value, base = _r(gate.get("threshold")), _r(gate.get("value")), _r(gate.get("baseline"))
    skipped = bool(gate.get("skipped"))
    regression = _is_regression(gate)
    delta = round(value - base, 4) if value is not None and base is not None else None
    if regression:
        requirement = "max drop —" if threshold is None else f"max drop {threshold:.3f}"
        if delta is not None:
            shown = f"{fmt_signed(delta)} ({base:.3f} → {value:.3f})"
        else:
            shown = "—" if value is None else f"{value:.3f} (no baseline score)"
    else:
        bound = "max" if gate.get("metric") == "ece" else "min"  # calibration.max_ece is an upper bound
        requirement = f"{bound} —" if threshold is None else f"{bound} {threshold:.3f}"
        shown = fmt_num(value)
    passed = bool(gate.get("passed"))
    return {
        "name": str(gate.get("name", "")),
        "metric": str(gate.get("metric", "")),
        "label": None if gate.get("label") is None else str(gate["label"]),
        "kind": "regression" if regression else "absolute",
        "threshold": threshold,
        "value": value,
        "baseline": base,
        "delta": delta,
        "requirement": requirement,
        "shown": shown,
        "passed": passed,
        "skipped": skipped,
        "status": "skipped" if skipped else ("pass" if passed else "fail"),
        "message": str(gate.get("message") or ""),
    }


def _merge_view(mode: str, passed: bool, actions: list[dict[str, Any]], model: dict[str, Any]) -> dict[str, Any] | None:
    """What merging would do, for a pull-request run (`apply --no-deploy`); None for any other mode.

    A pull request never deploys, so "will not deploy (--no-deploy)" says nothing; the reviewer's question is
    whether the merge will. The push to main runs the same plan with the same gates, so the answer is the plan's
    deploy actions when the gates passed, and nothing when they failed.
    """
    if mode != "apply --no-deploy":
        return None
    deploys = [a for a in actions if a.get("type") == "deploy"]
    return {
        "deploy": passed and bool(deploys),
        "gates_failed": not passed,
        "deployments": [
            {
                "deployment": str(a.get("deployment", "")),
                "from": None if a.get("from") is None else str(a["from"]),
                "to": str(a.get("to") or model.get("fingerprint") or ""),
            }
            for a in deploys
        ],
    }


def _project_view(project: dict[str, Any], mode: str = "") -> dict[str, Any]:
    from nerspec.report.sections import calibration_view, changes_view

    kind = _kind(str(project.get("kind", "")))
    evaluation = project.get("evaluation") or {}
    baseline = project.get("baseline") or None
    base_eval = (baseline or {}).get("evaluation") or None
    model = project.get("model") or {}
    gates = project.get("gates") or {}
    gate_results = list(gates.get("results") or [])
    deploy = project.get("deploy") or {}

    ci = evaluation.get("ci") or {}
    overall = []
    for avg in ("micro", "macro"):
        for metric in ("precision", "recall", "f1"):
            value = (evaluation.get(avg) or {}).get(metric)
            base = ((base_eval or {}).get(avg) or {}).get(metric)
            interval = (ci.get(avg) or {}).get(metric)
            overall.append({"average": avg, "metric": metric, **_metric(value, base, interval)})

    labels = _label_order(kind, project, evaluation, base_eval)
    per, base_per = _per_label(kind, evaluation), _per_label(kind, base_eval)
    label_ci = ci.get("per_label_f1") or {}
    data_view = _data_view(kind, labels, evaluation, project.get("data_changes"))
    flags = {row["label"]: row["flags"] for row in data_view["labels"]}
    gate_by_label: dict[str, bool] = {}
    for result in gate_results:
        if result.get("label") is not None and not result.get("skipped"):
            key = str(result["label"])
            gate_by_label[key] = gate_by_label.get(key, True) and bool(result.get("passed"))
    label_rows = []
    for label in labels:
        m, b = per.get(label), base_per.get(label)
        status = "removed" if m is None else ("new" if base_eval and b is None else None)
        label_rows.append(
            {
                "label": label,
                "train": _counts(evaluation, "train", label),
                "test": _counts(evaluation, "test", label),
                "support": int((m or {}).get("support", 0)),
                "precision": _metric((m or {}).get("precision"), (b or {}).get("precision")),
                "recall": _metric((m or {}).get("recall"), (b or {}).get("recall")),
                "f1": _metric((m or {}).get("f1"), (b or {}).get("f1"), label_ci.get(label)),
                "gate": None if label not in gate_by_label else ("pass" if gate_by_label[label] else "fail"),
                "status": status,
                "flags": flags.get(label, []),
            }
        )

    errors: list[dict[str, Any]] = []
    documents = [d for d in evaluation.get("documents") or [] if d.get("mismatch", True)]
    per_doc = [kind.report_errors(d) for d in documents]
    # Documents with the most mistakes first: they are the most telling, and often annotation errors.
    for rows in sorted(per_doc, key=lambda rows: -len(rows)):
        errors.extend(rows)

    failed = [g for g in gate_results if not g.get("passed")]
    passed = bool(gates.get("passed", not failed))
    gates_view = [_gate_view(g) for g in gate_results]
    skipped = sum(1 for g in gates_view if g["skipped"])
    actions = list((project.get("plan") or {}).get("actions") or [])
    partial = evaluation.get("partial")
    versions = model.get("versions") or {}
    return {
        "name": str(project.get("name", "")),
        "kind": str(project.get("kind", "")),
        "kind_title": kind.title,
        "label_noun": kind.label_noun,
        "label_plural": kind.label_plural,
        "count_noun": kind.count_noun,
        "manifest_path": str(project.get("manifest_path", "")),
        "multilabel": bool(model.get("multilabel", False)),
        "verdict": {
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
            "merge": _merge_view(mode, passed, actions, model),
        },
        "plan": [
            {"type": str(a.get("type", "")), "reasons": [str(r) for r in a.get("reasons") or []]}
            for a in actions
        ],
        "baseline": None
        if not baseline
        else {"deployment": str(baseline.get("deployment", "")), "fingerprint": str(baseline.get("fingerprint", "")),
              # Previous names (renames, merges) the deployed model's predictions were counted under.
              "label_map": _label_map_text((base_eval or {}).get("label_map"))},
        "ci_level": _r(ci.get("level")),
        "overall": overall,
        "labels": label_rows,
        "languages": _language_rows(evaluation, base_eval),
        "gates": gates_view,
        "confusion": _confusion_view(evaluation, base_eval) if kind.shows_confusion(model.get("multilabel"), evaluation) else None,
        "data": data_view,
        "guidance": [
            {
                "severity": str(g.get("severity", "info")),
                "code": str(g.get("code", "")),
                "message": str(g.get("message", "")),
                "labels": [str(x) for x in g.get("labels") or []],
            }
            for g in evaluation.get("guidance") or []
        ],
        "lint": [
            {
                "severity": str(f.get("severity", "warning")),
                "code": str(f.get("code", "")),
                "message": str(f.get("message", "")),
                "doc_id": None if f.get("doc_id") is None else str(f["doc_id"]),
                "location": None if f.get("location") is None else str(f["location"]),
            }
            for f in project.get("lint") or []
        ],
        "errors": {"documents": len(documents), "rows": errors},
        "partial": {
            mode: {k: _r(v) if isinstance(v, float) else v for k, v in values.items()}
            for mode, values in (partial or {}).items()
        }
        or None,
        "calibration": calibration_view(evaluation, base_eval),
        "changes": changes_view(evaluation),
        "threshold": _r(evaluation.get("threshold")) if model.get("multilabel") else None,
        "threshold_sweep": [
            {k: _r(v) for k, v in row.items()} for row in evaluation.get("threshold_sweep") or []
        ],
        "footer": {
            "fingerprint": str(model.get("fingerprint", "")),
            "data_fingerprint": str(model.get("data_fingerprint", "")),
            "nerspec": str(versions.get("nerspec", "")),
            "spacy": str(versions.get("spacy", "")),
            "python": str(versions.get("python", "")),
            "seed": model.get("seed"),
            "training_seconds": _r(model.get("training_seconds")),
            "created": str(model.get("created", "")),
        },
    }


def build_view(run_result: dict[str, Any]) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------------------------------
# rendering


@dataclass(frozen=True)
class Limits:
    """How much of each long section the Markdown shows; relaxed first, tightened until the comment fits."""

    label_rows: int | None = None
    confusion_labels: int = 12
    error_rows: int = 15
    findings: int = 20
    data_rows: int | None = None
    chart_labels: int = 30
    charts: bool = True
    compact: bool = False


MD_LEVELS: tuple[Limits, ...] = (
    Limits(),
    Limits(label_rows=40, confusion_labels=10, error_rows=10, findings=10, data_rows=40, chart_labels=25),
    Limits(label_rows=20, confusion_labels=8, error_rows=5, findings=5, data_rows=20, charts=False),
    Limits(label_rows=10, confusion_labels=0, error_rows=0, findings=3, data_rows=10, charts=False),
    Limits(label_rows=0, confusion_labels=0, error_rows=0, findings=0, data_rows=0, charts=False, compact=True),
)
HTML_LIMITS = Limits(confusion_labels=40, error_rows=200, findings=500, chart_labels=200)


def _pick_rows(rows: list[dict[str, Any]], limit: int | None) -> tuple[list[dict[str, Any]], int]:
    """The rows worth a reviewer's attention when not all fit, in their original order."""
    if limit is None or len(rows) <= limit:
        return rows, 0

    def interest(item: tuple[int, dict[str, Any]]) -> tuple:
        _, row = item
        f1 = row["f1"]
        return (
            row["gate"] != "fail",
            f1["trend"] != "down",
            -abs(f1["delta"] or 0.0),
            f1["value"] if f1["value"] is not None else -1.0,
            -row["support"],
        )

    keep = sorted(sorted(enumerate(rows), key=interest)[:limit], key=lambda item: item[0])
    return [row for _, row in keep], len(rows) - limit


def _confusion_subset(confusion: dict[str, Any] | None, limit: int) -> tuple[dict[str, Any] | None, int]:
    """The most frequent gold labels (plus `$none`) when the full matrix is too wide to read."""
    if confusion is None or limit <= 0:
        return None, 0 if confusion is None else len(confusion["labels"])
    labels = confusion["labels"]
    if len(labels) <= limit + 1:
        return confusion, 0
    ranked = sorted((r for r in confusion["rows"] if r["gold"] != NONE_LABEL), key=lambda r: -r["total"])
    chosen = {r["gold"] for r in ranked[:limit]} | {NONE_LABEL}
    idx = [i for i, label in enumerate(labels) if label in chosen]
    rows = [
        {**confusion["rows"][i], "cells": [confusion["rows"][i]["cells"][j] for j in idx]} for i in idx
    ]
    return {**confusion, "labels": [labels[i] for i in idx], "rows": rows}, len(labels) - len(idx)


def _environment(fmt: str) -> Any:
    import jinja2
    from markupsafe import Markup

    from nerspec.report import charts

    templates = Path(__file__).with_name("templates")
    if fmt == "html":
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            undefined=jinja2.StrictUndefined,
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # Autoescape handles HTML; bidi overrides in data are flagged, never rendered.
            finalize=lambda v: escape.flag_bidi(v) if isinstance(v, str) and not isinstance(v, Markup) else v,
        )
        env.filters["bars_svg"] = charts.bars_svg
        env.filters["reliability_svg"] = charts.reliability_svg
    else:

        def finalize(value: Any) -> Any:
            if isinstance(value, Markup):
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
            return escape.md_text("" if value is None else value)

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=finalize,
        )
        # Only for macro output: macros are rendered with the same finalize, so their pieces are escaped already.
        env.filters["md"] = Markup
        env.filters["code"] = lambda v: Markup(escape.md_code(v))
        env.filters["mermaid_bars"] = lambda *a, **k: Markup(charts.mermaid_bars(*a, **k))
        env.filters["md_delta"] = lambda m, **k: Markup(fmt_metric_md(m, **k))
    # Numbers are safe in every context; Markup keeps the Markdown finalize from escaping their dots.
    env.filters["num"] = lambda v, digits=3: Markup(fmt_num(v, digits))
    env.filters["signed"] = lambda v, digits=3: Markup(fmt_signed(v, digits))
    env.filters["interval"] = lambda ci: Markup(
        "—" if not ci or None in ci else f"[{ci[0]:.3f}, {ci[1]:.3f}]"
    )
    env.filters["seconds"] = lambda v: Markup("—" if v is None else f"{v:.1f} s")
    env.globals["marker"] = Markup(escape.MARKER)
    return env


def fmt_num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def fmt_signed(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    if abs(value) < EPSILON:
        return f"±{0:.{digits}f}"
    return f"{value:+.{digits}f}"


TREND_MD = {"up": "🟢 ", "down": "🔴 ", "same": "", "new": ""}


def fmt_metric_md(metric: dict[str, Any], bold: bool = False) -> str:
    """`0.871 (🟢 +0.012)`: the value, then the change against the deployed model, coloured by direction."""
    value = fmt_num(metric["value"])
    if bold and metric["value"] is not None:
        value = f"**{value}**"
    if metric["delta"] is None:
        return value
    return f"{value} ({TREND_MD[metric['trend']]}{fmt_signed(metric['delta'])})"


def _render_md(view: dict[str, Any], artifact: str) -> str:
    env = _environment("md")
    template = env.get_template("report.md.j2")
    text = ""
    for limits in MD_LEVELS:
        text = template.render(view=view, limits=limits, artifact=artifact, prepare=_prepare(limits))
        if len(text) <= MD_BUDGET:
            return text
    # Even the compact form is too long (dozens of projects): cut at a project boundary with a note.
    note = f"\n\n> ✂️ Report truncated to fit a GitHub comment; the full report is in the {artifact}.\n"
    cut = text.rfind("\n## ", 0, MD_BUDGET - len(note))
    return text[: cut if cut > 0 else MD_BUDGET - len(note)] + note


def _prepare(limits: Limits) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def prepare(project: dict[str, Any]) -> dict[str, Any]:
        label_rows, labels_hidden = _pick_rows(project["labels"], limits.label_rows)
        data_rows = project["data"]["labels"]
        data_hidden = 0
        if limits.data_rows is not None and len(data_rows) > limits.data_rows:
            shown = {r["label"] for r in _pick_rows(project["labels"], limits.data_rows)[0]}
            data_hidden = len(data_rows) - len(shown)
            data_rows = [r for r in data_rows if r["label"] in shown]
        confusion, confusion_hidden = _confusion_subset(project["confusion"], limits.confusion_labels)
        chart_rows = [r for r in project["labels"] if r["f1"]["value"] is not None or r["f1"]["baseline"] is not None]
        return {
            "label_rows": label_rows,
            "labels_hidden": labels_hidden,
            "data_rows": data_rows,
            "data_hidden": data_hidden,
            "confusion": confusion,
            "confusion_hidden": confusion_hidden,
            "errors": project["errors"]["rows"][: limits.error_rows],
            "errors_hidden": max(0, len(project["errors"]["rows"]) - limits.error_rows),
            "guidance": project["guidance"][: limits.findings],
            "lint": project["lint"][: limits.findings],
            "findings_hidden": max(0, len(project["guidance"]) - limits.findings)
            + max(0, len(project["lint"]) - limits.findings),
            "changes": (project["changes"] or {}).get("rows", [])[: limits.error_rows],
            "chart_rows": chart_rows[: limits.chart_labels],
            "chart_hidden": max(0, len(chart_rows) - limits.chart_labels),
        }

    return prepare


def render(run_result: dict[str, Any], fmt: Format = "md", *, artifact: str = "HTML report artifact") -> str:
    """Render a run result as Markdown (GitHub comment, < 65,536 characters), standalone HTML, or JSON.

    `artifact` names where the untruncated report lives, for the notes on truncated Markdown sections.
    """
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")
    view = build_view(run_result)
    if fmt == "json":
        return json.dumps(view, indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return _render_md(view, artifact)
    env = _environment("html")
    return env.get_template("report.html.j2").render(
        view=view, limits=HTML_LIMITS, artifact=artifact, prepare=_prepare(HTML_LIMITS)
    )
