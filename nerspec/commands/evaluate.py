"""``nerspec evaluate``: score a model on a project's test split, or any predictions against gold jsonl."""

from __future__ import annotations

from pathlib import Path

import click

from nerspec.commands.common import PROBABILITY, echo_json, json_option, state_option
from nerspec.paths import StateChoice


@click.command("evaluate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--model", "model_dir", type=click.Path(path_type=Path), help="Model artifact directory to evaluate.")
@click.option("--gold", type=click.Path(path_type=Path), help="Gold jsonl (NER spans or classification labels).")
@click.option("--pred", type=click.Path(path_type=Path), help="Predicted jsonl, same documents as --gold.")
@click.option("--threshold", type=PROBABILITY, default=0.5, show_default=True,
              help="Multi-label decision threshold for predictions given as scores (--gold/--pred form; "
              "default: the --project manifest's, else 0.5).")
@click.option("--multilabel/--single-label", "multilabel", default=None,
              help="Classification with --gold/--pred: score as multi-label or single-label "
              "(default: from --project, else guessed: multi-label if a gold document has other than one class).")
@click.option("--project", "project_path", type=click.Path(path_type=Path),
              help="With --gold/--pred: take the kind, multi-label setting and threshold from this manifest "
              "(a nerspec.yaml or its directory).")
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
    multilabel: bool | None,
    project_path: Path | None,
    resamples: int,
    seed: int,
    mismatches_only: bool,
    as_json: bool,
    state: StateChoice,
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
      nerspec evaluate --gold gold.jsonl --pred pred.jsonl --project projects/support-tickets
      nerspec evaluate --gold gold.jsonl --pred scores.jsonl --multilabel --threshold 0.4
    """
    if (gold is None) != (pred is None):
        raise click.UsageError("--gold and --pred go together")
    if gold is not None and (path is not None or model_dir is not None):
        raise click.UsageError("use either PATH [--model DIR] or --gold/--pred, not both")
    if gold is None and path is None:
        raise click.UsageError("give a project PATH, or --gold G.jsonl --pred P.jsonl")
    if gold is None and (multilabel is not None or project_path is not None):
        # PATH mode scores a model of the project, whose manifest already decides both.
        raise click.UsageError("--multilabel/--single-label and --project go with --gold/--pred")
    if gold is not None and pred is not None:
        from nerspec.evaluate.io import evaluate_files

        kind, overlapping = None, False
        if project_path is not None:
            kind, multilabel, threshold, overlapping = _project_scoring(project_path, multilabel, threshold)
        evaluation = evaluate_files(gold, pred, threshold=threshold, ci_resamples=resamples, seed=seed,
                                    multilabel=multilabel, kind=kind, overlapping=overlapping)
    else:
        from nerspec.model_scoring import evaluate_project

        assert path is not None
        evaluation = evaluate_project(path, model_dir, state.resolve(), ci_resamples=resamples, seed=seed)
    if as_json:
        if mismatches_only:
            evaluation = evaluation.model_copy(update={"documents": [d for d in evaluation.documents if d["mismatch"]]})
        echo_json(evaluation.to_json())
        return
    from nerspec.evaluate.text import render

    click.echo(render(evaluation, review=mismatches_only))


def _project_scoring(
    project_path: Path, multilabel: bool | None, threshold: float
) -> tuple[str, bool | None, float, bool]:
    """(kind, multi-label, threshold, overlapping) for scoring files as ``--project`` says, the flags checked
    against it."""
    from nerspec.evaluate.io import project_settings
    from nerspec.kinds import kind_of
    from nerspec.manifest.load import load_project

    settings = project_settings(load_project(project_path))
    # Only classification has a multilabel setting; for span kinds a flag is left to fail as not applicable.
    if not kind_of(settings.kind).annotates_spans:
        if multilabel is not None and multilabel != settings.multilabel:
            flag = "--multilabel" if multilabel else "--single-label"
            raise click.UsageError(
                f"{flag} contradicts spec.multilabel: {str(settings.multilabel).lower()} in {settings.manifest}"
            )
        multilabel = settings.multilabel
    # An explicit --threshold is a deliberate override; the option's default is not.
    source = click.get_current_context().get_parameter_source("threshold")
    if source == click.core.ParameterSource.DEFAULT:
        threshold = settings.threshold
    return settings.kind, multilabel, threshold, settings.overlapping


COMMANDS: list[click.Command] = [evaluate_command]
