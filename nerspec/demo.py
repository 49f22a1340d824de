"""``python -m nerspec.demo`` (what ``make demo`` runs): plan and apply every project under ``projects/``.

Thin on purpose: the same core calls as ``nerspec plan`` and ``nerspec apply``, with the embedded defaults
(SQLite state and local registry under ``.nerspec/``), then the report and what to try next.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click


def main(argv: list[str] | None = None) -> int:
    from nerspec.apply import execute, make_plan
    from nerspec.errors import GateFailed, NerspecError
    from nerspec.manifest.load import load_projects
    from nerspec.paths import repository_root, state_paths
    from nerspec.plan import render
    from nerspec.state import open_store

    root = repository_root()
    targets = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or [root]
    paths = state_paths()
    color = sys.stdout.isatty()
    try:
        projects = load_projects(targets)
        click.secho(f"nerspec demo: {len(projects)} project(s), state in {paths.root}\n", bold=True)
        store = open_store(paths)
        try:
            click.echo(render(make_plan(projects, paths, store), color=color) + "\n")
        finally:
            store.close()
        run = execute(projects, paths, progress=click.echo)
        failed, result = run.error(), run.data
        if failed is not None and not isinstance(failed, GateFailed):
            raise failed
        if failed is not None:
            click.secho(f"\n{failed}", fg="red")
    except NerspecError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        return exc.exit_code
    reports = _reports(paths, result)
    from nerspec.manifest.load import display_path

    where = display_path(projects[0].dir)
    tips = [
        ("nerspec plan", "no changes now" if failed is None else "the deployments the failed gates held back"),
        (f"nerspec deployments list {where}", "what each deployment serves"),
        (f"edit {where}/data, then nerspec plan", "the retrain and its reasons"),
        (f"nerspec rollback {where} production", "back to the previous model"),
        (f'nerspec predict {where} --deployment production "some text"', "use the deployed model"),
    ]
    width = max(len(command) for command, _ in tips)
    click.echo(f"\nReport: {reports[0]}")
    for extra in reports[1:]:
        click.echo(f"HTML report: {extra}")
    click.echo("\nWhat to try next:")
    for command, why in tips:
        click.echo(f"  {command.ljust(width)}  # {why}")
    return 3 if failed else 0


def _reports(paths: Any, result: dict[str, Any] | None) -> list[Path]:
    """Write the Markdown and HTML reports beside ``last-run.json``; return their paths (Markdown first).

    Rendering errors propagate on purpose: the run result is already saved, and a report that silently
    fails to render is a bug to see, not a message to skim past.
    """
    run_json = Path(paths.reports) / "last-run.json"
    if result is None:
        return [run_json]
    from nerspec import atomic
    from nerspec.report.render import render

    md, html = run_json.with_name("last-run.md"), run_json.with_name("last-run.html")
    atomic.write_text(html, render(result, "html"))
    # Truncated Markdown sections point at the HTML file for the full tables.
    atomic.write_text(md, render(result, "md", artifact=str(html)))
    return [md, html]


if __name__ == "__main__":
    sys.exit(main())
