"""`nerspec schema`: the manifest JSON Schema, generated from the pydantic models."""

from __future__ import annotations

from pathlib import Path

import click

from nerspec.errors import NerspecError


@click.command()
@click.option("--check", is_flag=True, help="Fail (exit 1) when the committed schema is stale instead of writing it.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write (default: schemas/nerspec.v1.schema.json in the repository).",
)
def schema(check: bool, output: Path | None) -> None:
    """Write (or --check) the manifest JSON Schema.

    \b
    Example:
      nerspec schema --check     # in CI: is schemas/ up to date?
    """
    from nerspec import settings
    from nerspec.manifest.load import SCHEMA_FILE
    from nerspec.manifest.schema_file import render_schema
    from nerspec.paths import repository_root

    # Without -o: the manifest schema and the settings-file schema (nerspec.settings.yaml), both generated, in the
    # schemas/ folder of the repository you run in (nerspec's own, or one that keeps projects and commits the
    # schemas its manifests' `$schema` lines point at).
    schemas = repository_root() / "schemas"
    outputs = [(output, render_schema())] if output else [
        (schemas / SCHEMA_FILE.name, render_schema()), (schemas / settings.SCHEMA_FILE.name, settings.render_schema())]
    for target, text in outputs:
        if check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                raise NerspecError(f"{target} is stale; run `nerspec schema` and commit the result")
            click.echo(f"{target} is up to date")
            continue
        from nerspec.atomic import write_text

        write_text(target, text)
        click.echo(f"wrote {target}")


COMMANDS: list[click.Command] = [schema]
