"""``nerspec apply``: execute a plan. Train or reuse -> evaluate on the test split -> gates -> deploy -> record.

Crash safety comes from ordering, not from cleanup code: an artifact appears by one rename of a complete
staged directory; the state records a model only after its artifact exists; a pointer is switched (atomic
replace) only to a complete artifact and only after the gates passed; the state records a deployment after
its pointer switched, so a kill in between is seen by the next plan as "already serves it, recording it".
Leftover ``.partial`` directories are from dead applies (we hold the lock) and are removed.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec import atomic
from nerspec.deploy.intent import finish_pending as finish_interrupted
from nerspec.errors import DataError, DeployError, GateFailed, StateError
from nerspec.lastrun import noop_entry, read_run
from nerspec.paths import StatePaths
from nerspec.plan import Plan, check_fresh, collect_inputs, compute_plan, serving, short, test_key
from nerspec.state.crashpoints import pause
from nerspec.state.store import DeploymentRecord, ModelRecord, actor, utc_now

if TYPE_CHECKING:  # the gates import the manifest schema: `plan` does not need them
    from nerspec.gates import GateResult

Progress = Callable[[str], None]
# trainer(project, corpus, split, out_dir, fingerprint, data_fp, paths=...): writes model/ and meta.json into out_dir
Trainer = Callable[..., Any]
# evaluator(project, corpus, split, model_dir) -> evaluation JSON
Evaluator = Callable[..., dict[str, Any]]
RUN_RESULT_VERSION = 1


@dataclass
class Engine:
    """The pluggable parts (tests inject fakes; ``NERSPEC_TEST_TRAINER=module:function`` does it in a subprocess)."""

    trainer: Trainer | None = None
    evaluator: Evaluator | None = None
    load_corpus: Callable[..., Any] | None = None
    split_corpus: Callable[..., Any] | None = None

    def resolved(self) -> Engine:
        return Engine(
            trainer=self.trainer or _hook("NERSPEC_TEST_TRAINER") or _default_trainer,
            evaluator=self.evaluator or _hook("NERSPEC_TEST_EVALUATOR") or _default_evaluator,
            load_corpus=self.load_corpus or _hook("NERSPEC_TEST_LOAD_CORPUS") or _default_load_corpus,
            split_corpus=self.split_corpus or _hook("NERSPEC_TEST_SPLIT") or _default_split,
        )


def _hook(variable: str) -> Any:
    spec = os.environ.get(variable)
    if not spec:
        return None
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _default_trainer(
    project: Any, corpus: Any, split: Any, out_dir: Path, fingerprint: str, data_fp: Any, *, paths: StatePaths
) -> Any:
    from nerspec.train import train

    # train() stages and renames its own artifact under output_dir; apply owns the staging (and the crash
    # points around it), so train into a scratch store inside our staged directory and lift the result up.
    scratch = out_dir / ".train"
    artifact = train(project, corpus, split, paths=paths, output_dir=scratch, fingerprint=fingerprint)
    for entry in Path(artifact.path).iterdir():
        entry.rename(out_dir / entry.name)
    shutil.rmtree(scratch, ignore_errors=True)
    return artifact


def _default_evaluator(project: Any, corpus: Any, split: Any, model_dir: Path) -> dict[str, Any]:
    from nerspec.evaluate.run import evaluate_model

    return evaluate_model(project, corpus, split, model_dir)


def _default_load_corpus(project: Any, cache_dir: Path | None = None) -> Any:
    from nerspec.corpus.load import load_corpus

    return load_corpus(project, cache_dir)


def _default_split(project: Any, corpus: Any) -> Any:
    from nerspec.corpus.split import split_corpus

    return split_corpus(project, corpus)


def document_hashes_loader(
    paths: StatePaths, engine: Engine | None = None, corpora: dict[str, Any] | None = None
) -> Callable[[Any, dict[str, str] | None], dict[str, str]]:
    """For ``collect_inputs``: document hashes of a project's current corpus (loaded only when data changed),
    with labels renamed back to the names the previous model's hashes used. Loaded corpora are kept in
    ``corpora`` (by project name) for the data checks that follow."""
    resolved = (engine or Engine()).resolved()

    def load(project: Any, rename: dict[str, str] | None = None) -> dict[str, str]:
        from nerspec.fingerprint import document_hashes

        assert resolved.load_corpus is not None
        corpus = resolved.load_corpus(project, paths.cache)
        if corpora is not None:
            corpora[project.name] = corpus
        return document_hashes(corpus, rename)

    return load


def make_plan(
    projects: list[Any], paths: StatePaths, store: Any, engine: Engine | None = None,
    corpora: dict[str, Any] | None = None,
) -> Plan:
    inputs = collect_inputs(projects, paths, store, document_hashes_loader(paths, engine, corpora))
    return compute_plan(inputs, store.snapshot()["sha256"])


def check_plan_data(
    projects: list[Any], plan: Plan, paths: StatePaths, progress: Progress | None = None,
    engine: Engine | None = None, corpora: dict[str, Any] | None = None, *, lint: bool = False,
    outcome: str = "nothing trained",
) -> dict[str, tuple[Any, Any, list[dict[str, Any]]]]:
    """The data checks apply runs before training, for every project the plan trains or reuses a model for:
    raise one ``DataError`` with every located error of all of them (so `plan` fails exactly when `apply`
    would), report warnings through ``progress``; return (corpus, split, lint) per checked project.
    Projects without model changes are not loaded: their data is what their model was checked with."""
    from nerspec.errors import Problem

    resolved = (engine or Engine()).resolved()
    say = progress or (lambda _message: None)
    by_name = {p.name: p for p in projects}
    problems: list[Problem] = []
    failed: list[str] = []
    loaded: dict[str, tuple[Any, Any, list[dict[str, Any]]]] = {}
    for project_plan in plan.projects:
        project = by_name.get(project_plan["name"])
        if project is None or not any(a["type"] in ("train", "reuse") for a in project_plan["actions"]):
            continue
        corpus = (corpora or {}).get(project.name) or resolved.load_corpus(project, paths.cache)  # type: ignore[misc]
        split = resolved.split_corpus(project, corpus)  # type: ignore[misc]
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
        loaded[project.name] = (corpus, split, findings)
    if problems:
        raise DataError(
            problems,
            summary=f"{len(problems)} data error{'s' if len(problems) != 1 else ''} in {', '.join(failed)}; {outcome}",
        )
    return loaded


@dataclass
class _Context:
    paths: StatePaths
    store: Any
    engine: Engine
    progress: Progress
    no_deploy: bool
    who: str
    results: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # repairs apply cannot do (damaged, unrebuildable models)
    # project name -> (corpus, split, lint findings as dicts), loaded once by the data checks before any training
    loaded: dict[str, tuple[Any, Any, list[dict[str, Any]]]] = field(default_factory=dict)
    previous: dict[str, dict[str, Any]] = field(default_factory=dict)  # the last run's entries, by project
    kept: int = 0  # no-op projects whose last-run entry still describes what they serve
    _targets: Any = None

    @property
    def targets(self) -> Any:
        """Deployment targets and the artifact store (``nerspec.deploy.targets.TargetContext``)."""
        if self._targets is None:
            from nerspec.deploy.targets import TargetContext

            self._targets = TargetContext(self.paths, self.store)
        return self._targets


def check_data(project: Any, corpus: Any, split: Any = None) -> list[Any]:
    """Run the blocking data checks; raise ``DataError`` naming every error, return the warnings.

    ``split`` is reused when it is a real ``SplitResult`` (the checks need its sides for leakage); an
    injected test split without ``side_of`` makes the checks compute their own.
    """
    from nerspec.corpus.checks import check_corpus, errors, warnings

    findings = check_corpus(project, corpus, split if hasattr(split, "side_of") else None)
    blocking = errors(findings)
    if blocking:
        raise DataError([f.problem() for f in blocking], summary=_data_summary(project.name, len(blocking)))
    return warnings(findings)


def _data_summary(name: str, count: int) -> str:
    return f"{name}: {count} data error{'s' if count != 1 else ''}; nothing trained"


def lint_findings(project: Any, corpus: Any) -> list[dict[str, Any]]:
    """Label lint of the corpus as run-result dicts (one pass over documents already in memory)."""
    from nerspec.corpus.lint import lint_corpus

    return [finding.to_dict() for finding in lint_corpus(project, corpus)]


def apply(
    projects: list[Any],
    paths: StatePaths,
    *,
    saved_plan: Plan | None = None,
    no_deploy: bool = False,
    lock_timeout: float = 0.0,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the plan for ``projects``; return the run result (also written to ``<state>/reports/last-run.json``).

    Raises ``GateFailed`` (after recording state and writing the run result) when any project failed a gate.
    """
    from nerspec.state import open_store

    say = progress or (lambda _message: None)
    store = open_store(paths)
    operation = "apply --no-deploy" if no_deploy else "apply"
    # The store owns its lock (SQLite: the state directory's lock file; PostgreSQL: per-project advisory locks).
    with _closing(store), store.locked(operation, sorted({p.name for p in projects}), lock_timeout):
        _remove_stale_partials(paths, time.time())
        for done in finish_interrupted(paths, store, projects):  # a killed rollback/swap, as the user asked
            say(done)
        resolved = (engine or Engine()).resolved()
        corpora: dict[str, Any] = {}
        plan = make_plan(projects, paths, store, resolved, corpora)
        if saved_plan is not None:
            check_fresh(saved_plan, plan)
            plan = saved_plan
        ctx = _Context(paths, store, resolved, say, no_deploy, actor())
        last_run = read_run(paths.reports / "last-run.json")
        ctx.previous = {
            p["name"]: p for p in (last_run or {}).get("projects", []) if isinstance(p, dict) and isinstance(p.get("name"), str)
        }
        by_name = {p.name: p for p in projects}
        pairs = []
        for project_plan in plan.projects:
            project = by_name.get(project_plan["name"])
            if project is None:
                raise StateError(f"the plan names project {project_plan['name']}, which is not among the inputs")
            pairs.append((project, project_plan))
        # Every project's data is checked before anything trains, so a data error in the second project
        # does not leave the first one trained and deployed from a run that then fails.
        ctx.loaded = check_plan_data(projects, plan, paths, say, resolved, corpora, lint=True)
        for project, project_plan in pairs:
            ctx.results.append(_apply_project(ctx, project, project_plan))
        result = {
            "version": RUN_RESULT_VERSION,
            "created": utc_now(),
            "mode": "apply --no-deploy" if no_deploy else "apply",
            "projects": ctx.results,
        }
        if ctx.kept == len(ctx.results) and not plan.changes:
            # Nothing changed: the last run's report still describes every deployment; keep it as it is.
            say(f"run result: unchanged, {paths.reports / 'last-run.json'} still describes what is deployed")
        else:
            atomic.write_text(paths.reports / "last-run.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            say(f"run result: {paths.reports / 'last-run.json'}")
    if ctx.failures or ctx.refusals:
        # Gate failures keep their own exit code (3); a refused repair alone is an ordinary error (1).
        error: Exception = (GateFailed if ctx.failures else DeployError)("\n".join([*ctx.failures, *ctx.refusals]))
        error.result = result  # type: ignore[attr-defined]
        raise error
    return result


@contextlib.contextmanager
def _closing(store: Any) -> Iterator[Any]:
    try:
        yield store
    finally:
        store.close()


def _remove_stale_partials(paths: StatePaths, lock_taken: float) -> None:
    """Remove staging directories of killed runs. Called only while holding the lock, so no apply is writing
    one; but ``nerspec train`` stages into the same store without the lock, so only directories in which nothing
    changed since we took the lock are stale (a live training keeps writing checkpoints into its own)."""
    if not paths.models.is_dir():
        return
    from nerspec.owner import owner_alive

    for leftover in paths.models.glob(".*.partial"):
        alive = owner_alive(leftover.name)
        if alive is None:  # no owner record on this host: only untouched since we took the lock is stale
            newest = _newest_mtime(leftover)
            alive = newest is None or newest >= lock_taken
        if not alive:
            shutil.rmtree(leftover, ignore_errors=True)


def _newest_mtime(root: Path) -> float | None:
    """The latest mtime in a directory tree; None when it changes under us (someone is still writing it)."""
    try:
        newest = root.lstat().st_mtime
        for folder, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                newest = max(newest, (Path(folder) / name).lstat().st_mtime)
    except FileNotFoundError:
        return None
    return newest


def _apply_project(ctx: _Context, project: Any, project_plan: dict[str, Any]) -> dict[str, Any]:
    actions = project_plan["actions"]
    name = project.name
    result: dict[str, Any] = {
        "name": name,
        "kind": project.kind,
        "manifest_path": project_plan["manifest_path"],
        "plan": {"actions": actions, "notes": project_plan.get("notes", [])},
        "model": None,
        "evaluation": None,
        "baseline": None,
        "gates": {"passed": True, "results": []},
        "deploy": {"will_deploy": False, "deployed": [], "skipped_reason": None},
        "data_changes": project_plan.get("data_changes"),
        "lint": [],
    }
    fp = project_plan["fingerprint"]
    model_actions = [a for a in actions if a["type"] in ("train", "reuse")]
    deploys = [a for a in actions if a["type"] == "deploy"]
    if not actions:
        ctx.progress(f"{name}: no changes ({serving(project_plan)})")
        previous = ctx.previous.get(name)
        entry = noop_entry(project, project_plan, ctx.store, previous)
        ctx.kept += entry is previous
        return entry

    from nerspec.gates import evaluate_gates, failures_message, summary

    results: list[GateResult] = []
    if model_actions:
        corpus, split, result["lint"] = ctx.loaded[name]
        action = model_actions[0]
        if action["type"] == "train":
            ctx.progress(f"{name}: + train {short(fp)} ({'; '.join(action['reasons'])})")
            _train(ctx, project, corpus, split, fp)
        else:
            ctx.progress(f"{name}: = reuse {short(fp)}")
            if ctx.store.get_model(fp) is None:
                _record_model(ctx, project, corpus, fp)  # an interrupted apply's artifact
        record = ctx.store.get_model(fp)
        assert record is not None
        result["model"] = _artifact_json(ctx, record, "meta.json")
        key = test_key(record.data_fingerprint, record.training_inputs)
        evaluation = _evaluate(ctx, project, corpus, split, fp, key)
        result["evaluation"] = evaluation
        baseline, baseline_failure = _baseline(ctx, project, corpus, split, fp, key)
        result["baseline"] = baseline
        if baseline is not None and baseline["fingerprint"] != fp:
            from nerspec.evaluate.changes import document_changes

            against = {"deployment": baseline["deployment"], "fingerprint": baseline["fingerprint"]}
            result["evaluation"] = {**evaluation, "changes": document_changes(evaluation, baseline["evaluation"],
                                                                               against=against)}
        significance = _significance_test(evaluation, baseline["evaluation"] if baseline else None)
        results = evaluate_gates(
            project.kind,
            [label.name for label in project.manifest.spec.labels],
            project.manifest.spec.gates,
            evaluation,
            baseline["evaluation"] if baseline else None,
            significance,
        )
        if baseline_failure is not None:
            # evaluate_gates saw no baseline and reported the regression gates as skipped ("nothing deployed
            # yet"); here something is deployed but unreadable, so the failure replaces those results.
            results = [r for r in results if not (r.skipped and r.name.startswith("regression."))]
            results.append(baseline_failure)
        passed = all(r.passed for r in results)
        result["gates"] = summary(results)
        for r in results:
            ctx.progress(f"{name}:   gate {'ok  ' if r.passed else 'FAIL'} {r.message}")
        if not passed:
            ctx.failures.append(failures_message(name, results))

    gates_passed = all(r.passed for r in results)
    result["deploy"]["will_deploy"] = bool(deploys) and gates_passed and not ctx.no_deploy
    if ctx.no_deploy:
        result["deploy"]["skipped_reason"] = "--no-deploy"
        if deploys:
            ctx.progress(f"{name}: --no-deploy: {len(deploys)} deployment(s) left as they are")
        return result
    if deploys and not gates_passed:
        result["deploy"]["skipped_reason"] = "gates failed"
        ctx.progress(f"{name}: gates failed; nothing deployed")
    elif deploys:
        for action in deploys:
            _deploy(ctx, project, action["deployment"], action["from"], fp, "deploy", "; ".join(action["reasons"]))
            entry = {"deployment": action["deployment"], "from": action["from"], "to": fp}
            failure = _smoke(ctx, project, action["deployment"], action["from"], fp)
            if failure is not None:
                entry["smoke_failed"] = failure
            result["deploy"]["deployed"].append(entry)
    for action in actions:
        if action["type"] == "repair":
            _repair(ctx, project, action, fp)
        elif action["type"] == "remove_deployment":
            ctx.progress(f"{name}: - remove deployment {action['deployment']}")
            _remove(ctx, project, action["deployment"])
    return result


def _train(ctx: _Context, project: Any, corpus: Any, split: Any, fp: str) -> None:
    from nerspec import fingerprint as fpmod
    from nerspec.deploy import local

    final = local.model_dir(ctx.paths, fp)
    if final.exists() and not local.is_complete(final):
        raise StateError(f"{final} exists but is incomplete; move it away and run apply again")
    if final.exists():
        # Damaged outside nerspec (the plan said so): keep it for inspection, train a fresh one.
        final.rename(final.with_name(f".{fp}.damaged-{int(time.time())}"))
        ctx.store.forget_model(fp)
    data_fp = fpmod.data_fingerprint(project, ctx.paths.cache)
    started = time.monotonic()
    with atomic.staged_dir(final) as staged:
        pause("train")
        ctx.engine.trainer(project, corpus, split, staged, fp, data_fp, paths=ctx.paths)  # type: ignore[misc]
        _complete_artifact(project, corpus, staged, fp, data_fp, time.monotonic() - started)
        pause("artifact")
    ctx.progress(f"{project.name}:   trained {short(fp)} in {time.monotonic() - started:.1f}s -> {final}")
    _record_model(ctx, project, corpus, fp, data_fp)


def _complete_artifact(project: Any, corpus: Any, staged: Path, fp: str, data_fp: Any, seconds: float) -> None:
    """Fill in what the contract asks of an artifact when the trainer did not write it."""
    from nerspec import fingerprint as fpmod

    if not (staged / "manifest.json").exists():
        atomic.write_text(staged / "manifest.json", json.dumps(project.manifest.model_dump(mode="json"), indent=2))
    if not (staged / "fingerprints.json").exists():
        payload = {"data_files": data_fp.files, "documents": fpmod.document_hashes(corpus)}
        atomic.write_text(staged / "fingerprints.json", json.dumps(payload))
    if not (staged / "meta.json").exists():
        spec = project.manifest.spec
        meta = {
            "fingerprint": fp,
            "project": project.name,
            "kind": project.kind,
            "labels": [label.name for label in spec.labels],
            "language": project.manifest.metadata.language,
            "multilabel": bool(getattr(spec, "multilabel", False)),
            "threshold": spec.training.threshold,
            "created": utc_now(),
            "training_seconds": round(seconds, 3),
            "versions": fpmod.versions(),
            "data_fingerprint": data_fp.sha256,
            "seed": spec.training.seed,
        }
        atomic.write_text(staged / "meta.json", json.dumps(meta, indent=2))


def _record_model(ctx: _Context, project: Any, corpus: Any, fp: str, data_fp: Any = None) -> None:
    """Record a complete artifact; with an object store it is published first (files, then its manifest), so the
    state never names a model other machines cannot fetch. A kill in between leaves a published, unrecorded
    model that the next plan adopts ("reuse") instead of training it again."""
    from nerspec import fingerprint as fpmod
    from nerspec.artifacts import file_hashes
    from nerspec.deploy import local

    artifact = local.model_dir(ctx.paths, fp)
    store = ctx.targets.artifact_store
    cache = fpmod.StatCache(ctx.paths.cache, scope="artifacts")
    if not local.is_complete(artifact) and store.remote:  # adopted from the shared store: bring it here
        artifact = store.fetch(fp, {}, cache)
    data_fp = data_fp or fpmod.data_fingerprint(project, ctx.paths.cache)
    meta = _read_json(artifact / "meta.json") or {}
    files = file_hashes(artifact, cache)
    cache.save()
    if store.remote:
        size = sum((artifact / rel).stat().st_size for rel in files)
        ctx.progress(f"{project.name}:   uploading {short(fp)} ({len(files)} files, {size / 1e6:.1f} MB) to "
                     f"{store.location(fp)}")
        started = time.monotonic()
        store.publish(fp, artifact, files)
        ctx.targets.forget_checks(fp)
        ctx.progress(f"{project.name}:   uploaded {short(fp)} in {time.monotonic() - started:.1f}s (manifest last)")
    ctx.store.record_model(
        ModelRecord(
            project=project.name,
            fingerprint=fp,
            created=meta.get("created") or utc_now(),
            data_fingerprint=data_fp.sha256,
            model_dir=store.location(fp) if store.remote else str(artifact),
            training_inputs=fpmod.training_inputs(project),
            versions=meta.get("versions") or fpmod.versions(),
            artifact_files=files,
        ),
        document_hashes=fpmod.document_hashes(corpus),
    )


def _evaluate(ctx: _Context, project: Any, corpus: Any, split: Any, fp: str, key: str) -> dict[str, Any]:
    cached = ctx.store.evaluation(fp, key)
    if cached is not None:
        ctx.progress(f"{project.name}:   evaluation of {short(fp)} on this test split: recorded")
        return cached
    artifact = ctx.targets.local_model(fp)  # from the object store only when it must be scored here
    pause("evaluate")
    started = time.monotonic()
    evaluation = ctx.engine.evaluator(project, corpus, split, artifact)  # type: ignore[misc]
    # evaluation.json is not part of the artifact's recorded files (drift ignores it), so writing it is safe.
    atomic.write_text(artifact / "evaluation.json", json.dumps(evaluation, indent=2, ensure_ascii=False))
    ctx.store.record_evaluation(project.name, fp, key, evaluation)
    micro = evaluation.get("micro", {})
    ctx.progress(
        f"{project.name}:   evaluated {short(fp)} in {time.monotonic() - started:.1f}s: micro F1 "
        f"{micro.get('f1', 0.0):.3f} (P {micro.get('precision', 0.0):.3f}, R {micro.get('recall', 0.0):.3f})"
    )
    return evaluation


def _baseline(
    ctx: _Context, project: Any, corpus: Any, split: Any, fp: str, key: str
) -> tuple[dict[str, Any] | None, GateResult | None]:
    regression = project.manifest.spec.gates.regression
    if regression is None:
        return None, None
    deployed = ctx.store.deployments(project.name).get(regression.against)
    if deployed is None:
        return None, None
    from nerspec.deploy import local

    baseline_fp = deployed.fingerprint
    record = ctx.store.get_model(baseline_fp)
    stored = ctx.targets.artifact_store
    if record is None or not (local.is_complete(local.model_dir(ctx.paths, baseline_fp))
                              or (stored.remote and stored.exists(baseline_fp))
                              or local.is_complete(Path(record.model_dir))):
        from nerspec.gates import GateResult

        failure = GateResult(
            "regression", "micro_f1", None, 0.0, None, None, False,
            f"regression: the model in {regression.against} ({short(baseline_fp)}) is missing; cannot compare",
        )
        return None, failure
    # Both models are scored on the candidate's (current) test split, so the comparison is fair.
    evaluation = _evaluate(ctx, project, corpus, split, baseline_fp, key)
    return {"deployment": regression.against, "fingerprint": baseline_fp, "evaluation": evaluation}, None


def _significance_test(evaluation: dict[str, Any], baseline: dict[str, Any] | None) -> Any:
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


def _deploy(ctx: _Context, project: Any, deployment: str, from_fp: str | None, to_fp: str, action: str, why: str) -> None:
    from nerspec.deploy.targets import declared_target, target_for
    from nerspec.deploy.verify import changed_files

    record = ctx.store.get_model(to_fp)
    local_copy = Path(record.model_dir) if record is not None else None
    # Hashed in full where the artifact is a local directory: the plan's stat cache trusts size + mtime.
    changed = changed_files(local_copy, record.artifact_files) if local_copy is not None and local_copy.is_dir() else []
    if changed:
        raise DeployError(
            f"{project.name}: not deploying {short(to_fp)} to {deployment}: its files {', '.join(changed[:3])} do "
            f"not match their recorded hashes (changed outside nerspec); run `nerspec plan` again"
        )
    target = declared_target(project, deployment)
    recorded_target = target_for(target).switch(ctx.targets, project.name, deployment, to_fp, target)
    pause("record-deploy")
    ctx.store.set_deployment(
        DeploymentRecord(project.name, deployment, to_fp, recorded_target, utc_now()),
        action=action,
        actor=ctx.who,
        reason=why,
        expected_from=from_fp,
    )
    if action == "repair":
        ctx.progress(f"{project.name}: ~ repaired {deployment}: serves {short(to_fp)} again (files verified)")
    elif action == "rollback":
        ctx.progress(f"{project.name}: ~ switched {deployment} back: {short(from_fp)} -> {short(to_fp)}")
    else:
        ctx.progress(f"{project.name}: ~ deployed {deployment}: {short(from_fp)} -> {short(to_fp)}")


def _smoke(ctx: _Context, project: Any, deployment: str, from_fp: str | None, to_fp: str) -> str | None:
    """Run the deployment's smoke checks through its target; on failure switch back (or remove a first deploy),
    record both steps in the history, and fail the run (exit 3) naming the text. Returns the failure."""
    from nerspec.deploy.smoke import run_checks
    from nerspec.deploy.targets import declared_target, target_for

    spec = {d.name: d for d in project.manifest.spec.deployments}.get(deployment)
    if spec is None or not spec.smoke:
        return None
    target = declared_target(project, deployment)
    model_dir = None if getattr(target, "url", None) else ctx.targets.local_model(to_fp)
    failure = run_checks(list(spec.smoke), target, project.name, deployment, to_fp, model_dir)
    if failure is None:
        ctx.progress(f"{project.name}:   smoke checks of {deployment} passed ({len(spec.smoke)})")
        return None
    ctx.progress(f"{project.name}:   {deployment}: {failure}")
    why = f"{failure}; switched back automatically"
    if from_fp is not None:
        _deploy(ctx, project, deployment, to_fp, from_fp, "rollback", why)
        back = f"switched back to {short(from_fp)}"
    else:
        recorded = ctx.store.deployments(project.name).get(deployment)
        target_for(recorded.target if recorded else target).remove(ctx.targets, project.name, deployment,
                                                                   recorded.target if recorded else {})
        ctx.store.remove_deployment(project.name, deployment, actor=ctx.who, reason=why)
        back = "removed it (nothing was deployed before)"
    ctx.failures.append(f"{project.name}/{deployment}: {failure}; {back}")
    return failure


def _repair(ctx: _Context, project: Any, action: dict[str, Any], candidate: str) -> None:
    """Re-point a drifted deployment at its recorded model, after checking that model's files against the hashes
    recorded when it was stored: re-pointing at damaged files would only hide the damage (and the plan would ask
    for the same repair forever). A damaged model here is not the candidate, so apply cannot rebuild it: refuse."""
    from nerspec.deploy import local
    from nerspec.plan import unrebuildable_hint

    deployment, recorded = action["deployment"], action["fingerprint"]
    ctx.progress(f"{project.name}: ! repair {deployment} ({short(recorded)})")
    record = ctx.store.get_model(recorded)
    artifact = record.model_dir if record is not None else local.model_dir(ctx.paths, recorded)
    if ctx.targets.model_damaged(recorded):
        served = ctx.store.served(project.name, deployment)
        ctx.refusals.append(
            f"{project.name}/{deployment}: not repaired: the files of {short(recorded)} in {artifact} were changed "
            f"or deleted outside nerspec; {unrebuildable_hint(deployment, recorded, candidate, candidate in served)}"
        )
        ctx.progress(f"{project.name}:   cannot repair {deployment}: model {short(recorded)} is damaged")
        return
    _deploy(ctx, project, deployment, recorded, recorded, "repair", "; ".join(action["reasons"]))


def _remove(ctx: _Context, project: Any, deployment: str) -> None:
    """Stop whatever serves the deployment (local pointer, remote server, shared registry), then forget it."""
    from nerspec.deploy.targets import target_for

    recorded = ctx.store.deployments(project.name).get(deployment)
    target = recorded.target if recorded is not None else {"type": "local"}
    target_for(target).remove(ctx.targets, project.name, deployment, target)
    ctx.store.remove_deployment(project.name, deployment, actor=ctx.who, reason="no longer declared in the manifest")


def _artifact_json(ctx: _Context, record: Any, name: str) -> dict[str, Any] | None:
    """A small JSON file of a recorded model: from the local copy, else straight from the artifact store."""
    from nerspec.artifacts import local_dir

    found = _read_json(local_dir(ctx.paths, record.fingerprint, record.model_dir) / name)
    if found is None and "://" in record.model_dir:
        raw = ctx.targets.artifact_store.read_file(record.fingerprint, name)
        try:
            found = json.loads(raw) if raw is not None else None
        except ValueError:
            found = None
    return found


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


__all__ = ["Engine", "apply", "make_plan"]
