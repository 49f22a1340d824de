"""``nerspec train`` and ``nerspec predict``: thin layers over ``nerspec.train`` and ``nerspec.predict``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from nerspec import safeio
from nerspec.commands.common import echo_json, json_option, state_option
from nerspec.errors import DataError, NerspecError, Problem
from nerspec.paths import StateChoice
from nerspec.predictions import Prediction, to_json

if TYPE_CHECKING:
    from nerspec.predict import Predictor
    from nerspec.serve.documents import WarningJSON


def _clock(seconds: float | None) -> str:
    from nerspec.progress import clock

    return clock(seconds)


@click.command("train")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Artifact store to write into (default: <state>/models); the model lands in DIR/<fingerprint>/.",
)
@click.option("--force", is_flag=True, help="Train even when a model with the same fingerprint already exists.")
@json_option
@state_option
def train_command(path: Path, output_dir: Path | None, force: bool, as_json: bool, state: StateChoice) -> None:
    """Train the model of a project (or of every project under a repository root).

    The spaCy pipeline is generated from the manifest (or `training.config`), trained on the train
    split with early stopping on a dev carve of it, and written as an immutable artifact named by
    its fingerprint. An artifact with the same fingerprint is reused unless --force.
    Ctrl-C stops cleanly (exit 130) and leaves no partial artifact.

    \b
    Examples:
      nerspec train projects/example
      nerspec train projects/example --json -o /tmp/models
    """
    from nerspec.apply import check_data
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_projects
    from nerspec.strict_json import float_of
    from nerspec.train import artifact_path, fingerprint_of, is_complete, read_artifact, train

    results: list[dict[str, object]] = []
    from nerspec.corpus.split_record import with_recorded_split

    for loaded in load_projects([path]):
        paths = state.resolve(loaded.dir)
        project = with_recorded_split(loaded, paths)  # stratified: the sides apply recorded
        fingerprint = fingerprint_of(project, paths)
        final = artifact_path(paths, fingerprint, output_dir)
        reused = not force and is_complete(final)
        if reused:
            model = read_artifact(final)
        else:
            corpus = load_corpus(project, paths.sources)
            split = split_corpus(project, corpus)
            # The same blocking checks as apply: a DataError (exit 1) names every error; warnings do not block.
            check_data(project, corpus, split)
            # Progress (step, loss, dev score, ETA) goes to the reporter nerspec.cli installed, on stderr.
            model = train(project, corpus, split, paths=paths, output_dir=output_dir, fingerprint=fingerprint)
        metrics, seconds = model.metrics, model.meta.training_seconds
        results.append({
            "project": project.name,
            "kind": project.kind,
            "fingerprint": model.fingerprint,
            "path": str(model.path),
            "reused": reused,
            "training_seconds": seconds,
            "score": metrics.get("score"),
            "best_step": metrics.get("best_step"),
            "steps": metrics.get("steps"),
            "dev": metrics.get("dev"),
        })
        if not as_json:
            verb = "up to date" if reused else f"trained in {_clock(seconds if isinstance(seconds, (int, float)) else None)}"
            click.echo(
                f"{project.name}: {verb}; dev score {float_of(metrics.get('score') or 0):.3f} "
                f"(weights of step {metrics.get('best_step')} of {metrics.get('steps')})\n  model {model.path}"
            )
    if as_json:
        echo_json({"models": results})


def _input_kind(path: Path, fmt: str) -> bool:
    """True when the input is jsonl."""
    if fmt != "auto":
        return fmt == "jsonl"
    return path.suffix.lower() in (".jsonl", ".ndjson")


def _chunks(records: Iterator[tuple[str, str, str | None]], size: int) -> Iterator[list[tuple[str, str, str | None]]]:
    chunk: list[tuple[str, str, str | None]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _human(result: Prediction, spans: bool) -> str:
    if not result:
        return "  (no entities)" if spans else "  (no class)"
    lines = []
    for item in result:
        if spans:
            lines.append(
                f"  {item.category:<16} {json.dumps(item.text, ensure_ascii=False):<30} "
                f"offset {item.offset}, length {item.length}  confidence {item.confidence:.3f}"
            )
        else:
            lines.append(f"  {item.category:<24} confidence {item.confidence:.3f}")
    return "\n".join(lines)


@click.command("predict")
@click.argument("args", nargs=-1, metavar="PATH [TEXT]")
@click.option("--deployment", default="production", show_default=True, help="Deployment whose model to use.")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Use this model artifact directly.")
@click.option(
    "-f",
    "--file",
    "input_file",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Texts to analyze: .txt (one per line) or .jsonl ({\"id\", \"text\", \"language\"?}); `-` reads stdin.",
)
@click.option("--language", default=None, help="Language of the texts (e.g. de); jsonl records may set their own.")
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["auto", "text", "jsonl"]),
    default="auto",
    show_default=True,
    help="Input format of -f (auto: by file extension).",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option(
    "--beam-width",
    type=click.IntRange(min=1, max=64),  # `serve --confidence-beam`'s bound
    default=None,
    help="NER confidence scores from a beam of this width (entities never change; default: the scores the "
    "model's calibration was fitted on, the greedy parser's action probabilities for new models; another width "
    "gives raw, uncalibrated scores, with a warning).",
)
@click.option(
    "--string-index-type",
    type=click.Choice(["UnicodeCodePoint", "Utf16CodeUnit", "TextElement_v8"]),
    default="UnicodeCodePoint",
    show_default=True,
    help="Unit of entity offsets and lengths, as the API's parameter (`nerspec extract` has the same option).",
)
@json_option
@state_option
def predict_command(
    args: tuple[str, ...],
    deployment: str,
    model_dir: Path | None,
    input_file: Path | None,
    input_format: str,
    batch_size: int,
    beam_width: int | None,
    string_index_type: str,
    as_json: bool,
    state: StateChoice,
    language: str | None = None,
) -> None:
    """Extract entities (NER) or classes (classification) with a deployed or given model.

    PATH is a project directory or manifest (its DEPLOYMENT's model is used) or a model artifact.
    jsonl in gives jsonl out ({"id", "entities"} or {"id", "classes"} per line), streamed, with a
    progress bar on stderr for files. Confidence scores are probabilities (see `nerspec.predict`).

    \b
    Examples:
      nerspec predict projects/example "Alice flew to Paris on Monday."
      nerspec predict projects/example --deployment production -f inbox.jsonl > entities.jsonl
      nerspec predict --model .nerspec/models/<fingerprint> -f notes.txt --json
    """
    from nerspec.kinds import kind_of
    from nerspec.predict import load

    target, text, input_file = _what_to_predict(args, model_dir, input_file)
    loaded = load(target, deployment=deployment, state=state, beam_width=beam_width)
    for note in loaded.notes:
        click.echo(f"warning: {note}", err=True)
    predictor: Predictor | _InUnits = loaded
    spans = kind_of(predictor.kind).annotates_spans
    if string_index_type != "UnicodeCodePoint" and spans:
        predictor = _InUnits(loaded, string_index_type)
    key = predictor.result_key
    if text is not None:
        (result,) = predictor.predict([text], languages=[language])
        warnings = _language_warnings(predictor, language)
        if as_json:
            echo_json({"text": text, key: to_json(result), "modelFingerprint": predictor.fingerprint,
                       **({"warnings": warnings} if warnings else {})})
        else:
            for warning in warnings:
                click.echo(f"warning: {warning['message']}", err=True)
            click.echo(_human(result, spans))
        return
    assert input_file is not None
    _predict_file(predictor, input_file, input_format, batch_size, as_json, key, language)


def _what_to_predict(
    args: tuple[str, ...], model_dir: Path | None, input_file: Path | None
) -> tuple[Path, str | None, Path | None]:
    """(model or project, TEXT, input file) from the arguments; stdin (``-``) when neither TEXT nor FILE is given."""
    text: str | None = None
    if model_dir is not None:
        if len(args) > 2:
            raise click.UsageError("expected at most PATH and TEXT")
        if len(args) == 2 or (len(args) == 1 and input_file is None):
            text = args[-1]
        target: Path = model_dir
    else:
        if not args:
            raise click.UsageError("give a project PATH (or --model DIR)")
        if len(args) > 2:
            raise click.UsageError("expected PATH [TEXT]; quote a TEXT with spaces")
        target = Path(args[0])
        text = args[1] if len(args) == 2 else None
    if text is not None and input_file is not None:
        raise click.UsageError("give either TEXT or -f FILE, not both")
    if text is None and input_file is None:
        if sys.stdin.isatty():
            raise click.UsageError("give a TEXT, -f FILE, or pipe texts into stdin")
        input_file = Path("-")
    return target, text, input_file


def _language_warnings(predictor: Predictor | _InUnits, language: str | None) -> list[WarningJSON]:
    """The serve API's per-document warning for a language the model was not trained for."""
    if language is None or predictor.covers(language):
        return []
    from nerspec.serve.limits import language_warning

    return [language_warning(language, predictor.languages)]


def _predict_file(
    predictor: Predictor | _InUnits, input_file: Path, input_format: str, batch_size: int, as_json: bool, key: str,
    language: str | None = None,
) -> None:
    from nerspec import progress
    from nerspec.kinds import kind_of
    from nerspec.prediction_inputs import read_records

    spans = kind_of(predictor.kind).annotates_spans
    is_stdin = str(input_file) == "-"
    jsonl = _input_kind(input_file, input_format) if not is_stdin else input_format == "jsonl"
    # A FIFO or /dev/zero is refused (safeio), never read until it ends.
    handle: IO[str] = sys.stdin if is_stdin else os.fdopen(_open_regular(input_file), encoding="utf-8")
    size = None if is_stdin else os.fstat(handle.fileno()).st_size
    out = sys.stdout
    try:
        # The reporter nerspec.cli installed: a live line on a terminal, periodic lines in CI, none with --quiet.
        with progress.task(f"predict {input_file} (bytes)" if not is_stdin else "predict stdin (bytes)", size) as bar:
            consumed = _ByteCounter(handle)
            for chunk in _chunks(read_records(consumed, jsonl, language), batch_size * 4):
                results = predictor.pipe([t for _, t, _ in chunk], batch_size=batch_size,
                                         languages=[lang for _, _, lang in chunk])
                for (doc_id, doc_text, doc_language), result in zip(chunk, results):
                    warnings = _language_warnings(predictor, doc_language)
                    if jsonl or as_json:
                        record: dict[str, object] = {"id": doc_id, key: to_json(result)}
                        if warnings:
                            record["warnings"] = warnings
                        if not jsonl:
                            record["text"] = doc_text
                        out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    else:
                        shown = doc_text if len(doc_text) <= 80 else doc_text[:77] + "..."
                        out.write(f"{shown}\n{_human(result, spans)}\n")
                out.flush()
                bar.update(advance=consumed.take())
    except UnicodeDecodeError as exc:
        raise DataError([_not_utf8(input_file, is_stdin, exc)]) from None
    finally:
        if not is_stdin:
            handle.close()


def _open_regular(path: Path) -> int:
    try:
        return safeio.open_regular(path)
    except safeio.NotRegularFile as exc:
        raise NerspecError(str(exc)) from None


def _not_utf8(input_file: Path, is_stdin: bool, exc: UnicodeDecodeError) -> Problem:
    """Where the first byte that is not UTF-8 is (a text stream decodes ahead of the lines it yields)."""
    if is_stdin:
        return Problem("<stdin>", 0, 0, "", f"not valid UTF-8: {exc.reason}")
    offset = 0
    with os.fdopen(safeio.open_regular(input_file), "rb") as raw:
        for number, line in enumerate(raw, start=1):  # a newline is never inside a UTF-8 sequence
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as bad:
                return Problem(str(input_file), number, bad.start + 1, "",
                               f"not valid UTF-8 at byte offset {offset + bad.start}: {bad.reason}")
            offset += len(line)
    return Problem(str(input_file), 0, 0, "", f"not valid UTF-8: {exc.reason}")


class _InUnits:
    """A predictor whose entity offsets are counted in another string index type (as the API converts them)."""

    def __init__(self, predictor: Predictor, unit: str) -> None:
        self.predictor, self.unit = predictor, unit
        self.kind, self.fingerprint, self.languages = predictor.kind, predictor.fingerprint, predictor.languages

    @property
    def result_key(self) -> str:
        return self.predictor.result_key

    def covers(self, language: str | None) -> bool:
        return self.predictor.covers(language)

    def predict(self, texts: list[str], languages: list[str | None] | None = None) -> list[Prediction]:
        return list(self.pipe(texts, languages=languages))

    def pipe(self, texts: list[str], batch_size: int = 64,
             languages: list[str | None] | None = None) -> Iterator[Prediction]:
        from nerspec.serve.units import convert_entities

        results = self.predictor.pipe(texts, batch_size=batch_size, languages=languages)
        for text, result in zip(texts, results):
            yield convert_entities(text, result, self.unit)


class _ByteCounter:
    """Iterates lines and counts bytes read (for a progress bar by file size without a pre-pass)."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.pending = 0

    def __iter__(self) -> Iterator[str]:
        for number, line in enumerate(self.handle, start=1):
            try:
                self.pending += len(line.encode("utf-8")) if not line.isascii() else len(line)
            except UnicodeEncodeError as exc:  # stdin decodes a byte that is not UTF-8 to a lone surrogate
                raise DataError([Problem("<stdin>", number, exc.start + 1, "", "not valid UTF-8")]) from None
            yield line

    def take(self) -> int:
        pending, self.pending = self.pending, 0
        return pending


COMMANDS: list[click.Command] = [train_command, predict_command]
