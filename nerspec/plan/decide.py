"""The pure decision: ``compute_plan`` maps ``ProjectInputs`` (built by ``nerspec.plan.observe``, or by hand in
tests) to a typed ``Plan``. No files, no state store, no clock: the same inputs always give the same plan."""

from __future__ import annotations

from dataclasses import dataclass, field

from nerspec.plan.actions import (
    AbortRollout,
    Action,
    Deploy,
    DropRollout,
    ModelAction,
    Plan,
    ProjectPlan,
    Promote,
    RemoveDeployment,
    Repair,
    Reuse,
    StageRollout,
    Train,
)
from nerspec.plan.inputs import (
    Hold,
    ObservedDeployment,
    ProjectInputs,
    RolloutLine,
    StagedRollout,
    inputs_sha256,
    short,
)
from nerspec.plan.reasons import train_reasons


def compute_plan(inputs: list[ProjectInputs], state_sha256: str = "") -> Plan:
    return Plan(projects=[project_plan(p) for p in inputs], inputs_sha256=inputs_sha256(inputs, state_sha256))


@dataclass
class _Decisions:
    """What the deployments of one project ask for, gathered in the order the plan lists them."""

    needs_candidate: bool
    notes: list[str] = field(default_factory=list)
    deploys: list[Deploy | StageRollout] = field(default_factory=list)
    rollouts: list[Action] = field(default_factory=list)  # promotions, aborts and drops of staged candidates
    lines: list[RolloutLine] = field(default_factory=list)  # rollouts in progress
    repairs: list[Repair] = field(default_factory=list)
    removals: list[RemoveDeployment] = field(default_factory=list)


def project_plan(p: ProjectInputs) -> ProjectPlan:
    # Train it even without deployments (CI evaluates it); adopt an interrupted apply's complete artifact.
    decided = _Decisions(needs_candidate=p.candidate_recorded is None or p.candidate_orphan)
    for d in p.deployments:
        if d.unreachable:
            decided.notes.append(
                f"{d.name}: remote {d.unreachable}; cannot tell what it serves (recorded {short(d.recorded)})")
        decided.notes.extend(d.notes)
        _decide_deployment(d, p, decided)
    model = _model_action(p) if decided.needs_candidate else None
    return ProjectPlan(
        name=p.name,
        kind=p.kind,
        manifest_path=p.manifest_path,
        fingerprint=p.candidate,
        data_fingerprint=p.data_fingerprint,
        data_changes=p.data_changes,
        serves={d.name: d.actual if d.actual is not None else d.recorded for d in p.deployments if d.desired},
        actions=[*([model] if model else []), *decided.rollouts, *decided.deploys, *decided.repairs,
                 *decided.removals],
        notes=decided.notes,
        rollouts=decided.lines,
    )


def _model_action(p: ProjectInputs) -> ModelAction:
    if p.candidate_orphan and p.candidate_origin:
        return Reuse(p.candidate, [f"trained by the state {p.candidate_origin} on this machine (`make demo`, or an "
                                   "apply with that state); recording it in this state instead of training"])
    if p.candidate_orphan:
        return Reuse(p.candidate, ["complete artifact this state never recorded (left by an interrupted apply, or "
                                   "trained by another state using the same models); recording it instead of training"])
    if p.candidate_recorded is None or p.candidate_damaged:
        return Train(p.candidate, train_reasons(p))
    return Reuse(p.candidate, [f"identical fingerprint trained {p.candidate_recorded}; not training it again"])


def _decide_deployment(d: ObservedDeployment, p: ProjectInputs, decided: _Decisions) -> None:
    if not d.desired:
        if d.recorded is None and d.actual_origin:  # that state's deployment: not this state's to remove
            decided.notes.append(f"{d.name}: this machine's pointer serves {short(d.actual)}, deployed by the state "
                                 f"{d.actual_origin}; this state does not record {d.name}, so it is left alone")
        elif d.recorded is not None or d.actual is not None:  # a pointer alone: the drift says where it came from
            why = list(d.drift) if d.recorded is None and d.drift else ["no longer declared in the manifest"]
            decided.removals.append(RemoveDeployment(d.name, d.recorded or d.actual, why))
        return
    if d.pending_to is not None:  # a killed rollback/swap: apply finishes it first, in the direction asked
        decided.repairs.append(Repair(d.name, _target_type(d), d.pending_to, [str(d.pending_reason), *d.drift]))
        return
    if d.rollout is not None and _decide_rollout(d, d.rollout, p, decided):
        return
    if d.recorded == p.candidate and not p.candidate_damaged:
        if d.drift:
            decided.repairs.append(Repair(d.name, _target_type(d), d.recorded, list(d.drift)))
        return
    if d.recorded == p.candidate and p.candidate_damaged:
        reasons = ["the deployed model's files were changed or deleted outside nerspec", *d.drift]
        decided.deploys.append(_deploy(d, p, reasons))
        decided.needs_candidate = True
        return
    released = None
    hold = next((h for h in d.holds if h.fingerprint == p.candidate), None)
    if hold is None and p.candidate in d.rolled_back_from:  # inputs built by hand: a hold without details
        hold = Hold(p.candidate, "", "")
    if hold is not None:
        released = _released(d, hold)
        if released is None:
            decided.notes.append(_held_back(d, hold))
            if d.drift:
                decided.repairs.append(_repair(d, p))
            return
    if d.promote_from is not None and p.candidate not in _served(p, d.promote_from):
        decided.notes.append(
            f"{d.name} waits: {short(p.candidate)} has not been served by {d.promote_from} yet (promote_from)")
        if d.drift and d.recorded is not None:
            decided.repairs.append(_repair(d, p))
        return
    if d.rollout_strategy is not None and d.recorded is not None and not d.drift:
        decided.deploys.append(_stage(d, p))
    else:  # a first deploy has nothing to compare the candidate with; a drifted one is repaired by deploying
        reasons = _deploy_reasons(d, p)
        decided.deploys.append(_deploy(d, p, [released, *reasons[1:]] if released else reasons))
    decided.needs_candidate = True


def _held_back(d: ObservedDeployment, hold: Hold) -> str:
    """Why the plan does not redeploy a model the manifest asks for: a rollback moved the deployment away from it."""
    why = f" ({hold.reason}, {hold.at})" if hold.reason else ""
    return (f"{d.name}: held back: {short(hold.fingerprint)} was rolled back{why}; {d.name} serves {short(d.recorded)} "
            f"while the manifest asks for {short(hold.fingerprint)}. apply keeps it until the model or {d.name}'s "
            f"settings change; `nerspec apply --retry {d.name}` deploys it again")


def _released(d: ObservedDeployment, hold: Hold) -> str | None:
    """Why a held-back model is deployed again now (None: it stays held back)."""
    if d.retry:
        return f"retrying {short(hold.fingerprint)}, held back since it was rolled back ({hold.reason}), as asked"
    if hold.settings and d.settings and hold.settings != d.settings:
        return (f"{d.name}'s settings changed since {short(hold.fingerprint)} was rolled back ({hold.reason}, "
                f"{hold.at}): deploying it again")
    return None


def _decide_rollout(d: ObservedDeployment, staged: StagedRollout, p: ProjectInputs, decided: _Decisions) -> bool:
    """A candidate is staged on ``d``: act on its verdict, or drop it when the manifest asks for another model.
    True when that decides the deployment (nothing else to do for it)."""
    if staged.candidate == p.candidate and d.rollout_strategy is not None and d.recorded == staged.production:
        decided.lines.append(staged.line(d.name))
        if staged.verdict == "pass":
            decided.rollouts.append(Promote(d.name, _target_type(d), staged.id, staged.production, staged.candidate,
                                            staged.figures, list(staged.reasons)))
        elif staged.verdict == "fail":
            decided.rollouts.append(AbortRollout(d.name, staged.id, staged.candidate, staged.figures,
                                                 list(staged.reasons)))
        return True  # pending: the line says how far the evidence is; apply reports it and waits
    if staged.candidate == p.candidate and d.rollout_strategy is None:
        why = "`rollout` was removed from the manifest: apply deploys the candidate directly (if gates pass)"
    elif staged.candidate == p.candidate and d.recorded == p.candidate:
        why = f"{d.name} serves {short(p.candidate)} already"
    elif staged.candidate == p.candidate:
        why = f"{d.name} changed during the rollout (serves {short(d.recorded)}); the candidate is staged again"
    elif d.rollout_strategy is not None and p.candidate != d.recorded:
        why = f"the manifest and data ask for {short(p.candidate)}, which replaces it; observations start again"
    else:
        why = f"the manifest and data ask for {short(p.candidate)} ({d.name} serves it)"
    decided.rollouts.append(DropRollout(d.name, staged.id, staged.candidate, staged.figures, [why]))
    return False


def _stage(d: ObservedDeployment, p: ProjectInputs) -> StageRollout:
    reasons = [f"{d.rollout_strategy} rollout: production keeps answering until the analysis passes"]
    if d.rollout is not None and d.rollout.candidate != p.candidate:
        reasons.append(f"replaces candidate {short(d.rollout.candidate)}")
    return StageRollout(d.name, _target_type(d), d.recorded, p.candidate, str(d.rollout_strategy), d.rollout_weight,
                        reasons)


def _deploy_reasons(d: ObservedDeployment, p: ProjectInputs) -> list[str]:
    reasons = ["new deployment"] if d.recorded is None else ["the manifest and data ask for a different model"]
    if d.recorded is None and d.actual_origin:  # new to this state; this machine's pointer belongs to another
        served = f"this machine's pointer serves {short(d.actual)}, deployed by the state {d.actual_origin}"
        reasons.append(f"{served}; recording it" if d.actual == p.candidate else f"{served}: replaced")
    elif d.recorded is None and d.drift:
        reasons = list(d.drift)  # not new: its record was lost
        if d.actual == p.candidate:
            reasons.append(f"the target serves {short(p.candidate)}; recording it")
    elif d.actual == p.candidate and d.recorded != p.candidate:
        reasons.append(f"the target already serves {short(p.candidate)} (an interrupted apply); recording it")
    elif d.drift:
        reasons.extend(d.drift)
    return reasons


def _target_type(d: ObservedDeployment) -> str:
    from nerspec.deploy.targets import target_type

    return target_type(d.target)


def _served(p: ProjectInputs, deployment: str) -> list[str]:
    for d in p.deployments:
        if d.name == deployment:
            return d.served
    return []


def _repair(d: ObservedDeployment, p: ProjectInputs) -> Repair:
    """Put a deployment back on the model it is recorded to serve (the pointer drifted). A model whose own files
    were damaged cannot be rebuilt here: it is not the model the manifest and data ask for (that one is rebuilt by
    train + deploy), so the plan says so up front and apply refuses it rather than re-pointing at broken files."""
    reasons = list(d.drift)
    if d.artifact_damaged:
        reasons.append(unrebuildable_hint(d.name, d.recorded, p.candidate, p.candidate in d.served))
    return Repair(d.name, _target_type(d), d.recorded, reasons, damaged=d.artifact_damaged)


def unrebuildable_hint(deployment: str, recorded: str | None, candidate: str, candidate_served: bool) -> str:
    redeploy = f" (`--to {short(candidate)}` redeploys the current model)" if candidate_served else ""
    return (
        f"apply cannot rebuild {short(recorded)} (the manifest and data ask for {short(candidate)}): restore its "
        f"files, or point {deployment} at an intact model it served before with "
        f"`nerspec rollback PATH {deployment} --to FP`{redeploy}; `nerspec deployments history PATH` lists them"
    )


def _deploy(d: ObservedDeployment, p: ProjectInputs, reasons: list[str]) -> Deploy:
    return Deploy(d.name, _target_type(d), d.recorded, p.candidate, reasons)
