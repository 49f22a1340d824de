"""Deployment targets: one small protocol (observe, switch, remove) and one table.

- ``local``: a pointer file in this machine's ``<state>/registry/`` that a local ``nerspec serve`` watches.
- ``http``: a remote ``nerspec serve`` reached through its admin API (upload, GET, DELETE).
- ``registry``: the nerspec registry of the (shared) state itself: the deployment record *is* the pointer, and
  ``nerspec serve --state URL --artifacts URL`` serves it from the artifact store, so an apply in CI deploys to
  what a server serves.

``plan`` calls ``observe`` to see what a target serves, ``apply``/``rollback``/``swap`` call ``switch`` before
recording the change, and removing a deployment from the manifest calls ``remove`` so nothing keeps serving it.
Adding a target is one class here (or its own module) and one entry in ``TARGETS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nerspec.paths import StatePaths

if TYPE_CHECKING:
    from nerspec.artifacts.stores.base import ArtifactStore
    from nerspec.fingerprints.stat_cache import StatCache
    from nerspec.manifest.load import LoadedProject
    from nerspec.plan.inputs import ObservedDeployment
    from nerspec.state.store import Store


@dataclass
class TargetContext:
    paths: StatePaths
    store: Store
    cache: StatCache | None = None
    _artifact_store: ArtifactStore | None = field(default=None, repr=False)
    _damaged: dict[str, bool] = field(default_factory=dict, repr=False)  # one check per model per context

    @property
    def artifact_store(self) -> ArtifactStore:
        if self._artifact_store is None:
            from nerspec.artifacts.stores import open_artifact_store

            self._artifact_store = open_artifact_store(self.paths)
        return self._artifact_store

    def stat_cache(self) -> StatCache:
        if self.cache is None:
            from nerspec.fingerprints.stat_cache import StatCache

            self.cache = StatCache(self.paths.cache, scope="artifacts")
        return self.cache

    def local_model(self, fingerprint: str) -> Path:
        """The model's verified local directory (downloaded from a remote artifact store when needed)."""
        from nerspec.deploy import local

        record = self.store.get_model(fingerprint)
        if self.artifact_store.remote and record is not None:
            return self.artifact_store.fetch(fingerprint, record.artifact_files, self.stat_cache())
        return local.artifact_dir(self.paths, fingerprint)

    def model_damaged(self, fingerprint: str) -> bool:
        """The recorded model's files are missing or differ from the recorded hashes (here or in the store)."""
        if fingerprint not in self._damaged:
            self._damaged[fingerprint] = self._check_damaged(fingerprint)
        return self._damaged[fingerprint]

    def forget_checks(self, fingerprint: str) -> None:
        """The model was (re)written: check it again next time."""
        self._damaged.pop(fingerprint, None)

    def _check_damaged(self, fingerprint: str) -> bool:
        from nerspec.artifacts import layout

        record = self.store.get_model(fingerprint)
        if record is None:
            return True
        if "://" in record.model_dir:
            return not self.artifact_store.intact(fingerprint, record.artifact_files, self.stat_cache())
        return not layout.intact(layout.local_dir(self.paths, fingerprint, record.model_dir),
                                    record.artifact_files, self.stat_cache())


class Target(Protocol):
    def observe(self, obs: ObservedDeployment, project: str, ctx: TargetContext) -> None:
        """Fill ``obs.actual`` (what the target serves) and ``obs.drift`` (what changed outside nerspec)."""
        ...

    def switch(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str, spec: Any) -> dict[str, Any]:
        """Make the target serve ``fingerprint``; return the target as the state records it."""
        ...

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: dict[str, Any]) -> None:
        """Stop serving the deployment (it is no longer declared)."""
        ...

    def config_problems(self, spec: Any) -> list[tuple[str, str]]:
        """(field, message) for a target configured wrongly (plan fails on them before anything trains)."""
        ...


def short(fp: str | None) -> str:
    return fp[:12] if fp else "none"


class _NoConfig:
    def config_problems(self, spec: Any) -> list[tuple[str, str]]:
        return []


class LocalTarget(_NoConfig):
    def observe(self, obs: ObservedDeployment, project: str, ctx: TargetContext) -> None:
        from nerspec.deploy import local

        pointer = local.read_pointer(ctx.paths, project, obs.name)
        obs.actual = pointer.get("fingerprint") if pointer else None
        if obs.recorded is None:
            return
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

    def switch(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str, spec: Any) -> dict[str, Any]:
        from nerspec.deploy import local

        ctx.local_model(fingerprint)  # a remote store's model comes into the local cache first, verified
        local.point(ctx.paths, project, deployment, fingerprint)
        return {"type": "local"}

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: dict[str, Any]) -> None:
        from nerspec.deploy import local

        local.remove(ctx.paths, project, deployment)


class HttpTarget:
    def config_problems(self, spec: Any) -> list[tuple[str, str]]:
        from nerspec.deploy.http import config_problems

        return list(config_problems(spec))

    def observe(self, obs: ObservedDeployment, project: str, ctx: TargetContext) -> None:
        if obs.recorded is None or not obs.desired:
            return  # nothing to compare with; planning a removal does not contact the remote (apply does)
        from nerspec.deploy import http
        from nerspec.errors import RemoteError
        from nerspec.manifest.schema import HttpTarget as Spec

        try:
            # A refused token raises DeployError (the user's configuration: exit 1 naming token_env).
            obs.actual = http.remote_fingerprint(Spec(**obs.target), project, obs.name)
        except RemoteError as exc:  # no answer is not an observation: report it, do not call it drift
            obs.actual = obs.recorded
            obs.unreachable = f"{obs.target.get('url')} unreachable ({exc})"
            return
        if obs.actual != obs.recorded:
            obs.drift.append(f"remote serves {short(obs.actual)}, recorded {short(obs.recorded)}")

    def switch(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str, spec: Any) -> dict[str, Any]:
        from nerspec.deploy import http
        from nerspec.state.crashpoints import pause

        model = ctx.local_model(fingerprint)
        pause("deploy")
        http.upload(spec, project, deployment, model, fingerprint)
        return spec.model_dump(mode="json")

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: dict[str, Any]) -> None:
        from nerspec.deploy import http
        from nerspec.manifest.schema import HttpTarget as Spec

        http.delete(Spec(**recorded), project, deployment)


class RegistryTarget(_NoConfig):
    """The state's own registry: what the state records is what ``nerspec serve --state`` serves."""

    def observe(self, obs: ObservedDeployment, project: str, ctx: TargetContext) -> None:
        obs.actual = obs.recorded
        if obs.recorded is not None:
            _check_model(obs, ctx)

    def switch(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str, spec: Any) -> dict[str, Any]:
        from nerspec.errors import DeployError
        from nerspec.state.crashpoints import pause

        if not ctx.artifact_store.exists(fingerprint):
            raise DeployError(f"cannot deploy {project}/{deployment}: model {short(fingerprint)} is not in the "
                              "artifact store")
        pause("deploy")
        return spec.model_dump(mode="json") if spec is not None else {"type": "registry"}

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: dict[str, Any]) -> None:
        return None  # the state's record is the pointer: removing it (the caller does) stops every server


def _check_model(obs: ObservedDeployment, ctx: TargetContext) -> None:
    if obs.recorded is not None and ctx.model_damaged(obs.recorded):
        obs.artifact_damaged = True
        obs.drift.append(f"model files of {short(obs.recorded)} changed or deleted outside nerspec")


TARGETS: dict[str, Target] = {"local": LocalTarget(), "http": HttpTarget(), "registry": RegistryTarget()}


def target_for(target: dict[str, Any] | Any | None) -> Target:
    kind = (target.get("type") if isinstance(target, dict) else getattr(target, "type", None)) or "local"
    return TARGETS[kind]


def declared_target(project: LoadedProject, deployment: str) -> Any:
    """The deployment's target spec from the manifest (None: not declared)."""
    for d in project.manifest.spec.deployments:
        if d.name == deployment:
            return d.target
    return None
