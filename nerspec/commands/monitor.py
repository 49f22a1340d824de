"""``nerspec monitor``: drift and label-free precision of a monitored deployment (core: ``nerspec.monitor``)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from nerspec.commands.common import echo_json, json_option, state_option
from nerspec.paths import StateChoice

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")


def parse_since(value: str) -> float:
    """``24h``, ``7d``, ``30m``, ``90s`` ago, or an ISO 8601 time (UTC when it has no offset)."""
    import time
    from datetime import UTC, datetime

    relative = _RELATIVE.match(value.strip())
    if relative:
        seconds = float(relative.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[relative.group(2)]
        return time.time() - seconds
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected 24h, 7d, 30m or an ISO 8601 time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@click.command("monitor")
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@click.option("--deployment", required=True, help="A deployment whose manifest entry has a `monitoring` block.")
@click.option("--last", type=click.IntRange(min=1, max=1_000_000_000), default=None, help="The last N logged documents (default 10,000).")
@click.option("--since", default=None, metavar="TIME", help="Documents logged since TIME: 24h, 7d, or ISO 8601.")
@state_option
@json_option
def monitor_command(path: Path, deployment: str, last: int | None, since: str | None, state: StateChoice,
                    as_json: bool) -> None:
    """Drift of the deployment's logged traffic against its model's test split, and precision estimated without
    labels from the calibrated confidences. Exit 3 when a `monitoring.alert` threshold is crossed.

    \b
    Example (a scheduled CI job opens an issue on exit 3):
      nerspec monitor projects/example --deployment production --since 24h
    """
    from nerspec.manifest.load import load_project
    from nerspec.monitor.run import AlertRaised, monitor
    from nerspec.monitor.text import lines

    if last is not None and since is not None:
        raise click.UsageError("pass --last or --since, not both")
    project = load_project(path)
    result = monitor(project, deployment, state.resolve(), last=last,
                     since=parse_since(since) if since is not None else None)
    if as_json:
        echo_json(result.to_json())
    else:
        for line in lines(result):
            click.echo(line)
    if result.alerts:
        raise AlertRaised(f"{len(result.alerts)} monitoring alert(s): " + "; ".join(result.alerts))


COMMANDS: list[click.Command] = [monitor_command]
