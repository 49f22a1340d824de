"""``nerspec label next`` and ``nerspec label suggest``: the labeling half of the loop (core: ``nerspec.label``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nerspec.commands.common import PROBABILITY, echo_json, json_option, non_empty_path, state_option
from nerspec.corpus.formats import names
from nerspec.escape import terminal
from nerspec.paths import StateChoice

# The formats pre-labels are written in (the table's `drafts`), Label Studio first as always
_DRAFT_CHOICES = sorted(names("drafts"), key=lambda name: name != "labelstudio")

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from nerspec.label.next import Batch
    from nerspec.manifest.load import LoadedProject
    from nerspec.monitor.pool import ProductionPool
    from nerspec.predict import Predictor

# a click option (or ``state_option``) applied to a command function
Decorator = Callable[[Callable[..., None]], Callable[..., None]]

STRATEGY_HELP = "diverse: uncertainty mixed with new vocabulary, no near-duplicates (default); uncertainty; random."
pool_option = click.option(
    "--pool", default=None, metavar="NAME_OR_FILE",
    help="A declared unlabeled source, a file (jsonl id+text, Label Studio .json, folder of .txt), or a deployment "
    "whose `monitoring` stores texts (its logged production traffic); default: every declared pool.",
)
model_options: list[Decorator] = [
    click.option("--deployment", default="production", show_default=True, help="Deployment whose model to use."),
    click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Use this model artifact instead."),
    state_option,
    click.option("-q", "--quiet", is_flag=True, help="No progress on stderr."),
]


class Progress:
    """Prediction progress on stderr: click's bar on a terminal, a plain line per 10% otherwise (CI logs)."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.label, self.quiet = label, quiet
        self.tty = sys.stderr.isatty()
        self.bar: ProgressBar[int] | None = None
        self.shown = 0
        self.last_tenth = 0

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        if self.tty:
            if self.bar is None:
                self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
                self.bar.__enter__()
            self.bar.update(done - self.shown)
            self.shown = done
            if done >= total:
                self.bar.__exit__(None, None, None)
            return
        tenth = done * 10 // max(total, 1)
        if tenth > self.last_tenth or done == total:
            self.last_tenth = tenth
            click.echo(f"{self.label}: {done}/{total} documents", err=True)


def _with(options: list[Decorator]) -> Decorator:
    def wrap(func: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(options):
            func = option(func)
        return func

    return wrap


def _predictor(path: Path, deployment: str, model_dir: Path | None, state: StateChoice) -> Predictor:
    from nerspec.predict import load

    return load(model_dir or path, deployment=deployment, state=state)


def _production(project: LoadedProject, pool: str | None, state: StateChoice) -> ProductionPool | None:
    """``--pool DEPLOYMENT``: the texts that deployment logged (None for a declared pool or a file)."""
    from nerspec.monitor.pool import is_deployment, production_pool

    return production_pool(project, str(pool), state.resolve()) if is_deployment(project, pool) else None


@click.group()
def label() -> None:
    """Choose what to label next and pre-label it with the model.

    \b
    Examples:
      nerspec label next projects/example -n 20
      nerspec label next projects/example -n 50 -o batch.json      # Label Studio tasks with predictions
      nerspec label suggest projects/example --ids doc-7 doc-9 -o drafts.jsonl
      nerspec label next projects/example -n 20 --pool production   # logged production traffic
      nerspec label review projects/example -o review.json          # likely label errors, fix pre-annotated
    """


@label.command("next")
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@click.option("-n", "count", type=click.IntRange(min=1), default=20, show_default=True, help="How many documents.")
@pool_option
@click.option("--strategy", type=click.Choice(["diverse", "uncertainty", "random"]), default="diverse",
              show_default=True, help=STRATEGY_HELP)
@click.option("--seed", type=int, default=0, show_default=True, help="Breaks ties (and orders `random`).")
@click.option("-o", "--output", type=click.Path(), callback=non_empty_path, default=None,
              help="Also write the batch as drafts: .json = Label Studio tasks with predictions, else nerspec jsonl.")
@click.option("--format", "fmt", type=click.Choice(_DRAFT_CHOICES), default=None, help="Format of -o.")
@_with(model_options)
@json_option
def next_command(
    path: Path, count: int, pool: str | None, strategy: str, seed: int, output: Path | None, fmt: str | None,
    deployment: str, model_dir: Path | None, state: StateChoice, quiet: bool, as_json: bool,
) -> None:
    """The N pool documents whose labels would help the deployed (or --model) model most, with reasons.

    Deterministic for a given model, pool and seed. Documents already labeled (same id or text) are
    never proposed. --json prints {"documents": [{"id", "score", "reasons"}]} in ranked order.

    \b
    Examples:
      nerspec label next projects/example -n 20 --pool pool.jsonl
      nerspec label next projects/example -n 50 --pool pool.jsonl -o batch.json   # Label Studio tasks
      nerspec label next projects/example -n 20 --pool production --json           # logged production traffic
    """
    from nerspec.label.next import next_batch
    from nerspec.manifest.load import load_project

    project = load_project(path)
    batch = next_batch(
        project, count, pool=pool, strategy=strategy, seed=seed,
        predictor=lambda: _predictor(path, deployment, model_dir, state), progress=Progress("predicting the pool", quiet),
        production=_production(project, pool, state), cache_dir=state.resolve().sources,
    )
    if output is not None:
        _write_batch(project, batch, output, fmt, path, deployment, model_dir, state)
    if as_json:
        echo_json({"documents": [p.to_json() for p in batch.picks]})
        return
    click.echo(
        f"{project.name}: {len(batch.picks)} of {batch.pool_size} pool documents ({strategy})"
        + (f"; {batch.already_labeled} already labeled, skipped" if batch.already_labeled else "")
    )
    for n, pick in enumerate(batch.picks, start=1):
        click.echo(terminal(f"{n:>4}. {pick.id}  score {pick.score:.3f}"))
        for reason in pick.reasons:
            click.echo(terminal(f"        {reason}"))
    if output is not None:
        click.echo(f"wrote {len(batch.picks)} drafts to {output}")


def _write_batch(project: LoadedProject, batch: Batch, output: Path, fmt: str | None, path: Path, deployment: str,
                 model_dir: Path | None, state: StateChoice) -> None:
    from nerspec.label.drafts import draft_of, format_for, write_drafts

    picks = batch.picks
    version = batch.model
    if not version:  # random picks were not predicted: pre-label them now
        predictor = _predictor(path, deployment, model_dir, state)
        version = predictor.fingerprint
        predictions = predictor.predict([p.document.text for p in picks])
    else:
        predictions = [p.prediction for p in picks]
    drafts = [draft_of(p.document, pred, batch.spans) for p, pred in zip(picks, predictions)]
    write_drafts(drafts, output, format_for(output, fmt), batch.spans, version)


@label.command("suggest")
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@pool_option
@click.option("--ids", multiple=True, help="Only these pool document ids (repeat, or separate with spaces).")
@click.option("-o", "--output", type=click.Path(), callback=non_empty_path, required=True,
              help="Drafts file: .json = Label Studio tasks with predictions, else nerspec jsonl (draft: true).")
@click.option("--format", "fmt", type=click.Choice(_DRAFT_CHOICES), default=None, help="Format of -o.")
@_with(model_options)
@json_option
def suggest_command(
    path: Path, pool: str | None, ids: tuple[str, ...], output: Path, fmt: str | None,
    deployment: str, model_dir: Path | None, state: StateChoice, quiet: bool, as_json: bool,
) -> None:
    """Pre-label pool documents with the model: every predicted span (class) with its confidence, as drafts.

    Drafts are not training data: a source holding unreviewed drafts fails `nerspec validate` (naming the
    file and count) until they are reviewed, unless the source sets `allow_drafts: true`.

    \b
    Examples:
      nerspec label suggest projects/example --pool pool.jsonl --ids n1 -o drafts.jsonl
      nerspec label suggest projects/example --pool pool.jsonl --ids "n1 n2" -o batch.json --format labelstudio
    """
    from nerspec.kinds import kind_of
    from nerspec.label.drafts import format_for, write_drafts
    from nerspec.label.suggest import suggest
    from nerspec.manifest.load import load_project

    project = load_project(path)
    wanted = [i for value in ids for i in value.split()]
    predictor = _predictor(path, deployment, model_dir, state)
    drafts = suggest(project, predictor, pool=pool, ids=wanted or None, progress=Progress("pre-labeling", quiet),
                     production=_production(project, pool, state), cache_dir=state.resolve().sources)
    written = write_drafts(drafts, output, format_for(output, fmt), kind_of(project.kind).annotates_spans, predictor.fingerprint)
    if as_json:
        echo_json({"output": str(written), "documents": len(drafts), "model_version": predictor.fingerprint})
    else:
        click.echo(f"{project.name}: wrote {len(drafts)} drafts to {written} (model {predictor.fingerprint})")


@label.command("review")
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@click.option("-o", "--output", type=click.Path(), callback=non_empty_path, required=True,
              help="Review tasks: .json = Label Studio tasks with the fix as prediction, else nerspec jsonl drafts.")
@click.option("--format", "fmt", type=click.Choice(_DRAFT_CHOICES), default=None, help="Format of -o.")
@click.option("--folds", type=click.IntRange(min=2, max=20), default=5, show_default=True, help="Cross-fit folds.")
@click.option("--min-score", type=PROBABILITY, default=0.5, show_default=True,
              help="Findings whose score reaches this.")
@click.option("--top", type=click.IntRange(min=1), default=50, show_default=True, help="The most likely findings.")
@state_option
@json_option
def review_command(path: Path, output: Path, fmt: str | None, folds: int, min_score: float, top: int,
                   state: StateChoice, as_json: bool) -> None:
    """The likely label errors of `nerspec lint --label-errors` as review tasks, the suggestion pre-annotated.

    \b
    Example:
      nerspec label review projects/example -o review.json --top 30
    """
    from nerspec.corpus.load import load_corpus
    from nerspec.kinds import kind_of
    from nerspec.label.drafts import format_for, write_drafts
    from nerspec.label.review import review_drafts
    from nerspec.manifest.load import load_project
    from nerspec.train.label_errors import find_label_errors

    project = load_project(path)
    paths = state.resolve()
    report = find_label_errors(project, load_corpus(project, paths.sources), paths, folds=folds, min_score=min_score)
    spans = kind_of(project.kind).annotates_spans
    drafts = review_drafts(report, top, spans)
    version = f"label-errors-{report.fingerprint}"
    written = write_drafts(drafts, output, format_for(output, fmt), spans, version)
    if as_json:
        echo_json({"output": str(written), "documents": len(drafts), "findings": min(top, len(report.errors)),
                   "fingerprint": report.fingerprint})
    else:
        click.echo(f"{project.name}: wrote {len(drafts)} review tasks ({min(top, len(report.errors))} likely label "
                   f"errors) to {written}")


COMMANDS: list[click.Command] = [label]


@click.command("clone")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="The new project's name (metadata.name).")
@json_option
def clone_command(source: Path, dest: Path, name: str, as_json: bool) -> None:
    """Copy a project (schema, data, settings) into the new directory DEST under a new name.

    \b
    Example:
      nerspec clone projects/example projects/example-v2 --name loan-agreements-v2
    """
    from nerspec.clone import clone_project

    manifest = clone_project(source, dest, name)
    if as_json:
        echo_json({"project": name, "manifest": str(manifest)})
        return
    click.echo(f"cloned into {manifest} as `{name}`; nothing is trained or deployed for it yet")


COMMANDS.append(clone_command)
