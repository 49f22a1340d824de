"""Deployment targets (``local`` registry pointers, ``http`` remote ``nerspec serve``) and the operations on
deployments outside ``apply``: rollback and swap. Each holds the state lock, switches the target first and
then records the change with its history entry in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nerspec.errors import DeployError, ModelNotFoundError
from nerspec.paths import StatePaths
from nerspec.state.crashpoints import pause  # named crash points (kill tests)

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.state.store import Store


def switch(paths: StatePaths, project: LoadedProject, deployment: str, fingerprint: str, store: Store | None = None) -> dict[str, object]:
    """Make ``deployment`` serve ``fingerprint`` on its target (``nerspec.deploy.targets``); returns the target
    as recorded."""
    from nerspec.deploy.targets import TargetContext, declared_target, target_for

    target = declared_target(project, deployment)
    if store is None:
        from nerspec.state import open_store

        store = open_store(paths, create=False)
    return target_for(target).switch(TargetContext(paths, store), project.name, deployment, fingerprint, target)


def finish_pending(paths: StatePaths, store: Store, projects: list[LoadedProject]) -> list[str]:
    """Finish every leftover intent of ``projects`` (the caller holds the state lock); returns what was done."""
    from nerspec.deploy.intent import end, live, pending
    from nerspec.deploy.targets import declared_settings
    from nerspec.state.store import DeploymentRecord, actor, utc_now

    by_name = {p.name: p for p in projects}
    done = []
    for intent in pending(paths):
        project = by_name.get(intent.project)
        if project is None:
            continue
        recorded = {d: r.fingerprint for d, r in store.deployments(intent.project).items()}
        if not live(intent, recorded):
            end(paths, intent)  # recorded already, or the state moved on since (another command): obsolete
            continue
        targets = {}
        for deployment, fingerprint in sorted(intent.switches.items()):
            targets[deployment] = switch(paths, project, deployment, fingerprint, store)
        if intent.command == "swap" and len(intent.switches) == 2:
            a, b = sorted(intent.switches)
            store.swap_deployments(intent.project, a, b, actor=actor(), reason=f"{intent.reason} (finished after an interruption)")
        else:
            for deployment, fingerprint in intent.switches.items():
                store.set_deployment(
                    DeploymentRecord(intent.project, deployment, fingerprint, targets[deployment], utc_now()),
                    action=intent.command,
                    actor=actor(),
                    reason=f"{intent.reason} (finished after an interruption)",
                    expected_from=intent.expected.get(deployment),
                    settings=declared_settings(project, deployment),
                )
        end(paths, intent)
        done.append(f"finished the interrupted {intent.command} of {intent.project}")
    return done


def rollback(
    paths: StatePaths,
    project: LoadedProject,
    deployment: str,
    to: str | None = None,
    lock_timeout: float = 0.0,
    force: bool = False,
) -> tuple[str, str]:
    """Point ``deployment`` back at the model it served before (or at ``to``, a fingerprint or its prefix).

    ``to`` must be a model this deployment served before (it passed the gates then and was in production use);
    ``force`` allows any recorded model. ``promote_from`` is the manifest's policy and holds either way, and a
    model whose files no longer match their recorded hashes is never deployed.
    """
    from nerspec.deploy import intent
    from nerspec.deploy.targets import declared_settings
    from nerspec.state import open_store
    from nerspec.state.store import DeploymentRecord, actor, utc_now

    store = open_store(paths)
    with store.locked(f"rollback {project.name}/{deployment}", [project.name], lock_timeout):
        try:
            finish_pending(paths, store, [project])
            current = store.deployments(project.name).get(deployment)
            if current is None:
                raise ModelNotFoundError(f"{project.name}/{deployment} serves no model; nothing to roll back")
            if to is None:
                target_fp = _previous_fingerprint(store, project.name, deployment, current.fingerprint)
            else:
                target_fp = _resolve(store, project.name, to)
            if target_fp == current.fingerprint:
                raise DeployError(f"{project.name}/{deployment} already serves {target_fp[:12]}")
            _check_rollback_target(paths, store, project, deployment, target_fp, force)
            reason = f"rollback to {target_fp[:12]}" if to else "rollback to the previous model"
            # Recorded before switching: a kill between the switch and the state write is finished, not undone.
            started = intent.begin(paths, "rollback", project.name, {deployment: target_fp},
                                   {deployment: current.fingerprint}, reason)
            recorded_target = switch(paths, project, deployment, target_fp, store)
            pause("rollback")
            store.set_deployment(
                DeploymentRecord(project.name, deployment, target_fp, recorded_target, utc_now()),
                action="rollback",
                actor=actor(),
                reason=reason,
                expected_from=current.fingerprint,
                settings=declared_settings(project, deployment),  # held back until the model or these change
            )
            intent.end(paths, started)
            # A rollback during a rollout drops the candidate: production is what the user chose.
            from nerspec.state.rollouts import drop_staged

            drop_staged(store, project.name, deployment, actor=actor(), reason=f"{reason} during the rollout")
            return current.fingerprint, target_fp
        finally:
            store.close()


def _check_rollback_target(
    paths: StatePaths, store: Store, project: LoadedProject, deployment: str, fingerprint: str, force: bool
) -> None:
    from nerspec.deploy.targets import TargetContext

    name, fp = project.name, fingerprint[:12]
    if not force and fingerprint not in store.served(name, deployment):
        raise DeployError(
            f"{name}/{deployment} never served {fp} (it may have failed its gates or never been deployed); "
            f"roll back to a model it served before (`nerspec deployments history PATH --deployment {deployment}`), "
            f"or pass --force to deploy {fp} anyway"
        )
    spec = {d.name: d for d in project.manifest.spec.deployments}.get(deployment)
    source = spec.promote_from if spec is not None else None
    if source is not None and fingerprint not in store.served(name, source):
        raise DeployError(
            f"{name}/{deployment} only takes a model {source} has served (promote_from: {source}), and {source} "
            f"never served {fp}; deploy it to {source} first"
        )
    if TargetContext(paths, store).model_damaged(fingerprint):
        raise DeployError(f"the files of {name} model {fp} were changed or deleted outside nerspec; not deploying it")


def _previous_fingerprint(store: Store, project: str, deployment: str, current: str) -> str:
    for entry in reversed(store.history(project, deployment)):
        if entry.to_fp == current and entry.from_fp and entry.from_fp != current:
            return entry.from_fp
    raise ModelNotFoundError(f"{project}/{deployment} has no earlier model in its history; use --to FINGERPRINT")


def _resolve(store: Store, project: str, prefix: str) -> str:
    matches = [m.fingerprint for m in store.models(project) if m.fingerprint.startswith(prefix)]
    if not matches:
        raise ModelNotFoundError(f"no model of {project} has a fingerprint starting with {prefix}")
    if len(matches) > 1:
        raise ModelNotFoundError(f"{prefix} is ambiguous: {', '.join(m[:12] for m in matches)}")
    return matches[0]


def swap(paths: StatePaths, project: LoadedProject, a: str, b: str, lock_timeout: float = 0.0) -> tuple[str, str]:
    """Exchange the models of two deployments (e.g. promote staging to production and keep the old one warm)."""
    from nerspec.deploy import intent
    from nerspec.state import open_store
    from nerspec.state.store import actor

    store = open_store(paths)
    with store.locked(f"swap {project.name} {a} {b}", [project.name], lock_timeout):
        try:
            finish_pending(paths, store, [project])
            deployed = store.deployments(project.name)
            missing = [d for d in (a, b) if d not in deployed]
            if missing:
                raise ModelNotFoundError(f"cannot swap: {', '.join(missing)} serves no model in {project.name}")
            fa, fb = deployed[a].fingerprint, deployed[b].fingerprint
            started = intent.begin(paths, "swap", project.name, {a: fb, b: fa}, {a: fa, b: fb}, f"swap {a} and {b}")
            switch(paths, project, a, fb, store)
            pause("swap")
            switch(paths, project, b, fa, store)
            store.swap_deployments(project.name, a, b, actor=actor(), reason=f"swap {a} and {b}")
            intent.end(paths, started)
            return fb, fa
        finally:
            store.close()
