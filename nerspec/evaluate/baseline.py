"""Scoring for a run: the candidate's evaluation (recorded once per model and test split), the deployed
baseline the regression gates compare against, and the paired significance test between them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec import atomic
from nerspec.numbers import metric_text
from nerspec.plan import short
from nerspec.state.crashpoints import pause

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.corpus.split import SplitResult
    from nerspec.gates import GateResult
    from nerspec.manifest.load import LoadedProject
    from nerspec.manifest.schema import ClassificationSpec, NERSpec
    from nerspec.run_parts import RunContext

# (metric, label) -> p-value of "the candidate is no worse", None when it cannot be computed
Significance = Callable[[str, "str | None"], "float | None"]


def evaluate_cached(
    ctx: RunContext, project: LoadedProject, corpus: Corpus, split: SplitResult, fp: str, key: str
) -> dict[str, Any]:
    """Score model ``fp`` on the test split ``key`` names, once: a recorded evaluation is reused."""
    cached = ctx.store.evaluation(fp, key)
    if cached is not None:
        ctx.progress(f"{project.name}:   evaluation of {short(fp)} on this test split: recorded")
        return cached
    artifact = ctx.targets.local_model(fp)  # from the object store only when it must be scored here
    pause("evaluate")
    started = time.monotonic()
    evaluation = ctx.parts.evaluator(project, corpus, split, artifact)
    # evaluation.json is not part of the artifact's recorded files (drift ignores it), so writing it is safe.
    atomic.write_text(artifact / "evaluation.json", json.dumps(evaluation, indent=2, ensure_ascii=False))
    ctx.store.record_evaluation(project.name, fp, key, evaluation)
    micro = evaluation.get("micro", {})
    ctx.progress(
        f"{project.name}:   evaluated {short(fp)} in {time.monotonic() - started:.1f}s: micro F1 "
        f"{metric_text(micro.get('f1', 0.0))} (P {metric_text(micro.get('precision', 0.0))}, "
        f"R {metric_text(micro.get('recall', 0.0))})"
    )
    return evaluation


def compared_deployment(spec: NERSpec | ClassificationSpec) -> str | None:
    """The deployment whose model a candidate is compared with: the regression gates', else the first declared."""
    if spec.gates.regression is not None:
        return spec.gates.regression.against
    return spec.deployments[0].name if spec.deployments else None


def score_baseline(
    ctx: RunContext, project: LoadedProject, corpus: Corpus, split: SplitResult, key: str
) -> tuple[dict[str, Any] | None, GateResult | None]:
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
    return {"deployment": against, "fingerprint": baseline_fp, "evaluation": evaluation}, None


def significance(evaluation: dict[str, Any], baseline: dict[str, Any] | None) -> Significance | None:
    """Paired bootstrap over the documents both evaluations scored; None (gates fail safe) when unavailable."""
    if baseline is None:
        return None
    try:
        from nerspec.evaluate.bootstrap import significance_test
    except ImportError:
        return None
    test = significance_test(evaluation, baseline)

    def safe(metric: str, label: str | None) -> float | None:
        try:
            return test(metric, label)
        except (TypeError, ValueError, KeyError):
            return None

    return safe
