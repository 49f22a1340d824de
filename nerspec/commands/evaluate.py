"""``nerspec evaluate``: score a model on a project's test split, or any predictions against gold jsonl."""

from __future__ import annotations

from pathlib import Path

import click

from nerspec.commands.common import echo_json, json_option, state_option


@click.command("evaluate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Model artifact directory to evaluate.")
@click.option("--gold", type=click.Path(path_type=Path), help="Gold jsonl (NER spans or classification labels).")
@click.option("--pred", type=click.Path(path_type=Path), help="Predicted jsonl, same documents as --gold.")
@click.option("--threshold", type=float, default=0.5, show_default=True,
              help="Multi-label decision threshold for predictions given as scores (--gold/--pred form).")
@click.option("--resamples", type=click.IntRange(min=10), default=1000, show_default=True,
              help="Bootstrap resamples for the confidence intervals.")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--mismatches-only", is_flag=True, help="Review only documents with a wrong or missing prediction.")
@json_option
@state_option
def evaluate_command(
    path: Path | None,
    model_dir: Path | None,
    gold: Path | None,
    pred: Path | None,
    threshold: float,
    resamples: int,
    seed: int,
    mismatches_only: bool,
    as_json: bool,
    state: Path | None,
) -> None:
    """Evaluate a model on the project's test split, or score predictions against gold data.

    Strict entity-level (or per class) precision, recall and F1 with bootstrap confidence intervals,
    SemEval-2013 partial-credit views, a confusion matrix, guidance and the review test set.
    Without --model, the model trained from the current manifest and data is used, else the
    production deployment's.

    \b
    Examples:
      nerspec evaluate projects/example
      nerspec evaluate projects/example --model .nerspec/models/<fingerprint> --json
      nerspec evaluate --gold gold.jsonl --pred pred.jsonl --mismatches-only
    """
    if (gold is None) != (pred is None):
        raise click.UsageError("--gold and --pred go together")
    if gold is not None and (path is not None or model_dir is not None):
        raise click.UsageError("use either PATH [--model DIR] or --gold/--pred, not both")
    if gold is None and path is None:
        raise click.UsageError("give a project PATH, or --gold G.jsonl --pred P.jsonl")
    if gold is not None and pred is not None:
        from nerspec.evaluate.io import evaluate_files

        evaluation = evaluate_files(gold, pred, threshold=threshold, ci_resamples=resamples, seed=seed)
    else:
        from nerspec.evaluate.run import evaluate_project

        assert path is not None
        evaluation = evaluate_project(path, model_dir, state, ci_resamples=resamples, seed=seed)
    if as_json:
        if mismatches_only:
            evaluation = {**evaluation, "documents": [d for d in evaluation["documents"] if d["mismatch"]]}
        echo_json(evaluation)
        return
    from nerspec.evaluate.text import render

    click.echo(render(evaluation, review=mismatches_only))


COMMANDS: list[click.Command] = [evaluate_command]
