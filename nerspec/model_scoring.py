"""Scoring models with the recorded state: for a run, the candidate's evaluation (recorded once per model and
test split), the deployed baseline the regression gates compare against, and the paired significance test between
them; for ``nerspec evaluate PATH``, which model to score and what changed against the deployed one. The scoring
itself is ``nerspec.evaluate`` (gold, predictions and the kind; no state)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import atomic
from nerspec.evaluate.changes import compared_deployment
from nerspec.evaluate.record import Changes, Evaluation
from nerspec.numbers import metric_text
from nerspec.plan import short
from nerspec.run_record import Baseline
from nerspec.state.crashpoints import pause

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.corpus.split import SplitResult
    from nerspec.gates import GateResult
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.run_parts import RunContext

# (metric, label) -> p-value of "the candidate is no worse", None when it cannot be computed
Significance = Callable[[str, "str | None"], "float | None"]


def evaluate_cached(
    ctx: RunContext, project: LoadedProject, corpus: Corpus, split: SplitResult, fp: str, key: str
) -> Evaluation:
    """Score model ``fp`` on the test split ``key`` names, once: a recorded evaluation is reused."""
    cached = ctx.store.evaluation(fp, key)
    if cached is not None:
        ctx.progress(f"{project.name}:   evaluation of {short(fp)} on this test split: recorded")
        return Evaluation.from_json(cached)
    artifact = ctx.targets.local_model(fp)  # from the object store only when it must be scored here
    pause("evaluate")
    started = time.monotonic()
    evaluation = ctx.parts.evaluator(project, corpus, split, artifact)
    # evaluation.json is not part of the artifact's recorded files (drift ignores it), so writing it is safe.
    recorded = evaluation.to_json()
    atomic.write_text(artifact / "evaluation.json", json.dumps(recorded, indent=2, ensure_ascii=False))
    ctx.store.record_evaluation(project.name, fp, key, recorded)
    micro = evaluation.micro
    ctx.progress(
        f"{project.name}:   evaluated {short(fp)} in {time.monotonic() - started:.1f}s: micro F1 "
        f"{metric_text(micro.f1 or 0.0)} (P {metric_text(micro.precision or 0.0)}, "
        f"R {metric_text(micro.recall or 0.0)})"
    )
    return evaluation


def score_baseline(
    ctx: RunContext, project: LoadedProject, corpus: Corpus, split: SplitResult, key: str
) -> tuple[Baseline | None, GateResult | None]:
    """The deployed model the candidate is compared with, scored on the candidate's test split: the regression
    gates' deployment, else the first declared one (so reports list what changed document by document even
    without a regression gate); or the failing gate when a regression gate's model is recorded but its files
    are gone."""
    regression = project.manifest.spec.gates.regression
    against = compared_deployment(project.manifest.spec)
    deployed = ctx.store.deployments(project.name).get(against) if against is not None else None
    if deployed is None:
        return None, None
    from nerspec.deploy import local

    baseline_fp = deployed.fingerprint
    record = ctx.store.get_model(baseline_fp)
    stored = ctx.targets.artifact_store
    if record is None or not (local.is_complete(local.artifact_dir(ctx.paths, baseline_fp))
                              or (stored.remote and stored.exists(baseline_fp))
                              or local.is_complete(Path(record.model_dir))):
        if regression is None:
            return None, None  # nothing to compare with, and no gate that needs it
        from nerspec.gates import GateResult

        failure = GateResult(
            "regression", "micro_f1", None, 0.0, None, None, False,
            f"regression: the model in {regression.against} ({short(baseline_fp)}) is missing; cannot compare",
        )
        return None, failure
    # Both models are scored on the candidate's (current) test split, so the comparison is fair.
    evaluation = evaluate_cached(ctx, project, corpus, split, baseline_fp, key)
    return Baseline(deployment=against, fingerprint=baseline_fp, evaluation=evaluation), None


def significance(evaluation: Evaluation, baseline: Evaluation | None) -> Significance | None:
    """Paired bootstrap over the documents both evaluations scored; None (gates fail safe) when unavailable."""
    if baseline is None:
        return None
    from nerspec.metrics.bootstrap import significance_test

    test = significance_test(evaluation.documents, baseline.documents)

    def safe(metric: str, label: str | None) -> float | None:
        try:
            return test(metric, label)
        except (TypeError, ValueError, KeyError):
            return None

    return safe


def resolve_model(project: LoadedProject, paths: StatePaths, deployment: str = "production") -> Path:
    """The model to evaluate when none is named: the artifact trained from the current manifest and data
    (its fingerprint), else the model the ``deployment`` serves."""
    from nerspec.deploy import local
    from nerspec.errors import ModelNotFoundError
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.fingerprints.model import model_fingerprint

    fingerprint = model_fingerprint(project, data_fingerprint(project, paths.cache))
    artifact = local.artifact_dir(paths, fingerprint)
    if local.is_complete(artifact):
        return artifact
    shared = _remote_model(paths, fingerprint) if paths.artifacts_url and "://" in paths.artifacts_url else None
    deployed = shared or _deployed_model(paths, project.name, deployment)
    if deployed is not None:
        return deployed
    raise ModelNotFoundError(
        f"{project.name}: no model trained from the current manifest and data (fingerprint {fingerprint[:12]}) "
        f"and no {deployment!r} deployment in {paths.root}; run `nerspec train` or pass --model DIR"
    )


def _deployed_model(paths: StatePaths, project: str, deployment: str) -> Path | None:
    """The model the state records for the deployment (``nerspec.deploy.targets``), fetched and verified."""
    from nerspec.deploy.targets import served_model
    from nerspec.errors import ModelNotFoundError
    from nerspec.state import open_store

    store = open_store(paths, create=False)
    try:
        return served_model(paths, store, project, deployment).model_dir
    except ModelNotFoundError:
        return None
    finally:
        store.close()


def _remote_model(paths: StatePaths, fingerprint: str) -> Path | None:
    from nerspec.deploy.targets import TargetContext
    from nerspec.state import open_store

    store = open_store(paths, create=False)
    try:
        return TargetContext(paths, store).local_model(fingerprint) if store.get_model(fingerprint) else None
    finally:
        store.close()


def evaluate_project(
    path: Path, model_dir: Path | None, paths: StatePaths, *, ci_resamples: int = 1000, seed: int = 0
) -> Evaluation:
    """Load the project at ``path``, its corpus and split, and evaluate ``model_dir`` (or the resolved model)."""
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.errors import NerspecError
    from nerspec.evaluate.run import evaluate_model
    from nerspec.manifest.load import load_projects

    projects = load_projects([path])
    if len(projects) != 1:
        names = ", ".join(p.name for p in projects) or "none"
        raise NerspecError(f"evaluate takes one project; {path} holds {len(projects)} ({names})")
    from nerspec.corpus.split_record import with_recorded_split

    project = with_recorded_split(projects[0], paths)  # stratified: the sides apply recorded with the models
    corpus = load_corpus(project, paths.sources)
    split = split_corpus(project, corpus)
    chosen = model_dir if model_dir is not None else resolve_model(project, paths)
    evaluation = evaluate_model(project, corpus, split, chosen, ci_resamples=ci_resamples, seed=seed)
    evaluation.changes = _changes_vs_deployed(project, corpus, split, chosen, paths, evaluation)
    return evaluation


def _changes_vs_deployed(
    project: LoadedProject, corpus: Corpus, split: SplitResult, chosen: Path, paths: StatePaths, evaluation: Evaluation
) -> Changes | None:
    """``changes`` against the deployed model (the regression gate's deployment, else the first one);
    None when nothing is deployed there or it is the evaluated model itself."""
    from nerspec.deploy import local
    from nerspec.evaluate.changes import document_changes
    from nerspec.evaluate.run import evaluate_model

    deployment = compared_deployment(project.manifest.spec)
    if deployment is None:
        return None
    deployed = _deployed_model(paths, project.name, deployment)
    if deployed is None or not local.is_complete(deployed) or deployed.resolve() == Path(chosen).resolve():
        return None
    baseline = evaluate_model(project, corpus, split, deployed, ci_resamples=10)
    against = {"deployment": deployment, "fingerprint": deployed.name}
    return document_changes(evaluation, baseline, against=against)
