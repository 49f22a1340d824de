"""``nerspec state migrate``: move the recorded state and its models to another backend."""

from __future__ import annotations

import click


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
def migrate_command(to: str, artifacts: str | None, source: str | None, source_artifacts: str | None,
                    quiet: bool) -> None:
    """Copy every model (verifying its files' sha256 after the copy), its evaluations, and every project's
    deployments and history to another backend. Idempotent: run it again after an interruption. Then point
    `nerspec.settings.yaml` (or NERSPEC_STATE / NERSPEC_ARTIFACTS) at the new backend.

    \b
    Example:
      PGPASSWORD=... AWS_ENDPOINT_URL=... nerspec state migrate \\
          --to postgresql://nerspec@db.internal:5432/nerspec --artifacts s3://models/nerspec
    """
    from pathlib import Path

    from nerspec.paths import StatePaths, is_url, state_paths
    from nerspec.state.migrate import migrate_state

    origin = state_paths(source, artifacts=source_artifacts)
    if is_url(to):
        target = StatePaths(origin.root, state_url=to, artifacts_url=artifacts)
    else:
        target = StatePaths(Path(to).resolve(), artifacts_url=artifacts and (artifacts if is_url(artifacts)
                                                                             else str(Path(artifacts).resolve())))
    say = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    report = migrate_state(origin, target, say)
    click.echo(
        f"migrated {origin.describe()} -> {target.describe()}: {report.models_copied} model(s) copied, "
        f"{report.models_present} already there, {report.files_verified} file(s) verified; deployments and "
        f"history of {len(report.projects_copied)} project(s) copied, {len(report.projects_present)} already there"
    )


COMMANDS: list[click.Command] = [state_group]
