"""``nerspec apply``: execute a plan. Train or reuse -> evaluate on the test split -> gates -> deploy -> record.

This module orchestrates only; each step lives beside its subject: the data checks in ``nerspec.preflight``,
training into the one staging layer and recording models in ``nerspec.staging``, scoring and the baseline in
``nerspec.model_scoring``, deployment steps in ``nerspec.deploy_steps`` (through the target protocol).

Crash safety comes from ordering, not from cleanup code: an artifact appears by one rename of a complete
staged directory; the state records a model only after its artifact exists; a pointer is switched (atomic
replace) only to a complete artifact and only after the gates passed; the state records a deployment after
its pointer switched, so a kill in between is seen by the next plan as "already serves it, recording it".
Leftover ``.partial`` directories are from dead applies (we hold the lock) and are removed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nerspec import atomic
from nerspec.deploy import finish_pending as finish_interrupted
from nerspec.deploy_steps import smoke, switch
from nerspec.errors import DeployError, GateFailed, NerspecError, StateError
from nerspec.evaluate.record import JsonObject
from nerspec.lastrun import noop_entry, read_run
from nerspec.plan import (
    AbortRollout,
    DropRollout,
    Plan,
    ProjectPlan,
    Promote,
    RemoveDeployment,
    Repair,
    StageRollout,
    Train,
    check_deploy_secrets,
    check_fresh,
    make_plan,
    serving,
    short,
    test_key,
)
from nerspec.plan.render import rollout_line
from nerspec.preflight import check_data, check_plan_data
from nerspec.run_parts import RunContext, RunParts
from nerspec.run_record import (
    RUN_RESULT_VERSION,
    Deployed,
    DeploySummary,
    GatesSummary,
    PlanSummary,
    ProjectRun,
    RunRecord,
)
from nerspec.state.store import actor, utc_now

if TYPE_CHECKING:  # the gates import the manifest schema: `plan` does not need them
    from nerspec.corpus.model import Corpus
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.plan import ModelAction
    from nerspec.preflight import Checked
    from nerspec.run_record import Baseline

Progress = Callable[[str], None]


@dataclass
class RunResult:
    """What a run did: the run-result JSON (``last-run.json``, ``apply --json``) and why it failed, if it did."""

    record: RunRecord
    failures: list[str] = field(default_factory=list)  # failed gates and smoke checks (exit 3)
    refusals: list[str] = field(default_factory=list)  # repairs apply cannot do: damaged, unrebuildable models

    def error(self) -> NerspecError | None:
        """Gate failures keep their own exit code (3); a refused repair alone is an ordinary error (1)."""
        if not (self.failures or self.refusals):
            return None
        return (GateFailed if self.failures else DeployError)("\n".join([*self.failures, *self.refusals]))

    @property
    def data(self) -> JsonObject:
        """The run-result JSON."""
        return self.record.to_json()

    def raise_for_failures(self) -> JsonObject:
        error = self.error()
        if error is not None:
            raise error
        return self.data


@dataclass
class _Run:
    """Apply's own bookkeeping for one run, beside the context every step shares."""

    ctx: RunContext
    no_deploy: bool
    loaded: dict[str, Checked] = field(default_factory=dict)  # checked data, loaded once before any training
    previous: dict[str, ProjectRun] = field(default_factory=dict)  # the last run's entries, by project
    failures: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    kept: int = 0  # no-op projects whose last-run entry still describes what they serve


def apply(
    projects: list[LoadedProject],
    paths: StatePaths,
    *,
    saved_plan: Plan | None = None,
    no_deploy: bool = False,
    lock_timeout: float = 0.0,
    parts: RunParts | None = None,
    progress: Progress | None = None,
    retry: frozenset[str] = frozenset(),
) -> JsonObject:
    """``execute``, raising ``GateFailed`` (exit 3) or ``DeployError`` when the run failed; else its run result."""
    return execute(projects, paths, saved_plan=saved_plan, no_deploy=no_deploy, lock_timeout=lock_timeout,
                   parts=parts, progress=progress, retry=retry).raise_for_failures()


def execute(
    projects: list[LoadedProject],
    paths: StatePaths,
    *,
    saved_plan: Plan | None = None,
    no_deploy: bool = False,
    lock_timeout: float = 0.0,
    parts: RunParts | None = None,
    progress: Progress | None = None,
    retry: frozenset[str] = frozenset(),
) -> RunResult:
    """Run the plan for ``projects``; the run result is also written to ``<state>/reports/last-run.json``, also
    when a gate failed (state is recorded first). Failures are in the result, not raised."""
    from nerspec.corpus.split_record import with_recorded_splits
    from nerspec.staging import remove_stale_partials
    from nerspec.state import open_store
    from nerspec.state.lock import remove_leftover_tmp

    say = progress or (lambda _message: None)
    store = open_store(paths)
    operation = "apply --no-deploy" if no_deploy else "apply"
    # The store owns its lock (SQLite: the state directory's lock file; PostgreSQL: per-project advisory locks).
    try:
        with store.locked(operation, sorted({p.name for p in projects}), lock_timeout):
            remove_stale_partials(paths, time.time())
            remove_leftover_tmp(paths.root)  # this machine's killed pointer and report writes, whatever the store
            for done in finish_interrupted(paths, store, projects):  # a killed rollback/swap, as the user asked
                say(done)
            resolved = (parts or RunParts()).resolved()
            projects = with_recorded_splits(projects, store)  # stratified split sides: trained with, recorded after
            corpora: dict[str, Corpus] = {}
            plan = make_plan(projects, paths, store, resolved, corpora, retry=retry)
            if saved_plan is not None:
                check_fresh(saved_plan, plan)
                plan = saved_plan
            if not no_deploy:
                check_deploy_secrets(projects, plan)
            run = _Run(RunContext(paths, store, resolved, say, actor()), no_deploy)
            run.previous = _last_run_entries(paths)
            pairs = _pair(projects, plan)
            # Every project's data is checked before anything trains, so a data error in the second project
            # does not leave the first one trained and deployed from a run that then fails.
            run.loaded = check_plan_data(projects, plan, paths, say, parts, corpora, lint=True)
            entries = [_apply_project(run, project, project_plan) for project, project_plan in pairs]
            if not no_deploy:  # what the servers log is deployment configuration: a pull request's apply leaves it
                from nerspec.deploy.monitoring import sync_settings

                for line in sync_settings(store, projects):
                    say(line)
            record = RunRecord(version=RUN_RESULT_VERSION, created=utc_now(), mode=operation, projects=entries)
            _write_run_result(paths, record, unchanged=run.kept == len(entries) and not plan.changes, say=say)
    finally:
        store.close()
    return RunResult(record, run.failures, run.refusals)


def _last_run_entries(paths: StatePaths) -> dict[str, ProjectRun]:
    last_run = read_run(paths.reports / "last-run.json")
    return {p.name: p for p in last_run.projects} if last_run is not None else {}


def _pair(projects: list[LoadedProject], plan: Plan) -> list[tuple[LoadedProject, ProjectPlan]]:
    by_name = {p.name: p for p in projects}
    pairs = []
    for project_plan in plan.projects:
        project = by_name.get(project_plan.name)
        if project is None:
            raise StateError(f"the plan names project {project_plan.name}, which is not among the inputs")
        pairs.append((project, project_plan))
    return pairs


def _write_run_result(paths: StatePaths, record: RunRecord, *, unchanged: bool, say: Progress) -> None:
    where = paths.reports / "last-run.json"
    if unchanged:
        # Nothing changed: the last run's report still describes every deployment; keep it as it is.
        say(f"run result: unchanged, {where} still describes what is deployed")
        return
    atomic.write_text(where, json.dumps(record.to_json(), indent=2, ensure_ascii=False) + "\n")
    say(f"run result: {where}")


def _apply_project(run: _Run, project: LoadedProject, project_plan: ProjectPlan) -> ProjectRun:
    ctx, name = run.ctx, project.name
    if not project_plan.actions:
        ctx.progress(f"{name}: no changes ({serving(project_plan)})")
        previous = run.previous.get(name)
        entry = noop_entry(project, project_plan, ctx.store, previous)
        if project_plan.rollouts:  # the rollouts' progress is news: the entry is rewritten with it
            entry = entry.model_copy(update={"rollouts": _rollout_lines(run, project_plan)})
        run.kept += entry is previous
        return entry
    result = ProjectRun(
        name=name,
        kind=project.kind,
        manifest_path=project_plan.manifest_path,
        plan=PlanSummary.from_json(project_plan.section()),
        model=None,
        evaluation=None,
        baseline=None,
        gates=GatesSummary(passed=True, results=[]),
        deploy=DeploySummary(will_deploy=False, deployed=[], skipped_reason=None),
        data_changes=project_plan.data_changes,
        lint=[],
        rollouts=_rollout_lines(run, project_plan),
    )
    model_action = project_plan.model_action
    gates_passed = True
    if model_action is not None:
        gates_passed = _model_and_gates(run, project, project_plan.fingerprint, model_action, result)
    deploys = project_plan.deploys
    result.deploy.will_deploy = bool(deploys) and gates_passed and not run.no_deploy
    if run.no_deploy:
        result.deploy.skipped_reason = "--no-deploy"
        if deploys or project_plan.rollout_actions:
            left = len(deploys) + len(project_plan.rollout_actions)
            ctx.progress(f"{name}: --no-deploy: {left} deployment(s) left as they are")
        return result
    result.rollout_actions = _end_rollouts(run, project, project_plan)
    if deploys and not gates_passed:
        result.deploy.skipped_reason = "gates failed"
        ctx.progress(f"{name}: gates failed; nothing deployed")
    elif deploys:
        result.deploy.deployed = _deploy_all(run, project, project_plan)
    _repair_and_remove(run, project, project_plan)
    return result


def _model_and_gates(
    run: _Run, project: LoadedProject, fp: str, action: ModelAction, result: ProjectRun
) -> bool:
    """Train or reuse the candidate, evaluate it (and the baseline), check the gates; fill ``result``."""
    from nerspec.gates import evaluate_gates, failures_message, summary
    from nerspec.model_scoring import evaluate_cached, score_baseline, significance
    from nerspec.staging import artifact_json, record_model, train_staged

    ctx, name = run.ctx, project.name
    corpus, split, result.lint = run.loaded[name]
    if isinstance(action, Train):
        ctx.progress(f"{name}: + train {short(fp)} ({'; '.join(action.reasons)})")
        train_staged(ctx, project, corpus, split, fp)
    else:
        ctx.progress(f"{name}: = reuse {short(fp)}")
        if ctx.store.get_model(fp) is None:
            record_model(ctx, project, corpus, fp)  # an interrupted apply's artifact
    record = ctx.store.get_model(fp)
    assert record is not None
    result.model = artifact_json(ctx, record, "meta.json")
    key = test_key(record.data_fingerprint, record.training_inputs)
    evaluation = result.evaluation = evaluate_cached(ctx, project, corpus, split, fp, key)
    baseline, baseline_failure = score_baseline(ctx, project, corpus, split, key)
    result.baseline = baseline
    baseline_evaluation = baseline.evaluation if baseline else None
    if baseline is not None and baseline_evaluation is not None and baseline.fingerprint != fp:
        from nerspec.evaluate.changes import document_changes

        against = {"deployment": baseline.deployment, "fingerprint": baseline.fingerprint}
        changes = document_changes(evaluation, baseline_evaluation, against=against)
        result.evaluation = evaluation.model_copy(update={"changes": changes})
    result.label_errors = _label_errors(run, project, corpus, fp, baseline)
    result.agreement = _agreement(project, corpus)
    spec = project.manifest.spec
    results = evaluate_gates(project.kind, [label.name for label in spec.labels], spec.gates, evaluation,
                             baseline_evaluation, significance(evaluation, baseline_evaluation))
    if baseline_failure is not None:
        # evaluate_gates saw no baseline and reported the regression gates as skipped ("nothing deployed
        # yet"); here something is deployed but unreadable, so the failure replaces those results.
        results = [r for r in results if not (r.skipped and r.name.startswith("regression."))]
        results.append(baseline_failure)
    result.gates = summary(results)
    for r in results:
        ctx.progress(f"{name}:   gate {'ok  ' if r.passed else 'FAIL'} {r.message}")
    passed = all(r.passed for r in results)
    if not passed:
        run.failures.append(failures_message(name, results))
    return passed


def _label_errors(run: _Run, project: LoadedProject, corpus: Corpus, fp: str, baseline: Baseline | None
                  ) -> JsonObject | None:
    """Likely label errors in the documents this change added or relabeled (against the compared deployment's
    model), when ``nerspec lint --label-errors`` cross-fitted these inputs before; never trains."""
    from nerspec.train.label_errors import cached_label_errors, report_entry

    found = cached_label_errors(project, corpus, run.ctx.paths, fp)
    if found is None:
        return None
    changed = None
    old = run.ctx.store.document_hashes(baseline.fingerprint) if baseline is not None else None
    if old is not None:
        from nerspec.fingerprints.documents import document_hashes

        changed = {doc_id for doc_id, sha in document_hashes(corpus).items() if old.get(doc_id) != sha}
    return report_entry(found, changed)


def _agreement(project: LoadedProject, corpus: Corpus) -> dict[str, object] | None:
    """Annotator agreement for the report (beside the model's F1), where documents have several annotators."""
    from nerspec.evaluate.agreement import agreement
    from nerspec.kinds import kind_of

    found = agreement(corpus.documents, kind_of(project.kind).annotates_spans, project.manifest.spec.multilabel)
    return found.to_json() if found.annotated else None


def _rollout_lines(run: _Run, project_plan: ProjectPlan) -> list[dict[str, object]]:
    for line in project_plan.rollouts:
        run.ctx.progress(f"{project_plan.name}: rollout {rollout_line(line)}")
    return [dict(line.to_json()) for line in project_plan.rollouts]


def _end_rollouts(run: _Run, project: LoadedProject, project_plan: ProjectPlan) -> list[dict[str, object]]:
    """Act on the rollouts' verdicts (promote, abort) and drop candidates the manifest no longer asks for. These
    concern models that passed their gates when they were staged, so they do not wait for this run's gates."""
    from nerspec.rollout import act

    done: list[dict[str, object]] = []
    for action in project_plan.rollout_actions:
        if isinstance(action, Promote):
            done.append({**act.promote(run.ctx, project, action)})  # the run record keeps it as given
            failed = smoke(run.ctx, project, action.deployment, action.from_fp, action.to)
            if failed is not None:
                done[-1]["smoke_failed"] = failed.failure
                run.failures.append(failed.message)
        elif isinstance(action, (AbortRollout, DropRollout)):
            done.append({**act.end(run.ctx, project, action)})
            if isinstance(action, AbortRollout):
                run.failures.append(f"{project.name}/{action.deployment}: rollout of {short(action.candidate)} "
                                    f"failed ({'; '.join(action.reasons)}); the candidate is dropped, production "
                                    "is unchanged")
    return done


def _deploy_all(run: _Run, project: LoadedProject, project_plan: ProjectPlan) -> list[Deployed]:
    from nerspec.rollout import act

    deployed = []
    fp = project_plan.fingerprint
    for action in project_plan.deploys:
        if isinstance(action, StageRollout):
            act.stage(run.ctx, project, action)
            continue  # production keeps answering: nothing is deployed yet
        switch(run.ctx, project, action.deployment, action.from_fp, fp, "deploy", "; ".join(action.reasons))
        entry = Deployed(deployment=action.deployment, from_fp=action.from_fp, to=fp)
        failed = smoke(run.ctx, project, action.deployment, action.from_fp, fp)
        if failed is not None:
            entry.smoke_failed = failed.failure
            run.failures.append(failed.message)
        deployed.append(entry)
    return deployed


def _repair_and_remove(run: _Run, project: LoadedProject, project_plan: ProjectPlan) -> None:
    from nerspec.deploy_steps import remove, repair

    for action in project_plan.actions:
        if isinstance(action, Repair):
            refusal = repair(run.ctx, project, action, project_plan.fingerprint)
            if refusal is not None:
                run.refusals.append(refusal)
        elif isinstance(action, RemoveDeployment):
            run.ctx.progress(f"{project.name}: - remove deployment {action.deployment}")
            remove(run.ctx, project, action.deployment)


__all__ = ["RunParts", "RunResult", "apply", "check_data", "execute", "make_plan"]
