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
    state,
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
    *state.COMMANDS,
    *extract.COMMANDS,
    *monitor.COMMANDS,
]
