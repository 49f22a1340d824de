"""The terminal rendering of a plan (``nerspec plan`` without ``--json``)."""

from __future__ import annotations

from nerspec.plan.actions import (
    AbortRollout,
    Action,
    Deploy,
    DropRollout,
    Plan,
    ProjectPlan,
    Promote,
    RemoveDeployment,
    Repair,
    Reuse,
    StageRollout,
    Train,
)
from nerspec.plan.inputs import RolloutLine, short

# action type -> (symbol, colour, title): one row per action class
STYLES: dict[type, tuple[str, str, str]] = {
    Train: ("+", "green", "train"),
    Reuse: ("=", "cyan", "reuse"),
    Deploy: ("~", "yellow", "deploy"),
    RemoveDeployment: ("-", "red", "remove"),
    Repair: ("!", "magenta", "repair"),
    StageRollout: ("~", "yellow", "rollout"),
    Promote: ("^", "green", "promote"),
    AbortRollout: ("x", "red", "abort"),
    DropRollout: ("-", "red", "drop"),
}


def describe(action: Action) -> str:
    if isinstance(action, (Train, Reuse)):
        return short(action.fingerprint)
    if isinstance(action, Deploy):
        return f"{action.deployment} {short(action.from_fp)} -> {short(action.to)} (if gates pass)"
    if isinstance(action, RemoveDeployment):
        return f"deployment {action.deployment} (serves {short(action.fingerprint)})"
    if isinstance(action, StageRollout):
        return f"{action.deployment} candidate {short(action.candidate)} ({action.strategy}; if gates pass)"
    if isinstance(action, Promote):
        return f"{action.deployment} {short(action.from_fp)} -> {short(action.to)} ({action.figures})"
    if isinstance(action, (AbortRollout, DropRollout)):
        return f"{action.deployment} candidate {short(action.candidate)}" + (
            f" ({action.figures})" if action.figures else "")
    return f"{action.deployment} -> {short(action.fingerprint)}"


def serving(project: ProjectPlan) -> str:
    """What a project's deployments serve, naming each one that does not serve the candidate."""
    candidate = project.fingerprint
    if all(fp == candidate for fp in project.serves.values()):
        return f"serves {short(candidate)}"
    each = ", ".join(f"{name} serves {short(fp)}" for name, fp in project.serves.items())
    return f"{each} (the manifest and data ask for {short(candidate)})"


def render(plan: Plan, color: bool = False) -> str:
    import click

    def style(text: str, fg: str | None = None, bold: bool | None = None, dim: bool | None = None) -> str:
        return click.style(text, fg=fg, bold=bold, dim=dim) if color else text

    lines: list[str] = []
    for project in plan.projects:
        lines.append(style(f"{project.name} ({project.kind})  {project.manifest_path}", bold=True))
        if not project.actions:
            lines.append(f"  {style('no changes', dim=True)}: {serving(project)}")
        rows = [(STYLES[type(a)], describe(a), a.reasons) for a in project.actions]
        width = max((len(title) for (_, _, title), _, _ in rows), default=0)
        what_width = max((len(what) for _, what, _ in rows), default=0)
        for (symbol, fg, title), what, reasons in rows:
            lead = style(f"{symbol} {title.ljust(width)}", fg=fg, bold=True)
            first, *rest = reasons or [""]
            lines.append(f"  {lead}  {what.ljust(what_width)}  {style(first, dim=True)}".rstrip())
            pad = " " * (2 + 2 + width + 2 + what_width + 2)
            lines.extend(f"{pad}{style(reason, dim=True)}" for reason in rest)
        for note in project.notes:
            lines.append(f"  {style('note', fg='blue')}: {note}")
        for r in project.rollouts:
            lines.append(f"  {style('rollout', fg='blue')}: {rollout_line(r)}")
        lines.append("")
    c = plan.counts()
    if plan.changes:
        summary = (
            f"Plan: {c['train']} to train, {c['reuse']} to reuse, {c['deploy']} to deploy (if gates pass), "
            f"{c['remove_deployment']} to remove, {c['repair']} to repair."
        )
        ended = c["promote"] + c["abort_rollout"] + c["drop_rollout"]
        if c["rollout"] or ended:
            summary += (f" Rollouts: {c['rollout']} to stage, {c['promote']} to promote, {c['abort_rollout']} to "
                        f"abort, {c['drop_rollout']} to drop.")
    else:
        behind = [p.name for p in plan.projects if any(fp != p.fingerprint for fp in p.serves.values())]
        summary = ("No changes. Deployments match the manifests." if not behind else
                   f"No changes, but {', '.join(behind)} do(es) not serve what the manifest asks for: see the notes.")
    lines.append(style(summary, bold=True))
    return "\n".join(lines)


def rollout_line(r: RolloutLine) -> str:
    """One rollout in progress (``nerspec deployments rollout``'s line; ``plan`` shows the same)."""
    from nerspec.numbers import metric_text

    def text(value: float | None, digits: int = 3) -> str:
        return "n/a" if value is None else metric_text(value, digits)

    return (f"{r.deployment} candidate {short(r.candidate)} ({r.strategy}): {r.documents} documents, "
            f"agreement {text(r.agreement)}, error rate {text(r.error_rate)}, latency ratio "
            f"{text(r.latency_ratio, 2)}: {r.verdict} ({'; '.join(r.reasons)})")
