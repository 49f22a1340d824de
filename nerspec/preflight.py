"""The data checks a run makes before anything trains: every project the plan trains or reuses a model for is
loaded, split and checked once, and every blocking error of all of them is raised together (so `plan` fails
exactly when `apply` would). The loaded corpus and split are handed on to training and evaluation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from nerspec.errors import DataError

if TYPE_CHECKING:
    from pydantic import JsonValue

    from nerspec.corpus.findings import Finding
    from nerspec.corpus.model import Corpus
    from nerspec.corpus.split import SplitResult
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.plan import Plan
    from nerspec.run_parts import RunParts


class Checked(NamedTuple):
    """A project's data as checked: its corpus, its split, and its lint findings as run-result dicts."""

    corpus: Corpus
    split: SplitResult  # (tests inject doubles with only .train / .test)
    lint: list[dict[str, JsonValue]]


def check_plan_data(
    projects: list[LoadedProject], plan: Plan, paths: StatePaths, progress: Callable[[str], None] | None = None,
    parts: RunParts | None = None, corpora: dict[str, Corpus] | None = None, *, lint: bool = False,
    outcome: str = "nothing trained",
) -> dict[str, Checked]:
    """The data checks apply runs before training, for every project the plan trains or reuses a model for:
    raise one ``DataError`` with every located error of all of them (so `plan` fails exactly when `apply`
    would), report warnings through ``progress``; return (corpus, split, lint) per checked project.
    Projects without model changes are not loaded: their data is what their model was checked with."""
    from nerspec.errors import Problem
    from nerspec.run_parts import RunParts

    resolved = (parts or RunParts()).resolved()
    say = progress or (lambda _message: None)
    by_name = {p.name: p for p in projects}
    problems: list[Problem] = []
    failed: list[str] = []
    loaded: dict[str, Checked] = {}
    for project_plan in plan.projects:
        project = by_name.get(project_plan.name)
        if project is None or project_plan.model_action is None:
            continue
        corpus = (corpora or {}).get(project.name) or resolved.load_corpus(project, paths.sources)
        split = resolved.split_corpus(project, corpus)
        try:
            warned = check_data(project, corpus, split)
        except DataError as exc:
            problems.extend(exc.problems)
            failed.append(f"{project.name} ({len(exc.problems)})")
            continue
        # A type or class that cannot be scored is said by name; the other warnings are counted.
        for finding in warned:
            if finding.code == "no_test_instances":
                say(f"warning: {finding.problem()}")
        if warned:
            say(f"{project.name}: {len(warned)} data warning{'s' if len(warned) != 1 else ''} (nerspec validate)")
        findings = lint_findings(project, corpus) if lint else []
        if findings:
            say(f"{project.name}: {len(findings)} lint finding{'s' if len(findings) != 1 else ''} (nerspec lint)")
        loaded[project.name] = Checked(corpus, split, findings)
    if problems:
        raise DataError(
            problems,
            summary=f"{len(problems)} data error{'s' if len(problems) != 1 else ''} in {', '.join(failed)}; {outcome}",
        )
    return loaded


def check_data(project: LoadedProject, corpus: Corpus, split: SplitResult | None = None) -> list[Finding]:
    """Run the blocking data checks; raise ``DataError`` naming every error, return the warnings.

    ``split`` is reused when it is a real ``SplitResult`` (the checks need its sides for leakage); an
    injected test split without ``side_of`` makes the checks compute their own.
    """
    from nerspec.corpus.checks import check_corpus, errors, warnings
    from nerspec.kinds import project_kind

    findings = check_corpus(project, corpus, project_kind(project), split if hasattr(split, "side_of") else None)
    blocking = errors(findings)
    if blocking:
        raise DataError([f.problem() for f in blocking], summary=_data_summary(project.name, len(blocking)))
    return warnings(findings)


def _data_summary(name: str, count: int) -> str:
    return f"{name}: {count} data error{'s' if count != 1 else ''}; nothing trained"


def lint_findings(project: LoadedProject, corpus: Corpus) -> list[dict[str, JsonValue]]:
    """Label lint of the corpus as run-result dicts (one pass over documents already in memory)."""
    from nerspec.corpus.lint import lint_corpus
    from nerspec.kinds import project_kind

    return [finding.to_dict() for finding in lint_corpus(project, corpus, project_kind(project))]
