"""Evaluation reports from a run result (`nerspec apply --json`, `<state>/reports/last-run.json`).

Two steps, so that every format tells the same story:

1. :func:`nerspec.report.view.build_view` turns the run result into a kind-agnostic view (plain JSON: raw strings,
   rounded numbers), asking the project's kind (``nerspec.kinds``) what differs between kinds.
2. :func:`render` (here) formats the view with jinja2 templates (StrictUndefined). The JSON format *is* the view.

Markdown has no autoescape of its own, so the Markdown environment gets one: a ``finalize`` hook escapes every
plain string that reaches the output with :func:`nerspec.escape.md_text`; filters that produce Markdown on
purpose return ``Markup`` to opt out. A template that forgets a filter is therefore safe rather than injectable.

jinja2 is imported only inside functions (the CLI must start fast).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from nerspec import escape
from nerspec.report.numbers import fmt_num, fmt_signed
from nerspec.report.sections import NONE_LABEL
from nerspec.report.view import Json, ReportError, build_view

if TYPE_CHECKING:
    import jinja2

Format = Literal["md", "html", "json"]
FORMATS: tuple[str, ...] = ("md", "html", "json")

GITHUB_COMMENT_LIMIT = 65_536
# Room for the sticky-comment marker, a truncation note and GitHub counting some characters differently.
MD_BUDGET = GITHUB_COMMENT_LIMIT - 1_536

__all__ = ["FORMATS", "GITHUB_COMMENT_LIMIT", "Format", "ReportError", "build_view", "render"]


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


def _pick_rows(rows: list[Json], limit: int | None) -> tuple[list[Json], int]:
    """The rows worth a reviewer's attention when not all fit, in their original order."""
    if limit is None or len(rows) <= limit:
        return rows, 0

    def interest(item: tuple[int, Json]) -> tuple:
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


def _confusion_subset(confusion: Json | None, limit: int) -> tuple[Json | None, int]:
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


def _environment(fmt: str) -> jinja2.Environment:
    import jinja2
    from markupsafe import Markup

    from nerspec.kinds import kind_of
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
        env.filters["timeline_svg"] = charts.timeline_svg
    else:

        def finalize(value: object) -> object:
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
        "—" if not ci or None in ci else f"[{fmt_num(ci[0])}, {fmt_num(ci[1])}]"
    )
    env.filters["seconds"] = lambda v: Markup("—" if v is None else f"{v:.1f} s")
    # What a prediction of the project's kind is called ("entities", "classes"): the kind's result key.
    env.filters["predicted_items"] = lambda kind: kind_of(kind).result_key
    env.globals["marker"] = Markup(escape.MARKER)
    return env


TREND_MD = {"up": "🟢 ", "down": "🔴 ", "same": "", "new": ""}


def fmt_metric_md(metric: Json, bold: bool = False) -> str:
    """`0.871 (🟢 +0.012)`: the value, then the change against the deployed model, coloured by direction."""
    value = fmt_num(metric["value"])
    if bold and metric["value"] is not None:
        value = f"**{value}**"
    if metric["delta"] is None:
        return value
    return f"{value} ({TREND_MD[metric['trend']]}{fmt_signed(metric['delta'])})"


def _render_md(view: Json, artifact: str) -> str:
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


def _prepare(limits: Limits) -> Callable[[Json], Json]:
    def prepare(project: Json) -> Json:
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
            "label_errors": project["label_errors"],
            "agreement": project["agreement"],
            "chart_rows": chart_rows[: limits.chart_labels],
            "chart_hidden": max(0, len(chart_rows) - limits.chart_labels),
        }

    return prepare


def render(run_result: object, fmt: Format = "md", *, artifact: str = "HTML report artifact") -> str:
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
