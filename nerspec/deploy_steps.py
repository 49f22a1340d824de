"""The deployment steps of a run, each through the deployment's target (``nerspec.deploy.targets``: one table):
switch a deployment to a model and record it, run its smoke checks (switching back on failure), repair a
drifted pointer, remove a deployment the manifest no longer declares."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from nerspec.errors import DeployError
from nerspec.plan import short
from nerspec.state.crashpoints import pause
from nerspec.state.store import DeploymentRecord, utc_now

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.plan import Repair
    from nerspec.run_parts import RunContext


class SmokeFailure(NamedTuple):
    failure: str  # what the smoke check saw
    message: str  # the run's failure line: which deployment, and what was done about it


def switch(
    ctx: RunContext, project: LoadedProject, deployment: str, from_fp: str | None, to_fp: str, action: str, why: str
) -> None:
    """Point ``deployment`` at ``to_fp`` through its target (after checking the model's files), then record it."""
    from nerspec.deploy.targets import declared_settings

    recorded_target = point(ctx, project, deployment, to_fp)
    pause("record-deploy")
    ctx.store.set_deployment(
        DeploymentRecord(project.name, deployment, to_fp, recorded_target, utc_now()),
        action=action,
        actor=ctx.who,
        reason=why,
        expected_from=from_fp,
        settings=declared_settings(project, deployment),  # a rollback holds its model back until they change
    )
    if action == "repair":
        ctx.progress(f"{project.name}: ~ repaired {deployment}: serves {short(to_fp)} again (files verified)")
    elif action == "rollback":
        ctx.progress(f"{project.name}: ~ switched {deployment} back: {short(from_fp)} -> {short(to_fp)}")
    else:
        ctx.progress(f"{project.name}: ~ deployed {deployment}: {short(from_fp)} -> {short(to_fp)}")


def point(ctx: RunContext, project: LoadedProject, deployment: str, to_fp: str) -> dict[str, object]:
    """Make the target serve ``to_fp`` (after checking the model's files); returns the target as recorded. The
    caller records the change in the state."""
    from nerspec.deploy.targets import declared_target, target_for
    from nerspec.deploy.verify import changed_files

    record = ctx.store.get_model(to_fp)
    # Hashed in full where the artifact is a local directory: the plan's stat cache trusts size + mtime.
    local_copy = Path(record.model_dir) if record is not None else None
    changed = changed_files(local_copy, record.artifact_files) if record and local_copy and local_copy.is_dir() else []
    if changed:
        raise DeployError(
            f"{project.name}: not deploying {short(to_fp)} to {deployment}: its files {', '.join(changed[:3])} do "
            f"not match their recorded hashes (changed outside nerspec); run `nerspec plan` again"
        )
    target = declared_target(project, deployment)
    return target_for(target).switch(ctx.targets, project.name, deployment, to_fp, target)


def smoke(ctx: RunContext, project: LoadedProject, deployment: str, from_fp: str | None, to_fp: str) -> SmokeFailure | None:
    """Run the deployment's smoke checks through its target; on failure switch back (or remove a first deploy),
    record both steps in the history. Returns the failure, which fails the run (exit 3) naming the text."""
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
        switch(ctx, project, deployment, to_fp, from_fp, "rollback", why)
        back = f"switched back to {short(from_fp)}"
    else:
        recorded = ctx.store.deployments(project.name).get(deployment)
        target_for(recorded.target if recorded else target).remove(ctx.targets, project.name, deployment,
                                                                   recorded.target if recorded else {})
        ctx.store.remove_deployment(project.name, deployment, actor=ctx.who, reason=why)
        back = "removed it (nothing was deployed before)"
    return SmokeFailure(failure, f"{project.name}/{deployment}: {failure}; {back}")


def repair(ctx: RunContext, project: LoadedProject, action: Repair, candidate: str) -> str | None:
    """Re-point a drifted deployment at its recorded model, after checking that model's files against the hashes
    recorded when it was stored: re-pointing at damaged files would only hide the damage (and the plan would ask
    for the same repair forever). A damaged model here is not the candidate, so apply cannot rebuild it: returns
    the refusal."""
    from nerspec.deploy import local
    from nerspec.plan import unrebuildable_hint

    deployment, recorded = action.deployment, action.fingerprint
    assert recorded is not None, "a repair names the model its deployment is recorded to serve"
    ctx.progress(f"{project.name}: ! repair {deployment} ({short(recorded)})")
    record = ctx.store.get_model(recorded)
    artifact = record.model_dir if record is not None else local.artifact_dir(ctx.paths, recorded)
    if ctx.targets.model_damaged(recorded):
        served = ctx.store.served(project.name, deployment)
        ctx.progress(f"{project.name}:   cannot repair {deployment}: model {short(recorded)} is damaged")
        return (
            f"{project.name}/{deployment}: not repaired: the files of {short(recorded)} in {artifact} were changed "
            f"or deleted outside nerspec; {unrebuildable_hint(deployment, recorded, candidate, candidate in served)}"
        )
    switch(ctx, project, deployment, recorded, recorded, "repair", "; ".join(action.reasons))
    return None


def remove(ctx: RunContext, project: LoadedProject, deployment: str) -> None:
    """Stop whatever serves the deployment (local pointer, remote server, shared registry), then forget it."""
    from nerspec.deploy.targets import target_for
    from nerspec.state.rollouts import drop_staged

    drop_staged(ctx.store, project.name, deployment, actor=ctx.who, reason="the deployment leaves the manifest")
    recorded = ctx.store.deployments(project.name).get(deployment)
    target = recorded.target if recorded is not None else {}
    target_for(target).remove(ctx.targets, project.name, deployment, target)
    ctx.store.remove_deployment(project.name, deployment, actor=ctx.who, reason="no longer declared in the manifest")
