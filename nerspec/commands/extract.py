"""``nerspec extract``: a thin layer over ``nerspec.extract`` (progress shown here, never in core)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO, Any

import click

from nerspec.commands.common import echo_json, json_option, state_option

PLAIN_INTERVAL_S = 10.0


class ExtractProgress:
    """Documents, documents/s and ETA: a live rich bar on a terminal, a plain line every 10 s otherwise.

    The one place extraction progress is drawn; swap the body for ``nerspec.progress`` when it exists.
    """

    def __init__(self, stream: IO[str] | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: Any = None
        self._task: Any = None
        self._total = 0
        self._done = 0
        self._resumed = 0
        self._started = time.monotonic()
        self._last_line = self._started

    def start(self, total_documents: int, done_documents: int) -> None:
        self._total, self._done, self._resumed = total_documents, done_documents, done_documents
        self._started = self._last_line = time.monotonic()
        if self.quiet:
            return
        if done_documents:
            self._write(f"resuming: {done_documents} documents already extracted")
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("extracting"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} docs/s"), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("extract", total=total_documents, completed=done_documents, rate="-")

    def documents(self, count: int) -> None:
        self._done += count
        if self.quiet:
            return
        rate = self._rate()
        if self._bar is not None:
            self._bar.update(self._task, completed=self._done, rate=f"{rate:,.0f}")
        elif time.monotonic() - self._last_line >= PLAIN_INTERVAL_S:
            self._last_line = time.monotonic()
            self._write(self._line(rate))

    def partition(self, result: Any) -> None:
        return None

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _rate(self) -> float:
        elapsed = time.monotonic() - self._started
        return (self._done - self._resumed) / elapsed if elapsed > 0 else 0.0

    def _line(self, rate: float) -> str:
        left = self._total - self._done
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        return f"extracting: {self._done}/{self._total} documents, {rate:,.0f} docs/s, ETA {eta}"

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


@click.command("extract")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--deployment", default="production", show_default=True, help="Deployment whose model to use.")
@click.option("--input", "input_spec", required=True, metavar="GLOB_OR_DIR",
              help="jsonl ({\"id\", \"text\"}), .txt files (id: relative path) or Parquet; a directory, glob or file.")
@click.option("--output", "output_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Directory for one output per partition, errors files and _summary.json.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: every core of this machine; ray: a Ray cluster (pip install 'nerspec[ray]').")
@click.option("--partition-size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Documents per partition (the unit of output files and of resume).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes (local) or Ray actors (ray), each loading the model once [default: every CPU].")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--string-index-type", type=click.Choice(["UnicodeCodePoint", "Utf16CodeUnit", "TextElement_v8"]),
              default="UnicodeCodePoint", show_default=True, help="Unit of entity offsets, as the API's parameter.")
@click.option("--text-column", default="text", show_default=True, help="Parquet column with the text.")
@click.option("--id-column", default="id", show_default=True, help="Parquet column with the document id.")
@click.option("--max-chars", type=click.IntRange(min=1), default=125_000, show_default=True,
              help="Longer documents go to the errors file (the API's per-document limit).")
@click.option("--beam-width", type=click.IntRange(min=1), default=None,
              help="NER beam for confidence scores [default: as `nerspec predict`]; 1 is fastest.")
@click.option("--ray-address", default=None, metavar="auto|ray://HOST:PORT",
              help="Ray cluster to join (default: $RAY_ADDRESS, else a local Ray instance).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@json_option
@state_option
def extract_command(path: Path, deployment: str, input_spec: str, output_dir: Path, engine: str,
                    partition_size: int, workers: int | None, batch_size: int, string_index_type: str,
                    text_column: str, id_column: str, max_chars: int, beam_width: int | None,
                    ray_address: str | None, quiet: bool, as_json: bool, state: Path | None) -> None:
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
    from nerspec.extract.run import extract

    quiet = quiet or bool(click.get_current_context().find_root().params.get("quiet"))  # `nerspec --quiet extract`
    progress = ExtractProgress(quiet=quiet or as_json)
    try:
        summary = extract(
            path, input=input_spec, output=output_dir, deployment=deployment, state=state, engine=engine,
            partition_size=partition_size, workers=workers, batch_size=batch_size,
            string_index_type=string_index_type, text_column=text_column, id_column=id_column,
            max_chars=max_chars, beam_width=beam_width, ray_address=ray_address, observer=progress,
        )
    finally:
        progress.close()
    if as_json:
        echo_json(summary.to_json())
        return
    if not quiet:
        click.echo(
            f"{summary.project}: {summary.documents} records, {summary.errors} errors in {summary.partitions} "
            f"partitions ({summary.partitions_skipped} already done) with model {summary.fingerprint}\n"
            f"  {summary.documents_run} documents in {summary.seconds:.1f}s ({summary.documents_per_second:,.0f} "
            f"docs/s) -> {output_dir}"
        )


COMMANDS: list[click.Command] = [extract_command]
