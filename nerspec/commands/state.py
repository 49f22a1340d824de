"""``nerspec state migrate|backup|restore|recover``: where the recorded state lives, and keeping it safe (core:
nerspec/migrate_state.py, nerspec/state/repair.py)."""

from __future__ import annotations

from pathlib import Path

import click

from nerspec.commands.common import SECONDS, echo_json, json_option, state_option
from nerspec.paths import StateChoice


@click.group("state")
def state_group() -> None:
    """Manage the recorded state itself (where it lives).

    \b
    Example:
      nerspec state migrate --to postgresql://nerspec@db.internal:5432/nerspec --artifacts s3://models/nerspec
    """


@state_group.command("migrate")
@click.option("--to", "to", required=True, metavar="URL",
              help="Target state: postgresql://user@host:port/db (password from PGPASSWORD) or a directory.")
@click.option("--artifacts", "artifacts", default=None, metavar="URL",
              help="Target artifact store: s3://bucket/prefix or a directory (default: the target's models/).")
@click.option("--from", "source", default=None, metavar="URL",
              help="Source state (default: the configured one: NERSPEC_STATE, nerspec.settings.yaml, .nerspec/).")
@click.option("--from-artifacts", "source_artifacts", default=None, metavar="URL",
              help="Source artifact store (default: the configured one).")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@json_option
def migrate_command(to: str, artifacts: str | None, source: str | None, source_artifacts: str | None,
                    quiet: bool, as_json: bool) -> None:
    """Copy every model (verifying its files' sha256 after the copy), its evaluations, every project's
    deployments, history and staged rollouts (with their observations), and the monitoring settings and logged
    documents to another backend, reading each back. Idempotent: run it again after an interruption. Then point
    `nerspec.settings.yaml` (or NERSPEC_STATE / NERSPEC_ARTIFACTS) at the new backend.

    \b
    Example:
      PGPASSWORD=... AWS_ENDPOINT_URL=... nerspec state migrate \\
          --to postgresql://nerspec@db.internal:5432/nerspec --artifacts s3://models/nerspec
    """
    from pathlib import Path

    from nerspec.migrate_state import migrate_state
    from nerspec.paths import StatePaths, is_url, state_paths

    if not to.strip():  # Path("") is the working directory: a state would appear wherever the command ran
        raise click.BadParameter("is empty; name a directory or a postgresql:// URL", param_hint="'--to'")
    origin = state_paths(source, artifacts=source_artifacts)
    if is_url(to):
        target = StatePaths(origin.root, state_url=to, artifacts_url=artifacts)
    else:
        target = StatePaths(Path(to).resolve(), artifacts_url=artifacts and (artifacts if is_url(artifacts)
                                                                             else str(Path(artifacts).resolve())))
    say = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    report = migrate_state(origin, target, say)
    if as_json:
        from dataclasses import asdict

        echo_json({"from": origin.describe(), "to": target.describe(), **asdict(report)})
        return
    click.echo(
        f"migrated {origin.describe()} -> {target.describe()}: {report.models_copied} model(s) copied, "
        f"{report.models_present} already there, {report.files_verified} file(s) verified; deployments and "
        f"history of {len(report.projects_copied)} project(s) copied, {len(report.projects_present)} already there; "
        f"{report.rollouts_copied} rollout(s) with {report.rollout_observations_copied} observation(s), "
        f"{report.monitoring_settings_copied} monitoring setting(s) and {report.monitoring_documents_copied} logged "
        "document(s) copied"
    )
    for skipped in report.rollouts_skipped:
        click.echo(f"warning: the rollout of {skipped.rollout} was not copied: {skipped.reason}", err=True)


@state_group.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@state_option
def backup_command(file: Path, as_json: bool, state: StateChoice) -> None:
    """Write a consistent copy of the state database to FILE (safe while nerspec runs).

    \b
    Example:
      nerspec state backup backups/state-$(date +%F).db
    """
    from nerspec.state.repair import backup

    size = backup(state.resolve(), file)
    if as_json:
        echo_json({"file": str(file), "bytes": size})
        return
    click.echo(f"backed up the state to {file} ({size} bytes)")


@state_group.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True,
              help="Restore even though the backup is older than later deployments, rollbacks or swaps (undoes them).")
@click.option("--lock-timeout", type=SECONDS, default=0.0, help="Wait this many seconds for the state lock.")
@json_option
@state_option
def restore_command(file: Path, force: bool, lock_timeout: float, as_json: bool, state: StateChoice) -> None:
    """Replace the state database by the backup FILE (the current one is kept beside it).

    Model paths are stored relative to the state directory, so a backup restores into a moved directory too.
    Run `nerspec plan` afterwards: it shows what differs between the restored state and the registry. A backup
    older than what happened since (history it lacks, pointers serving other models) is refused without --force.

    \b
    Example:
      nerspec state restore backups/state.db
    """
    from nerspec.state import lock
    from nerspec.state.repair import restore

    paths = state.resolve()
    with lock.locked(paths.root, "state restore", lock_timeout):
        kept = restore(paths, file, force=force)
    if as_json:
        echo_json({"file": str(file), "previous": str(kept) if kept else None})
        return
    click.echo(f"restored the state from {file}" + (f"; the previous database is kept as {kept}" if kept else ""))


@state_group.command("recover")
@click.option("--force", is_flag=True, help="Rebuild even though the database looks healthy (its history is lost).")
@click.option("--lock-timeout", type=SECONDS, default=0.0, help="Wait this many seconds for the state lock.")
@json_option
@state_option
def recover_command(force: bool, lock_timeout: float, as_json: bool, state: StateChoice) -> None:
    """Rebuild a lost or corrupt state database from the model artifacts and the deployment pointers.

    Models come back from each artifact's meta.json (with fresh file hashes), deployments from the pointers;
    history before the loss cannot be recovered. The damaged database, if any, is kept beside the new one.

    \b
    Example:
      nerspec state recover
    """
    from nerspec.deploy.targets import LocalTarget
    from nerspec.errors import StateError
    from nerspec.fingerprints.model import recorded_training_inputs
    from nerspec.state import lock, open_store
    from nerspec.state.repair import recover

    paths = state.resolve()
    if not force and paths.db.is_file() and paths.db.stat().st_size:
        try:
            open_store(paths, create=False).close()
        except StateError:
            pass  # damaged: recover it
        else:
            raise StateError(f"{paths.db} is healthy; recovering would replace its history (pass --force to do it)")
    with lock.locked(paths.root, "state recover", lock_timeout):
        result = recover(paths, recorded_training_inputs, {"type": LocalTarget.type})  # registry pointers: local
    if as_json:
        echo_json({"database": str(paths.db), "models": result.models, "deployments": result.deployments,
                   "skipped": result.skipped, "kept": str(result.kept) if result.kept else None})
        return
    click.echo(f"recovered {result.models} model(s) and {result.deployments} deployment(s) into {paths.db}")
    for line in result.skipped:
        click.echo(f"skipped {line}")
    if result.kept:
        click.echo(f"the damaged database is kept as {result.kept}")
    click.echo("history before the loss is not recoverable; run `nerspec plan` to check the result")


COMMANDS: list[click.Command] = [state_group]
