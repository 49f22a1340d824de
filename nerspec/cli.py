"""The ``nerspec`` command line: a thin layer over the core library.

Commands live in ``nerspec/commands/`` (one module per area) and import heavy libraries (spaCy,
FastAPI) only inside the command bodies, so ``validate``, ``plan`` and ``--help`` start fast.
This module is the one place that maps exceptions to exit codes.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from nerspec.errors import EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED, NerspecError, ProblemsError
from nerspec.escape import terminal
from nerspec.redact import redact
from nerspec.version import __version__

# The packages of pyproject.toml's optional extras, imported only by the commands that need them.
OPTIONAL_PACKAGES = {"fastapi": "serve", "uvicorn": "serve", "psycopg": "team", "boto3": "team", "botocore": "team",
                     "ray": "ray", "pyarrow": "parquet"}


class NerspecGroup(click.Group):
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **kwargs: object,
    ) -> Any:  # click's own annotation (an overload per standalone_mode)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **kwargs)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            # Click exits 2 on usage errors; here 2 means "changes pending" (plan --detailed-exitcode),
            # so a mistyped option in CI must not read as pending changes: bad input is 1.
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ProblemsError as exc:
            for problem in exc.problems:
                click.echo(redact(terminal(problem)), err=True)  # data's control characters shown, not run
            summary = exc.summary or f"{len(exc.problems)} error{'s' if len(exc.problems) != 1 else ''}"
            click.secho(f"error: {summary}", fg="red", err=True)
            ctx.exit(exc.exit_code)
        except NerspecError as exc:
            click.secho(f"error: {redact(str(exc))}", fg="red", err=True)  # no message may leak a URL's password
            ctx.exit(exc.exit_code)
        except OSError as exc:
            if exc.filename is None:  # not about a path: a bug
                _bug(ctx)
            # A file that is missing, a directory that cannot be created, a path below a regular file: the
            # user's environment, not a bug. Name the path and what went wrong.
            click.secho(f"error: {redact(_os_error_message(exc))}", fg="red", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ModuleNotFoundError as exc:
            extra = OPTIONAL_PACKAGES.get((exc.name or "").split(".")[0])
            if extra is None:
                _bug(ctx)
            # An optional extra that was not installed (`make demo` installs `serve` only): the user's set-up.
            click.secho(f"error: {exc.name} is not installed; it comes with nerspec's `{extra}` extra: "
                        f"pip install 'nerspec[{extra}]' (in this repository: pip install -e '.[{extra}]')",
                        fg="red", err=True)
            ctx.exit(EXIT_ERROR)
        except Exception:  # a bug in nerspec, not a user mistake: the only case with a traceback
            _bug(ctx)


def _bug(ctx: click.Context) -> NoReturn:
    click.echo(redact(traceback.format_exc()), err=True, nl=False)
    click.secho("internal error: this is a bug in nerspec; please report it with the traceback above", fg="red",
                err=True)
    ctx.exit(EXIT_INTERNAL)


def _os_error_message(exc: OSError) -> str:
    """``PATH: No such file or directory`` (and the second path of a failed rename or link)."""
    where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 else "")
    reason = exc.strerror or (str(exc.args[0]) if exc.args else type(exc).__name__)  # safeio.NotRegularFile: its words
    return f"{where}: {reason}"


@click.group(cls=NerspecGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="nerspec")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines (training, evaluation, loading, downloads).")
@click.pass_context
def cli(ctx: click.Context, quiet: bool) -> None:
    """Custom NER and text classification projects as versioned YAML manifests.

    \b
    Typical flow:
      nerspec validate projects/example      check manifest and labeled data
      nerspec plan                           what would change (like terraform plan)
      nerspec apply                          train what changed, evaluate, gate, deploy
      nerspec report -o report.md            the evaluation report for review
    """
    from nerspec import progress

    # Progress goes to stderr (stdout stays parseable for --json): live lines on a terminal, a line every 30 s
    # otherwise, nothing with --quiet. Core code reports to whatever is installed here.
    ctx.with_resource(progress.use(progress.reporter_for(quiet=quiet)))


def _register() -> None:
    from nerspec.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_register()


def main() -> None:
    from nerspec.fingerprints.verdict import answer

    if answer(sys.argv[1:]):  # a repeated no-op `plan`, from its cached verdict (``python -m nerspec`` asked first)
        return
    cli.main(prog_name="nerspec")


if __name__ == "__main__":  # pragma: no cover
    main()
