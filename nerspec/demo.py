"""``python -m nerspec.demo`` (what ``make demo`` runs): plan and apply every project under ``projects/``.

Thin on purpose: the same core calls as ``nerspec plan`` and ``nerspec apply``, with the embedded defaults
(SQLite state and local registry under ``.nerspec/``), then the report and what to try next.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from nerspec.evaluate.record import JsonObject
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths


def main(argv: list[str] | None = None) -> int:
    from nerspec.apply import execute, make_plan
    from nerspec.errors import GateFailed, NerspecError
    from nerspec.manifest.load import load_projects
    from nerspec.paths import is_url, repository_root, state_paths
    from nerspec.plan import render
    from nerspec.state import open_store

    root = repository_root()
    targets = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or [root]
    paths = state_paths()
    color = sys.stdout.isatty()
    shared = [paths.describe()] if paths.shared else []
    shared += [paths.artifacts_url] if paths.artifacts_url and is_url(paths.artifacts_url) else []
    if shared:
        click.secho(f"error: the demo applies the example projects on the embedded defaults, but {' and '.join(shared)} "
                    f"is configured (from NERSPEC_STATE / NERSPEC_ARTIFACTS or nerspec.settings.yaml): a shared state "
                    "or model store would record and publish the demo's models for everyone. Unset it (or run "
                    "`nerspec apply` yourself).", fg="red", err=True)
        return 1
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
    tips = next_steps(projects[0], paths, failed is not None)
    # Comments line up, but a long command (the predict example) does not push them all past 80 columns.
    width = min(max(len(tip.command) for tip in tips), 48)
    click.echo(f"\nReport: {reports[0]}")
    for extra in reports[1:]:
        click.echo(f"HTML report: {extra}")
    hint = activation_hint()
    if hint:
        click.echo(f"\n{hint}")
    click.echo("\nWhat to try next:")
    for tip in tips:
        click.echo(f"  {tip.command.ljust(width)}  # {tip.why}")
    return 3 if failed else 0


@dataclass(frozen=True)
class Tip:
    """A suggestion printed after the demo; ``runnable`` ones run as printed (tests/test_demo.py runs them)."""

    command: str
    why: str
    runnable: bool = True


# The README's headline example: the demo suggests exactly what the README promises.
EXAMPLE_TEXT = "Acme Bank lends $2M to Jane Doe."


def next_steps(project: LoadedProject, paths: StatePaths, failed: bool) -> list[Tip]:
    """What to try next, each command valid in the state the demo leaves behind.

    Rollback is offered only when the deployment has an earlier model to go back to (a first demo deploys one
    model); otherwise the history is, with how to get a second model.
    """
    from nerspec.manifest.load import display_path

    where = display_path(project.dir)
    deployment = project.manifest.spec.deployments[0].name if project.manifest.spec.deployments else "production"
    tips = [
        Tip("nerspec plan", "no changes now" if not failed else "the deployments the failed gates held back"),
        Tip(f"nerspec deployments list {where}", "what each deployment serves"),
        Tip(f"edit {where}/data, then nerspec plan", "the retrain and its reasons", runnable=False),
    ]
    if _has_earlier_model(paths, project.name, deployment):
        tips.append(Tip(f"nerspec rollback {where} {deployment}", "back to the previous model"))
    else:
        tips.append(Tip(f"nerspec deployments history {where}",
                        "every deploy so far"))
    if not failed:
        tips.append(Tip(f"nerspec predict {where} --deployment {deployment} {shlex.quote(EXAMPLE_TEXT)}",
                        "use the deployed model"))
    return tips


def _has_earlier_model(paths: StatePaths, project: str, deployment: str) -> bool:
    from nerspec.state import open_store

    store = open_store(paths, create=False)
    try:
        current = store.deployments(project).get(deployment)
        if current is None:
            return False
        return any(e.to_fp == current.fingerprint and e.from_fp and e.from_fp != current.fingerprint
                   for e in store.history(project, deployment))
    finally:
        store.close()


def activation_hint() -> str | None:
    """How to reach ``nerspec`` when the demo ran from a virtual environment that is not on the PATH."""
    installed = Path(sys.executable).parent / "nerspec"
    found = shutil.which("nerspec")
    if found and Path(found).resolve() == installed.resolve():
        return None
    try:
        bin_dir = installed.parent.relative_to(Path.cwd())
    except ValueError:
        bin_dir = installed.parent
    return (f"`nerspec` is installed in {bin_dir.parent}, which is not on your PATH: run `. {bin_dir}/activate` "
            f"first (or call {installed} by its path).")


def _reports(paths: StatePaths, result: JsonObject | None) -> list[Path]:
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
