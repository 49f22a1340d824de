"""``nerspec state backup|restore|recover``: keep the recorded state safe (core: nerspec/state/repair.py)."""

from __future__ import annotations

from pathlib import Path

import click

from nerspec.commands.common import state_option
from nerspec.commands.state_migrate import state_group


@state_group.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@state_option
def backup_command(file: Path, state: Path | None) -> None:
    """Write a consistent copy of the state database to FILE (safe while nerspec runs).

    \b
    Example:
      nerspec state backup backups/state-$(date +%F).db
    """
    from nerspec.paths import state_paths
    from nerspec.state.repair import backup

    size = backup(state_paths(state), file)
    click.echo(f"backed up the state to {file} ({size} bytes)")


@state_group.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--lock-timeout", type=float, default=0.0, help="Wait this many seconds for the state lock.")
@state_option
def restore_command(file: Path, lock_timeout: float, state: Path | None) -> None:
    """Replace the state database by the backup FILE (the current one is kept beside it).

    Model paths are stored relative to the state directory, so a backup restores into a moved directory too.
    Run `nerspec plan` afterwards: it shows what differs between the restored state and the registry.

    \b
    Example:
      nerspec state restore backups/state.db
    """
    from nerspec.paths import state_paths
    from nerspec.state import lock
    from nerspec.state.repair import restore

    paths = state_paths(state)
    with lock.locked(paths.root, "state restore", lock_timeout):
        kept = restore(paths, file)
    click.echo(f"restored the state from {file}" + (f"; the previous database is kept as {kept}" if kept else ""))


@state_group.command("recover")
@click.option("--force", is_flag=True, help="Rebuild even though the database looks healthy (its history is lost).")
@click.option("--lock-timeout", type=float, default=0.0, help="Wait this many seconds for the state lock.")
@state_option
def recover_command(force: bool, lock_timeout: float, state: Path | None) -> None:
    """Rebuild a lost or corrupt state database from the model artifacts and the deployment pointers.

    Models come back from each artifact's meta.json (with fresh file hashes), deployments from the pointers;
    history before the loss cannot be recovered. The damaged database, if any, is kept beside the new one.

    \b
    Example:
      nerspec state recover
    """
    from nerspec.errors import StateError
    from nerspec.paths import state_paths
    from nerspec.state import lock, open_store
    from nerspec.state.repair import recover

    paths = state_paths(state)
    if not force and paths.db.is_file() and paths.db.stat().st_size:
        try:
            open_store(paths, create=False).close()
        except StateError:
            pass  # damaged: recover it
        else:
            raise StateError(f"{paths.db} is healthy; recovering would replace its history (pass --force to do it)")
    with lock.locked(paths.root, "state recover", lock_timeout):
        result = recover(paths)
    click.echo(f"recovered {result.models} model(s) and {result.deployments} deployment(s) into {paths.db}")
    for line in result.skipped:
        click.echo(f"skipped {line}")
    if result.kept:
        click.echo(f"the damaged database is kept as {result.kept}")
    click.echo("history before the loss is not recoverable; run `nerspec plan` to check the result")


COMMANDS: list[click.Command] = []  # registered on state_migrate's `state` group
