"""The ``http`` deployment target: a remote ``nerspec serve`` reached through its admin API (upload, GET, DELETE;
``nerspec.deploy.http``). One entry of ``nerspec.deploy.targets.TARGETS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nerspec.deploy.context import TargetContext
from nerspec.deploy.target_base import RecordedTarget, short
from nerspec.errors import NerspecError
from nerspec.manifest.target_names import HTTP_TARGET, SERVED_HERE

if TYPE_CHECKING:
    from nerspec.deploy.target_base import TargetSpec
    from nerspec.manifest.schema import HttpTarget as HttpSpec
    from nerspec.plan.inputs import ObservedDeployment


class HttpTarget:
    type = HTTP_TARGET
    served_here = type in SERVED_HERE  # no: served by the remote server it names

    def refresh(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str) -> None:
        return None

    def config_problems(self, spec: TargetSpec | None) -> list[tuple[str, str]]:
        from nerspec.deploy.http import config_problems

        return list(config_problems(_http(spec)))

    def secret_problems(self, spec: TargetSpec | None) -> list[tuple[str, str]]:
        from nerspec.deploy.http import secret_problems

        return list(secret_problems(_http(spec)))

    def observe(self, obs: ObservedDeployment, project: str, ctx: TargetContext) -> None:
        if obs.recorded is None or not obs.desired:
            return  # nothing to compare with; planning a removal does not contact the remote (apply does)
        from nerspec.deploy import http
        from nerspec.errors import RemoteError
        from nerspec.manifest.schema import HttpTarget as Spec

        spec = Spec(**obs.target)
        missing = self.secret_problems(spec)
        if missing:  # reading needs no secret: say what was not checked, and why
            obs.actual = obs.recorded
            obs.notes.append(f"{obs.name}: remote {spec.url} not checked: {missing[0][1]}")
            return
        try:
            # A refused token raises DeployError (the user's configuration: exit 1 naming token_env).
            obs.actual = http.remote_fingerprint(spec, project, obs.name)
        except RemoteError as exc:  # no answer is not an observation: report it, do not call it drift
            obs.actual = obs.recorded
            obs.unreachable = f"{obs.target.get('url')} unreachable ({exc})"
            return
        if obs.actual != obs.recorded:
            obs.drift.append(f"remote serves {short(obs.actual)}, recorded {short(obs.recorded)}")

    def switch(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str, spec: TargetSpec | None) -> dict[str, object]:
        from nerspec.deploy import http
        from nerspec.state.crashpoints import pause

        declared = _http(spec)
        model = ctx.local_model(fingerprint)
        pause("deploy")
        http.upload(declared, project, deployment, model, fingerprint)
        return declared.model_dump(mode="json")

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: RecordedTarget) -> None:
        from nerspec.deploy import http
        from nerspec.manifest.schema import HttpTarget as Spec

        http.delete(Spec(**recorded), project, deployment)


def _http(spec: TargetSpec | None) -> HttpSpec:
    """The declared spec of an http target (its url and token)."""
    from nerspec.manifest.schema import HttpTarget as Spec

    if not isinstance(spec, Spec):
        raise NerspecError(f"an http target needs its url declared (got {spec!r})")
    return spec
