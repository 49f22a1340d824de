"""Data commands: ``validate``, ``data stats``, ``data split``, ``export``, ``lint``.

Thin layer over ``nerspec.corpus``: load, run the core, print. Imports of the corpus modules happen
inside the commands so ``nerspec --help`` stays fast.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nerspec.commands.common import PROBABILITY, echo_json, json_option, non_empty_path, paths_argument, state_option
from nerspec.corpus.formats import FORMATS
from nerspec.errors import DataError, ManifestError, NerspecError, Problem
from nerspec.escape import terminal
from nerspec.paths import StateChoice

if TYPE_CHECKING:
    from nerspec.corpus.findings import Finding
    from nerspec.evaluate.agreement import Agreement
    from nerspec.manifest.load import LoadedProject
    from nerspec.train.label_errors import LabelErrorReport

MAX_PER_CODE = 20  # printed warnings per code and project; --json has them all


@click.command()
@paths_argument
@click.option("--fix-whitespace", is_flag=True, help="Trim whitespace at span edges in the data files (azure, jsonl).")
@click.option("--changed", is_flag=True,
              help="PATHS are changed files (as a pre-commit hook passes them): validate each project holding one.")
@json_option
def validate(paths: tuple[Path, ...], fix_whitespace: bool, changed: bool, as_json: bool) -> None:
    """Check manifests and their labeled data: exit 0 when valid (warnings allowed), 1 on errors.

    PATHS are project directories, manifest files or a repository root (every projects/*/nerspec.yaml);
    default: the current directory. Errors read `file:line:col: where: message`.

    \b
    Examples:
      nerspec validate projects/example
      nerspec validate --fix-whitespace projects/example
      nerspec validate --json . > validation.json
      nerspec validate --changed projects/example/data/labels.json README.md
    """
    from nerspec.manifest.load import load_projects_partially, manifests_holding

    if changed and not (paths := tuple(manifests_holding(paths))):
        _no_project_changed(as_json)
        return
    # Every problem at once: a broken manifest does not hide the data errors of the projects beside it.
    projects, manifest_problems = load_projects_partially(list(paths))
    blocking: list[Problem] = []
    report = [_validate_project(project, fix_whitespace, as_json, blocking) for project in projects]
    if manifest_problems:  # as before, no JSON document then: stderr lists them all
        raise ManifestError(manifest_problems + blocking)
    if as_json:
        echo_json({"valid": not blocking, "projects": report})
    if blocking:
        raise DataError(blocking, summary=f"{len(blocking)} data error{'s' if len(blocking) != 1 else ''}")


def _validate_project(project: LoadedProject, fix_whitespace: bool, as_json: bool, blocking: list[Problem]) -> dict[str, object]:
    """One project's entry of ``validate``; its errors are added to ``blocking``."""
    from nerspec.corpus.checks import check_corpus
    from nerspec.corpus.load import load_corpus
    from nerspec.kinds import project_kind
    from nerspec.paths import state_paths

    if fix_whitespace:
        from nerspec.corpus.fix import fix_whitespace as fix

        for file, count in fix(project).items():
            if not as_json:
                click.echo(f"{file}: trimmed whitespace of {count} span{'s' if count != 1 else ''}")
    entry: dict[str, object] = {"name": project.name, "manifest": str(project.path), "kind": project.kind}
    sources = state_paths().sources  # where URL sources are downloaded
    try:
        corpus = load_corpus(project, sources)
    except DataError as exc:
        blocking.extend(exc.problems)
        entry.update(valid=False, documents=None, errors=[{"message": str(p)} for p in exc.problems], warnings=[])
        return entry
    findings = check_corpus(project, corpus, project_kind(project))
    if any(source.unlabeled for source in project.manifest.spec.data):
        from nerspec.corpus.pool import check_pools

        findings.extend(check_pools(project, sources))
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    blocking.extend(f.problem() for f in errors)
    entry.update(
        valid=not errors,
        documents=len(corpus),
        errors=[f.to_dict() for f in errors],
        warnings=[f.to_dict() for f in warnings],
    )
    if not as_json:
        _print_warnings(warnings)
        state = "valid" if not errors else f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        click.echo(f"{project.name}: {len(corpus)} documents, {state}, {len(warnings)} warning{'s' if len(warnings) != 1 else ''}")
    return entry


def _no_project_changed(as_json: bool) -> None:
    echo_json({"valid": True, "projects": []}) if as_json else click.echo("no project holds a changed file")


def _print_warnings(warnings: list[Finding]) -> None:
    shown: Counter[str] = Counter()
    for finding in warnings:
        shown[finding.code] += 1
        if shown[finding.code] <= MAX_PER_CODE:
            click.echo(terminal(finding.problem()))
    for code, count in shown.items():
        if count > MAX_PER_CODE:
            click.echo(f"... and {count - MAX_PER_CODE} more `{code}` warnings (--json lists all)")


@click.group()
def data() -> None:
    """Inspect labeled data.

    \b
    Example:
      nerspec data stats projects/example
    """


@data.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@state_option
@json_option
def stats(path: Path, state: StateChoice, as_json: bool) -> None:
    """The data distribution: per entity type (or class), instances and documents in train, test and total.

    \b
    Examples:
      nerspec data stats projects/example
      nerspec data stats projects/example --json
    """
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split_record import with_recorded_split
    from nerspec.corpus.stats import project_stats
    from nerspec.manifest.load import load_projects

    projects = [with_recorded_split(p, state.resolve(p.dir)) for p in load_projects([path])]  # stratified: recorded
    results = {project.name: (project, project_stats(project, load_corpus(project, state.resolve(project.dir).sources)))
               for project in projects}
    if as_json:
        if len(results) == 1:
            echo_json(next(iter(results.values()))[1])
        else:
            echo_json({name: value for name, (_, value) in results.items()})
        return
    for name, (project, value) in results.items():
        _print_stats(name, project.kind, value)


@data.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@state_option
@json_option
def split(path: Path, state: StateChoice, as_json: bool) -> None:
    """Per class or entity type, how many documents carrying it each side (train, dev or test) of the manifest's
    split holds (dev: the early-stopping and calibration carve of the train side); --json adds every document's side.

    JSON: {"documents": {"<id>": "train"|"dev"|"test"}, "counts": {"<label>": {"train", "dev", "test"}}}
    (several projects: one such object per project name).

    \b
    Examples:
      nerspec data split projects/support-tickets
      nerspec data split projects/example --json | jq '.documents | map_values(select(. == "test"))'
    """
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import SIDES, sides
    from nerspec.corpus.split_record import with_recorded_split
    from nerspec.manifest.load import load_projects

    # stratified (split version 4): the sides the state recorded with the trained models, the rest assigned anew
    projects = [with_recorded_split(p, state.resolve(p.dir)) for p in load_projects([path])]
    results = {project.name: sides(project, load_corpus(project, state.resolve(project.dir).sources)) for project in projects}
    if as_json:
        values = {name: value.to_json() for name, value in results.items()}
        echo_json(next(iter(values.values())) if len(values) == 1 else values)
        return
    for name, value in results.items():
        totals = Counter(value.documents.values())
        click.echo(f"{name}: {len(value.documents)} documents, " + ", ".join(f"{s} {totals[s]}" for s in SIDES))
        width = max([5, *(len(label) for label in value.counts)]) + 2
        click.echo(f"  {'label':<{width}}" + "".join(f"{s:>8}" for s in SIDES))
        for label, row in value.counts.items():
            click.echo(f"  {label:<{width}}" + "".join(f"{row[s]:>8}" for s in SIDES))


def _print_stats(name: str, kind: str, value: dict[str, Any]) -> None:
    docs = value["documents"]
    click.echo(f"{name} ({kind}): {docs['train'] + docs['test']} documents, train {docs['train']}, test {docs['test']}")
    from nerspec.kinds import kind_of

    key, noun = kind_of(kind).label_field, kind_of(kind).label_noun
    table = value[key]
    width = max([len(noun), *(len(n) for n in table)]) + 2
    click.echo(f"  {noun:<{width}}{'train':>16}{'test':>16}{'total':>16}")
    click.echo(f"  {'':<{width}}{'inst / docs':>16}{'inst / docs':>16}{'inst / docs':>16}")
    for label, row in table.items():
        cells = "".join(f"{row[side]['instances']:>8} / {row[side]['documents']:<5}" for side in ("train", "test", "total"))
        click.echo(f"  {label:<{width}}{cells}")
    languages = value.get("languages") or {}
    if languages:
        shown = ", ".join(f"{code} {row['train']}/{row['test']}" for code, row in languages.items())
        click.echo(f"  languages (train/test documents): {shown}")


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("."))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    required=True,
    help="Output format (every import format; conll is lossy: ids and whitespace).",
)
@click.option("-o", "--output", type=click.Path(), callback=non_empty_path, required=True, help="Output directory.")
@click.option("--with-split", is_flag=True, help="Set each document's dataset to its side of the manifest's split.")
@state_option
@json_option
def export(path: Path, fmt: str, output: Path, with_split: bool, state: StateChoice, as_json: bool) -> None:
    """Write a project's labeled data in any import format: Azure labels file (+ .txt documents), jsonl,
    Label Studio JSON (+ its labeling config), doccano or Prodigy JSONL, CoNLL, spaCy DocBin, folders.

    \b
    Examples:
      nerspec export projects/example --format jsonl -o out/
      nerspec export projects/example --format azure --with-split -o out/azure
      nerspec export projects/example --format labelstudio -o out/ls
    """
    from nerspec.corpus.formats import check_export_target, write
    from nerspec.corpus.formats.common import project_info
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.corpus.split_record import with_recorded_split
    from nerspec.kinds import kind_of
    from nerspec.manifest.load import load_projects

    projects = [with_recorded_split(p, state.resolve(p.dir)) for p in load_projects([path])]  # stratified: recorded
    exported = []
    for project in projects:
        if not FORMATS[fmt].spans and kind_of(project.kind).annotates_spans:
            raise NerspecError(f"{project.name}: `{fmt}` holds classes, not entities; export an NER project in another format")
        corpus = load_corpus(project, state.resolve(project.dir).sources)
        documents = corpus.documents
        if with_split:
            side = split_corpus(project, corpus).side_of()
            for doc in documents:
                doc.dataset = side[doc.id]  # type: ignore[assignment]
        target = output / project.name if len(projects) > 1 else output
        check_export_target(target, project.dir, [d.path for d in project.manifest.spec.data if d.path])
        written = write(fmt, documents, target, project_info(project))
        exported.append({"project": project.name, "format": fmt, "documents": len(documents), "path": str(written)})
        if not as_json:
            click.echo(f"{project.name}: wrote {len(documents)} documents to {written}")
    if as_json:
        echo_json(exported)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--label-errors", is_flag=True,
              help="Likely label errors: cross-fitted models (k folds) that confidently disagree with the labels.")
@click.option("--folds", type=click.IntRange(min=2, max=20), default=5, show_default=True,
              help="Folds of --label-errors.")
@click.option("--min-score", type=PROBABILITY, default=0.5, show_default=True,
              help="Report label errors whose score reaches this.")
@click.option("--top", type=click.IntRange(min=1), default=50, show_default=True,
              help="Label errors printed per project (--json has every one).")
@click.option("--agreement", is_flag=True,
              help="Annotator agreement of sources with several annotations per document (strict span F1, kappa).")
@state_option
@json_option
def lint(paths: tuple[Path, ...], label_errors: bool, folds: int, min_score: float, top: int, agreement: bool,
         state: StateChoice, as_json: bool) -> None:
    """Label lint: inconsistent types, strings tagged in some documents but not others, boundary variants.

    Findings are warnings: the exit code is 0 unless the project cannot be loaded. --label-errors trains
    --folds models, each on all documents but one fold, and ranks where the model that never saw a document
    confidently disagrees with its labels (wrong type, missing tag, rejected tag, boundary); the fold models
    are cached in the state directory, so a second run over the same data is instant.

    \b
    Examples:
      nerspec lint projects/example
      nerspec lint projects/example --json | jq '.findings[] | select(.code == "lint_untagged")'
      nerspec lint projects/example --label-errors --top 20
      nerspec lint projects/example --label-errors --json > label-errors.json
      nerspec lint projects/example --agreement
    """
    from nerspec.corpus.lint import lint_corpus
    from nerspec.corpus.load import load_corpus
    from nerspec.kinds import project_kind
    from nerspec.manifest.load import load_projects

    projects = load_projects(list(paths))
    if label_errors:
        _lint_label_errors(projects, state, folds, min_score, top, as_json)
        return
    if agreement:
        _lint_agreement(projects, state, top, as_json)
        return
    everything: list[dict[str, object]] = []
    for project in projects:
        findings = lint_corpus(project, load_corpus(project, state.resolve().sources), project_kind(project))
        everything.extend({"project": project.name, **f.to_dict()} for f in findings)
        if not as_json:
            for finding in findings:
                click.echo(terminal(finding.problem()))
            click.echo(f"{project.name}: {len(findings)} lint finding{'s' if len(findings) != 1 else ''}")
    if as_json:
        echo_json({"findings": everything})


def _lint_label_errors(projects: list[LoadedProject], state: StateChoice, folds: int, min_score: float, top: int,
                       as_json: bool) -> None:
    from nerspec.corpus.load import load_corpus
    from nerspec.train.label_errors import find_label_errors

    paths = state.resolve()
    reports = [find_label_errors(p, load_corpus(p, paths.sources), paths, folds=folds, min_score=min_score) for p in projects]
    if as_json:
        if len(reports) == 1:
            echo_json(reports[0].to_json())
        else:
            echo_json({"projects": {r.project: r.to_json() for r in reports}})
        return
    for report in reports:
        for line in label_error_lines(report, top):
            click.echo(line)
        cached = "cached folds" if not report.trained else f"{report.trained} fold models trained"
        click.echo(f"{report.project}: {len(report.errors)} likely label error{'s' if len(report.errors) != 1 else ''}"
                   f" (score >= {min_score}; {report.folds} folds, {cached}; fingerprint {report.fingerprint})")


def _lint_agreement(projects: list[LoadedProject], state: StateChoice, top: int, as_json: bool) -> None:
    from nerspec.corpus.load import load_corpus
    from nerspec.evaluate.agreement import agreement
    from nerspec.kinds import kind_of

    results = {}
    for project in projects:
        spans = kind_of(project.kind).annotates_spans
        results[project.name] = agreement(load_corpus(project, state.resolve().sources).documents, spans,
                                          project.manifest.spec.multilabel)
    if as_json:
        if len(results) == 1:
            echo_json({"agreement": next(iter(results.values())).to_json()})
        else:
            echo_json({"projects": {name: {"agreement": a.to_json()} for name, a in results.items()}})
        return
    for name, found in results.items():
        for line in agreement_lines(name, found, top):
            click.echo(line)


def agreement_lines(name: str, found: Agreement, top: int) -> list[str]:
    """The agreement of one project for people: overall, per pair, per type, documents to adjudicate."""
    if not found.annotated:
        return [f"{name}: no document has several annotators (agreement needs Label Studio tasks with several "
                "annotations, doccano users or Prodigy sessions)"]
    figure = f"strict span F1 {found.f1:.3f}" if found.f1 is not None else f"Cohen's kappa {found.kappa:.3f}"
    lines = [f"{name}: annotators agree at {figure} over {found.annotated} documents with several annotators"]
    for pair in found.pairs[:top]:  # a crowd of 300 printed 44,850 pair lines
        value = f"F1 {pair.f1:.3f}" if pair.f1 is not None else f"kappa {pair.kappa:.3f}" if pair.kappa is not None else "-"
        lines.append(terminal(f"  {pair.a} / {pair.b}: {value} ({pair.documents} documents)"))
    lines += [f"  ... and {len(found.pairs) - top} more pairs (--json lists all)"] if len(found.pairs) > top else []
    for label, f1 in found.per_label.items():
        lines.append(f"  {label}: F1 {'-' if f1 is None else f'{f1:.3f}'}")
    lines.append(f"  {len(found.documents)} document{'s' if len(found.documents) != 1 else ''} to adjudicate"
                 + (":" if found.documents else ""))
    lines.extend(terminal(f"    {d.id} ({', '.join(d.annotators)}: {d.labelings} labelings)") for d in found.documents[:top])
    return lines


def label_error_lines(report: LabelErrorReport, top: int) -> list[str]:
    """``file:line:col: id[start:end]: message: excerpt`` per finding, the most likely first."""
    from nerspec.corpus.findings import at_document

    lines = []
    for error in report.errors[:top]:
        doc = report.documents[error.id]
        finding = at_document(doc, "warning", f"label_{error.kind}", error.describe(doc.text), error.start, error.end)
        lines.append(terminal(finding.problem()))
    return lines


COMMANDS: list[click.Command] = [validate, data, export, lint]
