"""Deployment targets: one small protocol (observe, switch, remove) and one table.

The state is the truth about deployments; a target only says where that truth is served.

- ``local``: served by ``nerspec serve``/``predict`` on this machine, from the state's record and this machine's
  model cache. Its pointer file ``<state>/registry/<project>/<deployment>.json`` is only a cache derived from the
  state (written by apply/rollback/swap, refreshed on read with a shared state); it is never trusted for where
  the model lives (``models/<fingerprint>``, or the artifact store's verified local copy).
- ``http``: a remote ``nerspec serve`` reached through its admin API (upload, GET, DELETE;
  ``nerspec.deploy.http_target``).
- ``registry``: the nerspec registry of the (shared) state itself: the deployment record *is* the pointer, and
  ``nerspec serve --state URL --artifacts URL`` serves it from the artifact store, so an apply in CI deploys to
  what a server serves.
- ``upload``: a model uploaded to this server's admin API (the record the receiving server keeps).

``plan`` calls ``observe`` to see what a target serves, ``apply``/``rollback``/``swap`` call ``switch`` before
recording the change, and removing a deployment from the manifest calls ``remove`` so nothing keeps serving it.
``served_here`` answers whether a ``nerspec serve`` reading this state serves the deployment (from the state's
record); ``refresh`` brings this machine's cache of it in line with the state. Adding a target is one class here
(or its own module) and one entry in ``TARGETS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.deploy.context import TargetContext
from nerspec.deploy.http_target import HttpTarget
from nerspec.deploy.target_base import RecordedTarget, Target, short
from nerspec.errors import ModelNotFoundError, NerspecError
from nerspec.manifest.target_names import LOCAL_TARGET, REGISTRY_TARGET, SERVED_HERE, UPLOAD_TARGET
from nerspec.paths import StatePaths

if TYPE_CHECKING:
    from nerspec.deploy.target_base import TargetSpec
    from nerspec.manifest.load import LoadedProject
    from nerspec.plan.inputs import ObservedDeployment
    from nerspec.state.store import DeploymentRecord, Store


class _NoConfig:
    def config_problems(self, spec: TargetSpec | None) -> list[tuple[str, str]]:
        return []

    def secret_problems(self, spec: TargetSpec | None) -> list[tuple[str, str]]:
        return []

    def refresh(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str) -> None:
        return None  # nothing cached on this machine


class LocalTarget(_NoConfig):
    type = LOCAL_TARGET  # the default target (DEFAULT_TARGET)
    served_here = type in SERVED_HERE

    def observe(self, obs: ObservedDeployment, project: str, ctx: TargetContext) -> None:
        from nerspec.deploy import local

        pointer = local.read_pointer(ctx.paths, project, obs.name)
        if obs.recorded is None:
            obs.actual = local.fingerprint_of(pointer)
            if pointer is not None and not obs.desired:
                never = not ctx.store.history(project, obs.name)
                obs.drift.append("a pointer the state never recorded (written outside nerspec; never served)" if never
                                 else "a pointer the state has no record of (its row was deleted outside nerspec)")
            return
        if ctx.paths.shared:
            # Shared state: the pointer is this machine's cache of the state. Another machine's deploy makes it
            # stale, which is not drift; serve and predict use the state's record and refresh the cache.
            obs.actual = obs.recorded
            self._check_cache(obs, project, ctx, pointer)
            _check_model(obs, ctx)
            return
        obs.actual = local.fingerprint_of(pointer)
        if pointer is None:
            obs.drift.append("pointer file deleted outside nerspec")
        elif pointer.get("corrupt"):
            obs.drift.append("pointer file corrupted outside nerspec")
        elif obs.actual != obs.recorded:
            from nerspec.deploy.intent import pending

            interrupted = [i for i in pending(ctx.paths, project) if i.switches.get(obs.name) == obs.actual]
            if interrupted:  # a killed rollback/swap: apply finishes it in the direction the user asked
                obs.drift.append(interrupted[0].describe())
            else:
                obs.drift.append(
                    f"pointer changed outside nerspec (points at {short(obs.actual)}, recorded {short(obs.recorded)})"
                )
        else:
            from nerspec.deploy.verify import check_pointer

            # Same fingerprint, other weights: a pointer whose model_dir (or artifact) is not that fingerprint's.
            obs.drift.extend(f"pointer changed outside nerspec: {p}" for p in check_pointer(ctx.paths, pointer))
        _check_model(obs, ctx)

    def _check_cache(self, obs: ObservedDeployment, project: str, ctx: TargetContext,
                     pointer: Mapping[str, object] | None) -> None:
        from nerspec.deploy.verify import check_pointer

        if pointer is None:
            return  # not cached on this machine yet: serve and predict write it
        cached = pointer.get("fingerprint")
        if pointer.get("corrupt") or not isinstance(cached, str) or not cached:
            obs.drift.append("pointer file corrupted outside nerspec")
        elif cached == obs.recorded:
            obs.drift.extend(f"pointer changed outside nerspec: {p}" for p in check_pointer(ctx.paths, pointer))
        elif cached in ctx.store.served(project, obs.name):
            obs.notes.append(
                f"{obs.name}: this machine's pointer cache still names {short(cached)} (deployed earlier); the state "
                f"records {short(obs.recorded)}, which serve and predict use (they refresh the cache)")
        else:
            obs.drift.extend(_disagreeing(obs, project, ctx, cached))

    def switch(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str, spec: TargetSpec | None) -> dict[str, object]:
        from nerspec.deploy import local

        ctx.local_model(fingerprint)  # a remote store's model comes into the local cache first, verified
        local.point(ctx.paths, project, deployment, fingerprint)
        return {"type": self.type}

    def refresh(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str) -> None:
        """With a shared state, rewrite a missing or stale pointer cache. With a SQLite state the pointer is only
        written under the state lock (apply, rollback, swap): a disagreement there is drift that apply repairs."""
        from nerspec.deploy import local

        if not ctx.paths.shared:
            return
        pointer = local.read_pointer(ctx.paths, project, deployment)
        if pointer is not None and pointer.get("fingerprint") == fingerprint and not pointer.get("corrupt"):
            return
        try:
            local.point(ctx.paths, project, deployment, fingerprint)
        except (OSError, NerspecError):
            pass  # a read-only or missing cache: the state stays the truth

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: RecordedTarget) -> None:
        from nerspec.deploy import local

        local.remove(ctx.paths, project, deployment)


def _disagreeing(obs: ObservedDeployment, project: str, ctx: TargetContext, cached: str) -> list[str]:
    from nerspec.deploy.intent import pending

    if any(i.switches.get(obs.name) == cached for i in pending(ctx.paths, project)):
        return []  # a killed rollback/swap switched it: the plan names the intent, apply finishes it
    return [f"pointer changed outside nerspec (points at {short(cached)}, recorded {short(obs.recorded)})"]


class RegistryTarget(_NoConfig):
    """The state's own registry: what the state records is what ``nerspec serve --state`` serves."""

    type = REGISTRY_TARGET
    served_here = type in SERVED_HERE

    def observe(self, obs: ObservedDeployment, project: str, ctx: TargetContext) -> None:
        obs.actual = obs.recorded
        if obs.recorded is not None:
            _check_model(obs, ctx)

    def switch(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str, spec: TargetSpec | None) -> dict[str, object]:
        from nerspec.errors import DeployError
        from nerspec.state.crashpoints import pause

        if not ctx.artifact_store.exists(fingerprint):
            raise DeployError(f"cannot deploy {project}/{deployment}: model {short(fingerprint)} is not in the "
                              "artifact store")
        pause("deploy")
        return spec.model_dump(mode="json") if spec is not None else {"type": "registry"}

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: RecordedTarget) -> None:
        return None  # the state's record is the pointer: removing it (the caller does) stops every server


def _check_model(obs: ObservedDeployment, ctx: TargetContext) -> None:
    if obs.recorded is not None and ctx.model_damaged(obs.recorded):
        obs.artifact_damaged = True
        obs.drift.append(f"model files of {short(obs.recorded)} changed or deleted outside nerspec")


class UploadTarget(RegistryTarget):
    """A model uploaded to this server's admin API: the receiving server's own record, served from its state."""

    type = UPLOAD_TARGET
    served_here = type in SERVED_HERE

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: RecordedTarget) -> None:
        from nerspec.deploy import local

        local.remove(ctx.paths, project, deployment)


DEFAULT_TARGET = LocalTarget.type  # a deployment without a target (the manifest's default, older records, plans)
TARGETS: dict[str, Target] = {t.type: t for t in (LocalTarget(), HttpTarget(), RegistryTarget(), UploadTarget())}


def target_type(target: TargetSpec | RecordedTarget | None) -> str:
    """The target's type name (a manifest spec, a recorded dict, or nothing: the default)."""
    kind = target.get("type") if isinstance(target, Mapping) else getattr(target, "type", None)
    return str(kind or DEFAULT_TARGET)


def target_for(target: TargetSpec | RecordedTarget | None) -> Target:
    kind = target_type(target)
    if kind not in TARGETS:
        from nerspec.errors import StateError

        raise StateError(f"unknown deployment target type {kind!r} (known: {', '.join(sorted(TARGETS))})")
    return TARGETS[kind]


def declared_target(project: LoadedProject, deployment: str) -> TargetSpec | None:
    """The deployment's target spec from the manifest (None: not declared)."""
    for d in project.manifest.spec.deployments:
        if d.name == deployment:
            return d.target
    return None


def declared_settings(project: LoadedProject, deployment: str) -> str:
    """The digest of the deployment's own settings, recorded with each switch ('' when it is not declared)."""
    return next((d.settings_sha256() for d in project.manifest.spec.deployments if d.name == deployment), "")


# -- What a deployment serves, on every machine: the model the state records, at the location its fingerprint
# gives (never a pointer's), with every file's recorded sha256. ``predict``, ``serve``, ``extract`` ask here.


@dataclass(frozen=True)
class ServedModel:
    """A deployment as served: the state's record and the verified local directory of its model."""

    project: str
    deployment: str
    fingerprint: str
    model_dir: Path
    target: str
    deployed_at: str | None = None


def has_state(paths: StatePaths) -> bool:
    """A state to ask exists (a shared one always; SQLite once its database file exists)."""
    return paths.shared or Path(paths.db).is_file()


def recorded(store: Store, project: str, deployment: str) -> DeploymentRecord:
    """The state's record of the deployment; ``ModelNotFoundError`` naming the recorded ones otherwise."""
    record = store.deployments(project).get(deployment)
    if record is None:
        known = sorted(store.deployments(project))
        hint = f"deployed: {', '.join(known)}" if known else "nothing is deployed yet (run `nerspec apply`)"
        raise ModelNotFoundError(f"project `{project}` has no deployment `{deployment}` in the state; {hint}")
    return record


def served_fingerprint(paths: StatePaths, store: Store, project: str, deployment: str) -> str:
    """The fingerprint the deployment serves: the state's record, else (a state without one) this machine's pointer."""
    from nerspec.deploy.local import read_pointer

    record = store.deployments(project).get(deployment)
    if record is not None:
        return record.fingerprint
    pointer = read_pointer(paths, project, deployment)
    found = pointer.get("fingerprint") if pointer else None
    if not found:
        raise ModelNotFoundError(f"{project}: deployment {deployment!r} serves no model in {paths.describe()}")
    return str(found)


def served_model(paths: StatePaths, store: Store, project: str, deployment: str,
                 ctx: TargetContext | None = None) -> ServedModel:
    """The verified model the state records for ``project/deployment`` (fetched into this machine's cache when
    the artifact store is remote); ``WrongModel`` when its files are not the recorded ones."""
    return model_of(paths, store, recorded(store, project, deployment), ctx)


def model_of(paths: StatePaths, store: Store, record: DeploymentRecord, ctx: TargetContext | None = None) -> ServedModel:
    from nerspec.deploy.verify import verify_recorded

    ctx = ctx or TargetContext(paths, store)
    model_dir = ctx.local_model(record.fingerprint)
    verify_recorded(store, record.project, record.deployment, record.fingerprint, model_dir)
    target_for(record.target).refresh(ctx, record.project, record.deployment, record.fingerprint)
    return ServedModel(record.project, record.deployment, record.fingerprint, model_dir, target_type(record.target),
                       record.deployed_at)


def served_here(record: DeploymentRecord) -> bool:
    """Whether a ``nerspec serve`` reading this state serves the deployment (asked of its target)."""
    return target_for(record.target).served_here
