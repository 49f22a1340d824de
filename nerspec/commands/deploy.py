"""``deployments list|history``, ``rollback`` and ``swap``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import click

from nerspec.commands.common import SECONDS, echo_json, json_option, state_option
from nerspec.paths import StateChoice

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject


class DeploymentRow(TypedDict):
    """``deployments list --json``: one deployment."""

    deployment: str
    fingerprint: str | None
    deployed_at: str | None
    target: str
    declared: bool
    pointer: str | None
    drift: list[str]
    notes: list[str]

project_argument = click.argument("path", type=click.Path(path_type=Path))


def _project(path: Path) -> LoadedProject:
    from nerspec.manifest.load import load_project

    return load_project(path)


@click.group("deployments")
def deployments_group() -> None:
    """Inspect a project's deployments and their history.

    \b
    Examples:
      nerspec deployments list projects/example
      nerspec deployments history projects/example --deployment production
      nerspec deployments rollout projects/example
    """


@deployments_group.command("list")
@project_argument
@json_option
@state_option
def list_command(path: Path, as_json: bool, state: StateChoice) -> None:
    """Each deployment: the model it serves, when, and whether its target agrees.

    \b
    Example:
      nerspec deployments list projects/example
    """
    from nerspec.deploy.other_states import OtherStates
    from nerspec.deploy.targets import TargetContext, target_for, target_type
    from nerspec.plan import ObservedDeployment, short
    from nerspec.state import open_store

    project = _project(path)
    paths = state.resolve()
    declared_targets = {d.name: d.target.model_dump(mode="json") for d in project.manifest.spec.deployments}
    declared = list(declared_targets)
    store = open_store(paths, create=False)
    others = OtherStates.of(paths)
    try:
        recorded = store.deployments(project.name)
        targets = TargetContext(paths, store)
        rows: list[DeploymentRow] = []
        for name in [*declared, *sorted(set(recorded) - set(declared))]:
            rec = recorded.get(name)
            target = rec.target if rec else declared_targets.get(name, {})
            # What the target serves, asked through its own protocol (pointer file, remote server, registry).
            observed = ObservedDeployment(name, target, desired=name in declared,
                                          recorded=rec.fingerprint if rec else None)
            target_for(target).observe(observed, project.name, targets)
            origin = others.deployment_recorded_by(project.name, name, observed.actual) if rec is None else None
            if origin:  # the local state beside a shared one (`make demo`) deployed it: not drift, not new
                observed.drift = []
                observed.notes.append(f"{name}: this machine's pointer serves {short(observed.actual)}, deployed by "
                                      f"the state {origin}")
            rows.append(
                {
                    "deployment": name,
                    "fingerprint": rec.fingerprint if rec else None,
                    "deployed_at": rec.deployed_at if rec else None,
                    "target": target_type(target),
                    "declared": name in declared,
                    "pointer": observed.actual,
                    "drift": observed.drift,
                    "notes": observed.notes,  # e.g. a remote not checked, and why (reading needs no secret)
                }
            )
    finally:
        others.close()
        store.close()
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        fp = (row["fingerprint"] or "none")[:12]
        note = "" if row["declared"] else "  (not in the manifest: apply removes it)"
        if row["fingerprint"] and row["drift"]:
            note += f"  (drift: {row['drift'][0]}; `nerspec plan` shows the repair)"
        note += "".join(f"  ({n.split(': ', 1)[-1]})" for n in row["notes"])
        click.echo(f"{row['deployment']:<16} {fp:<12}  {row['deployed_at'] or '-':<25} {row['target']}{note}")


@deployments_group.command("history")
@project_argument
@click.option("--deployment", default=None, help="Only this deployment.")
@json_option
@state_option
def history_command(path: Path, deployment: str | None, as_json: bool, state: StateChoice) -> None:
    """Every deploy, rollback, swap, repair and removal: who, when, from, to, why.

    \b
    Example:
      nerspec deployments history projects/example --deployment production
    """
    from dataclasses import asdict

    from nerspec.state import open_store

    project = _project(path)
    store = open_store(state.resolve(), create=False)
    try:
        entries = store.history(project.name, deployment)
    finally:
        store.close()
    declared = [d.name for d in project.manifest.spec.deployments]
    if deployment is not None and not entries and deployment not in declared:
        from nerspec.errors import DeployError

        raise DeployError(f"{project.name} has no deployment {deployment!r} (declared: {', '.join(declared) or 'none'})")
    if as_json:
        echo_json([asdict(e) for e in entries])
        return
    if not entries:
        click.echo("no history yet")
    for e in entries:
        click.echo(
            f"{e.at}  {e.deployment:<12} {e.action:<8} {(e.from_fp or 'none')[:12]:<12} -> "
            f"{(e.to_fp or 'none')[:12]:<12} {e.actor}  {e.reason}"
        )


@deployments_group.command("rollout")
@project_argument
@json_option
@state_option
def rollout_command(path: Path, as_json: bool, state: StateChoice) -> None:
    """Each rollout in progress: its candidate, the documents observed, agreement with production, error rate,
    latency ratio, and the verdict (pending, pass, fail) with its reasons. The next `apply` acts on a verdict.

    \b
    Example:
      nerspec deployments rollout projects/example --json
    """
    from nerspec.plan.render import rollout_line
    from nerspec.rollout.status import rollout_lines

    lines = rollout_lines(_project(path), state.resolve())
    if as_json:
        echo_json([line.to_json() for line in lines])
        return
    if not lines:
        click.echo("no rollout in progress")
    for line in lines:
        click.echo(rollout_line(line))


@click.command("rollback")
@project_argument
@click.argument("deployment")
@click.option("--to", "to", default=None, help="Fingerprint (or unique prefix) to roll back to; default: the previous model.")
@click.option("--lock-timeout", type=SECONDS, default=0.0, help="Wait this many seconds for the state lock.")
@click.option("--force", is_flag=True, help="Allow --to a model this deployment never served (promote_from still holds).")
@json_option
@state_option
def rollback_command(
    path: Path, deployment: str, to: str | None, lock_timeout: float, force: bool, as_json: bool, state: StateChoice
) -> None:
    """Point a deployment back at the model it served before. `apply` holds the rolled-back model back (`plan`
    says so and why) until the model or the deployment's settings change, or `nerspec apply --retry DEPLOYMENT`. `--to` takes a model the deployment served before (see `deployments
    history`); `--force` allows any other recorded model.

    \b
    Examples:
      nerspec rollback projects/example production
      nerspec rollback projects/example production --to 3f2a9c1b0d4e
    """
    from nerspec.deploy import rollback
    from nerspec.deploy.labels import served_label_warnings

    project = _project(path)
    paths = state.resolve()
    old, new = rollback(paths, project, deployment, to, lock_timeout, force=force)
    warnings = served_label_warnings(paths, project, deployment, new)
    for warning in warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if as_json:
        echo_json({"project": project.name, "deployment": deployment, "from": old, "to": new, "warnings": warnings})
        return
    click.echo(f"{deployment}: {old[:12]} -> {new[:12]} (rolled back)")


@click.command("swap")
@project_argument
@click.argument("a")
@click.argument("b")
@json_option
@state_option
def swap_command(path: Path, a: str, b: str, as_json: bool, state: StateChoice) -> None:
    """Exchange the models of two deployments.

    \b
    Example (both must be declared and deployed; projects/example declares only `production`, so first add
    a second deployment such as `- name: standby` to its manifest and apply):
      nerspec swap projects/example standby production
    """
    from nerspec.deploy import swap

    project = _project(path)
    new_a, new_b = swap(state.resolve(), project, a, b)
    if as_json:
        echo_json({"project": project.name, "deployments": {a: new_a, b: new_b}})
        return
    click.echo(f"{a}: now {new_a[:12]}\n{b}: now {new_b[:12]}")


COMMANDS: list[click.Command] = [deployments_group, rollback_command, swap_command]
