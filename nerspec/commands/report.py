"""`nerspec report`: render the last run (or any run result JSON) as Markdown, HTML or JSON; post it to a PR."""

from __future__ import annotations

import json
from pathlib import Path

import click

from nerspec.commands.common import paths_argument, state_option
from nerspec.errors import NerspecError
from nerspec.paths import StateChoice
from nerspec.safeio import read_bytes


def _load_run(input_path: Path | None, state: StateChoice) -> tuple[dict[str, object], Path]:

    path = input_path or state.resolve().reports / "last-run.json"
    try:
        data = read_bytes(path)  # a FIFO or device is refused (NotRegularFile), never read
    except FileNotFoundError:
        hint = "" if input_path else " (run `nerspec apply` first, or pass --input RUN.json)"
        raise NerspecError(f"no run result at {path}{hint}") from None
    except OSError as exc:
        raise NerspecError(f"cannot read {path}: {exc.strerror or exc.args[0]}") from exc
    try:
        run = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise NerspecError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(run, dict):
        from nerspec.report import ReportError

        raise ReportError("not a run result: expected an object with a 'projects' list (see `nerspec apply --json`)")
    return run, path


def _select(run: dict[str, object], paths: tuple[Path, ...]) -> dict[str, object]:
    """Keep the projects whose manifest lies under one of `paths` (or whose name is given)."""
    if not paths:
        return run
    wanted = [p.resolve() for p in paths]
    names = {str(p) for p in paths}
    kept = []
    found = run.get("projects")
    for project in found if isinstance(found, list) else []:
        if not isinstance(project, dict):
            continue
        manifest = Path(str(project.get("manifest_path", ""))).resolve()
        if project.get("name") in names or any(manifest == w or w in manifest.parents for w in wanted):
            kept.append(project)
    if not kept:
        raise NerspecError(f"no project of the run result matches {', '.join(map(str, paths))}")
    return {**run, "projects": kept}


@click.command("report")
@paths_argument
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "json"]), default=None,
    help="Output format (default: from the -o suffix, else md).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write to FILE instead of stdout.")
@click.option(
    "--input", "input_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Run result JSON to render (default: <state>/reports/last-run.json, written by `nerspec apply`).",
)
@click.option(
    "--github-pr", "github_pr", default=None, metavar="auto|N",
    help="Also create or update the sticky report comment on pull request N (auto: from GITHUB_EVENT_PATH), "
    "and append the Markdown to $GITHUB_STEP_SUMMARY.",
)
@state_option
def report_command(
    paths: tuple[Path, ...],
    fmt: str | None,
    output: Path | None,
    input_path: Path | None,
    github_pr: str | None,
    state: StateChoice,
) -> None:
    """Render the evaluation report of the last run, for review in a pull request.

    Re-renders from the run result JSON, so no model is retrained. PATHS limits the report to those projects.
    Deployments with `monitoring` get a Production section (the last 10,000 logged documents: volume, drift,
    estimated vs measured precision; the HTML report charts them over time).
    Exit code 0 even when gates failed: the gate result is `nerspec apply`'s exit code (3).

    \b
    Examples:
      nerspec report                                  Markdown of the last run on stdout
      nerspec report -o report.html                   standalone HTML (format from the suffix)
      nerspec report --input run.json --format json
      nerspec report --github-pr auto -o report.html  in GitHub Actions: sticky PR comment + HTML artifact
    """
    from nerspec.report import render  # jinja2 is imported by render, only now

    if github_pr is not None and github_pr != "auto" and not github_pr.isdigit():
        raise click.BadParameter("expected 'auto' or a pull request number", param_hint="--github-pr")
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = {"html": "html", "htm": "html", "json": "json"}.get(suffix, "md")
    run, _ = _load_run(input_path, state)
    run = _select(run, paths)
    if input_path is None:  # the state's own last run: add what its monitored deployments logged since
        from nerspec.report.production import attach_production

        run = attach_production(run, state.resolve())
    artifact = f"HTML report ({output.name})" if output and fmt == "html" else "HTML report artifact"
    text = render(run, fmt, artifact=artifact)  # type: ignore[arg-type]

    if output:
        from nerspec.atomic import write_text

        output.parent.mkdir(parents=True, exist_ok=True)
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    elif github_pr is None:
        click.echo(text, nl=False)

    if github_pr is not None:
        from nerspec.report.github import post_report, write_step_summary

        markdown = text if fmt == "md" else render(run, "md", artifact=artifact)
        summary = write_step_summary(markdown)
        if summary:
            click.echo(f"appended the report to the job summary {summary}", err=True)
        result = post_report(markdown, github_pr)
        click.echo(f"{result.action} the report comment {result.url}".rstrip(), err=True)


COMMANDS: list[click.Command] = [report_command]
