"""``nerspec gc``: free the artifact store of models nothing serves, can roll back to, or plans to use."""

from __future__ import annotations

from pathlib import Path

import click

from nerspec.commands.common import SECONDS, echo_json, json_option, state_option
from nerspec.paths import StateChoice


@click.command("gc")
@click.option("--keep", type=click.IntRange(min=0), default=3, show_default=True,
              help="Per deployment, keep this many models it served before its current one (rollback targets).")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option("--plan", "plan_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Also keep the models this saved plan names (plans saved by `plan -o` are kept already).")
@click.option("--lock-timeout", type=SECONDS, default=0.0, show_default=True, help="Wait this many seconds for the state lock.")
@json_option
@state_option
def gc_command(keep: int, dry_run: bool, plan_files: tuple[Path, ...], lock_timeout: float, as_json: bool,
               state: StateChoice) -> None:
    """Remove models that no deployment serves, that are not among the last --keep each deployment served, and
    that no saved plan references. Never a served model; under the state lock; a killed gc loses nothing.
    Also removes logged monitoring documents past their deployment's `monitoring.retention_days`.

    \b
    Examples:
      nerspec gc --dry-run
      nerspec gc --keep 1
    """
    from nerspec.gc import collect, human_size

    paths = state.resolve()
    if state and not paths.shared and not paths.root.is_dir():  # a typo in --state / NERSPEC_STATE
        from nerspec.errors import StateError

        raise StateError(f"no state at {paths.root}: it does not exist (check --state or NERSPEC_STATE)")
    result = collect(paths, keep, dry_run=dry_run, lock_timeout=lock_timeout, plan_files=plan_files,
                     say=None if as_json else click.echo)
    if as_json:
        echo_json({
            "dry_run": dry_run,
            "removed": [{"fingerprint": c.fingerprint, "project": c.project, "bytes": c.size} for c in result.removed],
            "freed_bytes": result.freed,
            "kept": result.kept,
            "expired_monitoring_documents": result.expired_documents,
        })
        return
    verb = "would free" if dry_run else "freed"
    count = len(result.removed)
    click.echo(f"gc: {verb} {human_size(result.freed)} ({count} model{'s' if count != 1 else ''}); "
               f"kept {len(result.kept)}"
               + (f"; removed {result.expired_documents} expired monitoring records" if result.expired_documents
                  else ""))


COMMANDS: list[click.Command] = [gc_command]
