"""Options and helpers shared by command modules (light imports only)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
state_option = click.option(
    "--state",
    "state",
    type=click.Path(path_type=Path),
    envvar="NERSPEC_STATE",
    default=None,
    help="State directory (default: .nerspec/ at the repository root; env NERSPEC_STATE).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON only (for scripts and CI).")


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))


def is_terminal() -> bool:
    return sys.stdout.isatty()
