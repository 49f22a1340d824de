"""Options and helpers shared by command modules (light imports only)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from nerspec.paths import StateChoice

R = TypeVar("R")

paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
_state_flag = click.option(
    "--state",
    "state",
    type=str,
    envvar="NERSPEC_STATE",
    default=None,
    help="State directory or postgresql://user@host:port/db (default: nerspec.settings.yaml, else .nerspec/ at "
    "the repository root; env NERSPEC_STATE).",
)


_artifacts_flag = click.option(
    "--artifacts",
    type=str,
    default=None,
    help="Artifact store: a directory or s3://bucket/prefix (default: nerspec.settings.yaml, else <state>/models; "
    "env NERSPEC_ARTIFACTS).",
)


def state_option(function: Callable[..., R]) -> Callable[..., R]:
    """``--state URL`` and ``--artifacts URL``, handed to the command as one ``state: StateChoice`` (the command
    resolves it once: ``state.resolve()``)."""

    @functools.wraps(function)
    def with_state(*args: object, state: str | None, artifacts: str | None, **kwargs: object) -> R:
        return function(*args, state=StateChoice(state, artifacts), **kwargs)

    return _state_flag(_artifacts_flag(with_state))
class _Seconds(click.ParamType):
    """A wait in seconds: 0 or more (``inf`` waits as long as it takes); ``nan`` and negative waits are mistakes."""

    name = "seconds"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not seconds >= 0:  # also refuses nan, which compares false with everything
            self.fail(f"{value!r} is not a number of seconds, 0 or more", param, ctx)
        return seconds


SECONDS = _Seconds()


class _Probability(click.FloatRange):
    """A number from 0 to 1. ``nan`` passes ``FloatRange`` (it compares false with both bounds) and would make
    every comparison with it false: no finding, or every label decided against."""

    name = "probability"

    def __init__(self) -> None:
        super().__init__(0.0, 1.0)

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        number = super().convert(value, param, ctx)  # type: ignore[arg-type]  # click passes the raw value
        if number != number:
            self.fail(f"{value!r} is not a number from 0 to 1", param, ctx)
        return float(number)


PROBABILITY = _Probability()
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON only (for scripts and CI).")


def echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))


def is_terminal() -> bool:
    return sys.stdout.isatty()


def non_empty_path(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """A path option's value as a ``Path`` (None when not given); empty is refused (``Path("")`` is the working
    directory, where the files landed)."""
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter("is empty; name where to write")
    return Path(value)
