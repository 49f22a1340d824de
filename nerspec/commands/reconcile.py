"""``plan``, ``apply`` and ``force-unlock``: the reconciler's commands (thin: core lives in nerspec.plan and nerspec.apply)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nerspec import safeio
from nerspec.commands.common import SECONDS, echo_json, is_terminal, json_option, paths_argument, state_option
from nerspec.errors import EXIT_CHANGES_PENDING, StalePlanError
from nerspec.paths import StateChoice

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.fingerprints import verdict
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.plan import Plan
    from nerspec.plan.plan_json import PlanJSON


def use_color() -> bool:
    """Color only on a terminal, and never when ``NO_COLOR`` is set to anything non-empty (no-color.org)."""
    return is_terminal() and not os.environ.get("NO_COLOR")


def _load_saved_plan(path: Path) -> tuple[Plan, tuple[Path, ...], tuple[str, ...]]:
    """The saved plan, the manifests it was made from and the deployments it retries."""
    from nerspec.plan import Plan
    from nerspec.plan.plan_json import texts

    try:
        raw = json.loads(safeio.read_text(path))
    except (OSError, ValueError, RecursionError) as exc:
        raise StalePlanError(f"cannot read the saved plan {path}: {exc}") from None
    plan = Plan.from_json(raw)
    try:
        return plan, tuple(Path(p) for p in texts(raw, "paths", [])), tuple(texts(raw, "retry", []))
    except TypeError as exc:
        raise StalePlanError(f"the saved plan is malformed ({exc}); run `nerspec plan -o` again") from None


retry_option = click.option(
    "--retry", "retry", multiple=True, metavar="DEPLOYMENT",
    help="Deploy the model a rollback held back from DEPLOYMENT again (repeatable), without editing anything.")


def _retry(projects: list[LoadedProject], names: tuple[str, ...]) -> frozenset[str]:
    from nerspec.errors import NerspecError

    declared = {d.name for p in projects for d in p.manifest.spec.deployments}
    unknown = sorted(set(names) - declared)
    if unknown:
        raise NerspecError(f"--retry {', '.join(unknown)}: no such deployment in the manifests "
                           f"(declared: {', '.join(sorted(declared)) or 'none'})")
    return frozenset(names)


@click.command("plan")
@paths_argument
@json_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0: no changes, 2: changes pending, 1: error.")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), help="Save the plan for `nerspec apply PLAN.json`.")
@retry_option
@state_option
def plan_command(paths: tuple[Path, ...], as_json: bool, detailed_exitcode: bool, out: Path | None,
                 retry: tuple[str, ...], state: StateChoice) -> None:
    """Show what `apply` would train, reuse, deploy, remove or repair, and why.

    \b
    Examples:
      nerspec plan                                 every projects/*/nerspec.yaml
      nerspec plan projects/example --json
      nerspec plan --detailed-exitcode -o plan.json && echo "nothing to do"
    """
    from nerspec.fingerprints import verdict

    request = verdict.Request(state=state.state, paths=tuple(str(p) for p in paths), as_json=as_json)
    state_dir = state.resolve()
    local = not state_dir.shared and state_dir.artifacts_url is None  # a cached verdict witnesses local files only
    replayable = out is None and not retry and local
    cached = verdict.cached_output(request, state_dir.root) if replayable else None
    if cached is not None:  # the settings file named the state, so `nerspec.cli` could not answer before click
        click.echo(cached, nl=False)
        return
    recorder = verdict.Recorder()
    try:
        data, text, projects, plan_obj, clean = _full_plan(paths, as_json, out, retry, state_dir)
    finally:
        recorder.stop()
    click.echo(text)
    if out is not None and not as_json:
        click.echo(f"\nSaved to {out}. Run `nerspec apply {out}` to execute exactly this plan.")
    if replayable and clean and not plan_obj.changes and not any(p.rollouts for p in plan_obj.projects):
        _remember(request, recorder, state_dir, projects, text + "\n")
    if detailed_exitcode and plan_obj.changes:
        click.get_current_context().exit(EXIT_CHANGES_PENDING)


def _full_plan(paths: tuple[Path, ...], as_json: bool, out: Path | None, retry: tuple[str, ...],
               state_dir: StatePaths) -> tuple[PlanJSON, str, list[LoadedProject], Plan, bool]:
    """(plan JSON, printed text, projects, plan, no warnings): observe, decide, check the data, save ``-o``."""
    from nerspec.deploy.local import stray_pointers
    from nerspec.manifest.load import load_projects
    from nerspec.plan import make_plan, render
    from nerspec.preflight import check_plan_data
    from nerspec.run_parts import RunParts
    from nerspec.state import open_store

    projects = load_projects(list(paths))
    store = open_store(state_dir, create=False)
    corpora: dict[str, Corpus] = {}
    try:
        plan = make_plan(projects, state_dir, store, RunParts().resolved(), corpora=corpora, retry=_retry(projects, retry))
        warnings: list[str] = stray_pointers(state_dir, store, {p.name for p in projects})
    finally:
        store.close()
    # Fail exactly when apply would: every blocking data error of the projects it would train, at file:line.
    check_plan_data(projects, plan, state_dir, warnings.append, corpora=corpora, outcome="apply would train nothing")
    data = plan.to_json()
    if as_json:
        data["warnings"] = warnings
    else:
        for warning in warnings:
            click.echo(warning, err=True)
    if out is not None:
        from nerspec import atomic
        from nerspec.gc import register_saved_plan

        data["paths"] = [str(p.path.resolve()) for p in projects]
        data["retry"] = sorted(retry)  # `apply PLAN.json` plans with them again to check the plan is fresh
        atomic.write_text(out, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        register_saved_plan(state_dir, out)  # `nerspec gc` keeps the models it names
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) if as_json else render(plan, color=use_color())
    return data, text, projects, plan, not warnings


def _remember(request: verdict.Request, recorder: verdict.Recorder, state_dir: StatePaths, projects: list[LoadedProject], output: str) -> None:
    """Store a no-op plan's output for the next identical request (``nerspec.fingerprints.verdict``), when all it
    read is local files: a local state and artifacts, targets served here (no remote to ask), no rollout."""
    from nerspec.deploy.targets import target_for
    from nerspec.fingerprints import verdict
    from nerspec.paths import SETTINGS_NAME, repository_root

    keys, covered = [], []
    for project in projects:
        if not all(target_for(d.target).served_here for d in project.manifest.spec.deployments):
            return
        for source in project.manifest.spec.data:
            if source.unlabeled or source.path is None:
                continue
            root = Path(str(project.dir.resolve())) / source.path
            keys.append(f"{source.format}:{root}")
            covered.append(str(root))
    settings = repository_root() / SETTINGS_NAME
    witnesses = verdict.collect(recorder, state_dir.root, settings, keys, covered)
    if witnesses is not None:
        verdict.store(request, state_dir.root, witnesses, output)


@click.command("apply")
@paths_argument
@click.option("--no-deploy", is_flag=True, help="Train, evaluate and check gates only (for pull requests).")
@json_option
@click.option("--lock-timeout", type=SECONDS, default=0.0, show_default=True, help="Wait this many seconds for the state lock.")
@retry_option
@state_option
def apply_command(paths: tuple[Path, ...], no_deploy: bool, as_json: bool, lock_timeout: float,
                  retry: tuple[str, ...], state: StateChoice) -> None:
    """Train what changed, evaluate on the test split, check gates, deploy. Exit 3 when a gate fails.

    Give project paths (or nothing: every projects/*/nerspec.yaml), or a plan saved by `plan -o`,
    which is executed exactly as reviewed and refused when stale.

    \b
    Examples:
      nerspec apply
      nerspec apply projects/example --no-deploy --json
      nerspec plan -o plan.json && nerspec apply plan.json
      nerspec apply --retry production             deploy the model a rollback held back again
    """
    from nerspec.apply import execute
    from nerspec.manifest.load import load_projects

    saved = None
    if len(paths) == 1 and paths[0].suffix == ".json" and paths[0].exists() and not paths[0].is_dir():  # a FIFO: named
        saved, paths, retry = _load_saved_plan(paths[0])
    projects = load_projects(list(paths))
    progress = (lambda message: click.echo(message, err=True)) if as_json else click.echo
    paths_ = state.resolve()
    if warning := paths_.local_models_warning():
        click.echo(f"warning: {warning}", err=True)
    result = execute(
        projects, paths_, saved_plan=saved, no_deploy=no_deploy, lock_timeout=lock_timeout, progress=progress,
        retry=_retry(projects, retry),
    )
    if as_json:  # also when the run failed: the run result still describes what was done
        echo_json(result.data)
    result.raise_for_failures()


@click.command("force-unlock")
@click.argument("lock_id")
@click.option("--force", is_flag=True, help="Remove the lock even though its process is alive on this machine.")
@json_option
@state_option
def force_unlock_command(lock_id: str, force: bool, as_json: bool, state: StateChoice) -> None:
    """Remove the state lock left by an apply that is gone (on another machine, or hung).

    A lock whose process died on this machine is cleared automatically; use this only for the rest.

    \b
    Example:
      nerspec force-unlock 3f2a9c1b0d4e
    """
    from nerspec.state import store_type

    paths = state.resolve()
    holder = store_type(paths).force_unlock(paths, lock_id, force=force)  # the store itself may be what is damaged
    if as_json:
        from dataclasses import asdict

        echo_json({"removed": asdict(holder)})
        return
    click.echo(f"removed {holder.describe()}")


COMMANDS: list[click.Command] = [plan_command, apply_command, force_unlock_command]
