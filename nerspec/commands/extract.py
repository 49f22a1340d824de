"""``nerspec extract``: a thin layer over ``nerspec.extract``.

Progress (documents, docs/s, ETA) is reported by the core through ``nerspec.progress``, on the reporter that
``nerspec.cli`` installs for every command; ``--quiet`` (or ``--json``) replaces it with a silent one.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click

from nerspec.commands.common import echo_json, json_option, state_option
from nerspec.extract.engines import ENGINES
from nerspec.paths import StateChoice


@click.command("extract")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--deployment", default="production", show_default=True, help="Deployment whose model to use.")
@click.option("--input", "input_spec", required=True, metavar="GLOB_OR_DIR",
              help="jsonl ({\"id\", \"text\"}), .txt files (id: relative path) or Parquet; a directory, glob or file.")
@click.option("--output", "output_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Directory for one output per partition, errors files and _summary.json.")
@click.option("--engine", type=click.Choice(list(ENGINES)), default="local", show_default=True,
              help="local: every core of this machine; ray: a Ray cluster (pip install 'nerspec[ray]').")
@click.option("--partition-size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Documents per partition (the unit of output files and of resume).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes (local) or Ray actors (ray), each loading the model once [default: every CPU].")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True,
              help="Documents per model call (spaCy `nlp.pipe` batch) in every worker.")
@click.option("--string-index-type", type=click.Choice(["UnicodeCodePoint", "Utf16CodeUnit", "TextElement_v8"]),
              default="UnicodeCodePoint", show_default=True, help="Unit of entity offsets, as the API's parameter.")
@click.option("--text-column", default="text", show_default=True, help="Parquet column with the text.")
@click.option("--id-column", default="id", show_default=True, help="Parquet column with the document id.")
@click.option("--max-chars", type=click.IntRange(min=1), default=125_000, show_default=True,
              help="Longer documents go to the errors file (the API's per-document limit).")
@click.option("--beam-width", type=click.IntRange(min=1, max=64), default=None,
              help="NER beam for confidence scores [default: as `nerspec predict`; another width than the "
                   "calibration's gives raw, uncalibrated scores].")
@click.option("--ray-address", default=None, metavar="auto|ray://HOST:PORT",
              help="Ray cluster to join (default: $RAY_ADDRESS, else a local Ray instance).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@json_option
@state_option
def extract_command(path: Path, deployment: str, input_spec: str, output_dir: Path, engine: str,
                    partition_size: int, workers: int | None, batch_size: int, string_index_type: str,
                    text_column: str, id_column: str, max_chars: int, beam_width: int | None,
                    ray_address: str | None, quiet: bool, as_json: bool, state: StateChoice) -> None:
    """Run a deployed model over a corpus: partitioned, resumable, on every core or on Ray.

    PATH is a project directory or manifest (its DEPLOYMENT's model is used) or a model artifact.
    Each partition's output is written atomically with the model fingerprint in every record; a
    rerun skips partitions finished with the same model and settings. Bad records go to
    <partition>.errors.jsonl and never stop the job.

    \b
    Examples:
      nerspec extract projects/example --input archive/ --output entities/
      nerspec extract projects/example --input 'dumps/*.parquet' --text-column body --output out/ --engine ray
    """
    from nerspec import progress
    from nerspec.extract.run import extract

    quiet = quiet or bool(click.get_current_context().find_root().params.get("quiet"))  # `nerspec --quiet extract`
    with progress.use(progress.NullReporter()) if quiet or as_json else nullcontext():
        summary = extract(
            path, input=input_spec, output=output_dir, deployment=deployment, state=state, engine=engine,
            partition_size=partition_size, workers=workers, batch_size=batch_size,
            string_index_type=string_index_type, text_column=text_column, id_column=id_column,
            max_chars=max_chars, beam_width=beam_width, ray_address=ray_address,
        )
    if as_json:
        echo_json(summary.to_json())
        return
    for note in summary.notes:
        click.echo(f"warning: {note}", err=True)
    if not quiet:
        click.echo(
            f"{summary.project}: {summary.documents} records, {summary.errors} errors in {summary.partitions} "
            f"partitions ({summary.partitions_skipped} already done) with model {summary.fingerprint}\n"
            f"  {summary.documents_run} documents in {summary.seconds:.1f}s ({summary.documents_per_second:,.0f} "
            f"docs/s) -> {output_dir}"
        )


COMMANDS: list[click.Command] = [extract_command]
