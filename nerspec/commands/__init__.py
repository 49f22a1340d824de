"""Command modules, one per area; each exposes ``COMMANDS``. Keep their module-level imports light."""

from __future__ import annotations

import click

from nerspec.commands import (
    data,
    deploy,
    evaluate,
    extract,
    gc,
    label,
    model,
    monitor,
    project,
    reconcile,
    report,
    serve,
    state,  # noqa: F401 (imported for its side effect: adds backup/restore/recover to the `state` group)
    state_migrate,
)

COMMANDS: list[click.Command] = [
    *project.COMMANDS,
    *data.COMMANDS,
    *model.COMMANDS,
    *evaluate.COMMANDS,
    *reconcile.COMMANDS,
    *deploy.COMMANDS,
    *report.COMMANDS,
    *serve.COMMANDS,
    *gc.COMMANDS,
    *label.COMMANDS,
    *state_migrate.COMMANDS,  # the `state` group; nerspec.commands.state adds backup/restore/recover to it
    *extract.COMMANDS,
    *monitor.COMMANDS,
]
