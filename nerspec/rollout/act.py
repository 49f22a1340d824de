"""Apply's rollout steps: stage a candidate, promote it, abort or drop it. Each records one history entry.

Staging changes nothing that serves: the candidate is recorded beside the deployment (with its start time) and
the servers pick it up from the state. Promotion switches the target first, then records the new model and
forgets the rollout in one transaction (a kill in between leaves a target already serving the candidate, which
the next plan records as it does for an interrupted deploy). An abort or a drop only forgets the candidate:
production never changed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from nerspec.errors import StateError
from nerspec.plan import AbortRollout, DropRollout, Promote, StageRollout, short
from nerspec.state.store import DeploymentRecord, RolloutRecord, Store, utc_now

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.run_parts import RunContext


def stage(ctx: RunContext, project: LoadedProject, action: StageRollout) -> dict[str, object]:
    """Make ``action.candidate`` the deployment's candidate (replacing any other: its observations start again)."""
    record = RolloutRecord(uuid.uuid4().hex, project.name, action.deployment, action.candidate, action.production,
                           action.strategy, action.weight, utc_now())
    weight = f", weight {action.weight}" if action.weight is not None else ""
    ctx.store.rollout_start(record, actor=ctx.who,
                            reason=f"{action.strategy} rollout of {short(action.candidate)}{weight}")
    ctx.progress(f"{project.name}: ~ staged {short(action.candidate)} on {action.deployment} ({action.strategy}"
                 f"{weight}); {short(action.production)} keeps answering")
    return {"deployment": action.deployment, "candidate": action.candidate, "strategy": action.strategy,
            "action": "staged"}


def promote(ctx: RunContext, project: LoadedProject, action: Promote) -> dict[str, object]:
    """The analysis passed: the deployment serves the candidate, with a history entry giving the figures."""
    from nerspec.deploy_steps import point

    rollout = current(ctx.store, project.name, action.deployment, action.rollout_id)
    recorded_target = point(ctx, project, action.deployment, action.to)
    ctx.store.rollout_end(
        rollout, action="promote", actor=ctx.who, reason=f"rollout passed: {action.figures}",
        promote=DeploymentRecord(project.name, action.deployment, action.to, recorded_target, utc_now()),
    )
    ctx.progress(f"{project.name}: ^ promoted {action.deployment}: {short(action.from_fp)} -> {short(action.to)} "
                 f"({action.figures})")
    return {"deployment": action.deployment, "candidate": action.to, "action": "promoted", "figures": action.figures}


def end(ctx: RunContext, project: LoadedProject, action: AbortRollout | DropRollout) -> dict[str, object]:
    """Forget the candidate; production is unchanged. An abort (failed analysis) fails the run: the caller adds it."""
    rollout = current(ctx.store, project.name, action.deployment, action.rollout_id)
    failed = isinstance(action, AbortRollout)
    what = "rollout failed" if failed else "rollout dropped"
    detail = "; ".join(action.reasons)
    reason = f"{what}: {action.figures}; {detail}" if action.figures else f"{what}: {detail}"
    ctx.store.rollout_end(rollout, action="abort" if failed else "drop", actor=ctx.who, reason=reason)
    ctx.progress(f"{project.name}: {'x aborted' if failed else '- dropped'} candidate {short(action.candidate)} of "
                 f"{action.deployment} ({detail}); production unchanged")
    return {"deployment": action.deployment, "candidate": action.candidate,
            "action": "aborted" if failed else "dropped", "figures": action.figures}


def current(store: Store, project: str, deployment: str, rollout_id: str) -> RolloutRecord:
    rollout = store.rollouts(project).get(deployment)
    if rollout is None or rollout.id != rollout_id:
        raise StateError(f"the rollout of {project}/{deployment} changed since the plan; run `nerspec plan` again")
    return rollout

