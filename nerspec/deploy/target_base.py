"""What every deployment target shares (``nerspec.deploy.targets`` holds the table): the protocol, a deployment's
target as the manifest declares it and as the state records it, and how a fingerprint is shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from nerspec.deploy.context import TargetContext

if TYPE_CHECKING:
    from nerspec.manifest.schema import HttpTarget as HttpSpec
    from nerspec.manifest.schema import LocalTarget as LocalSpec
    from nerspec.manifest.schema import RegistryTarget as RegistrySpec

    TargetSpec = LocalSpec | HttpSpec | RegistrySpec  # a deployment's target as the manifest declares it
    from nerspec.plan.inputs import ObservedDeployment


RecordedTarget = Mapping[str, object]  # a target as the state records it: ``{"type": ..., ...}``


class Target(Protocol):
    type: str
    served_here: bool  # a `nerspec serve` reading this state serves it, from the state's record (http: its own server)

    def observe(self, obs: ObservedDeployment, project: str, ctx: TargetContext) -> None:
        """Fill ``obs.actual`` (what the target serves) and ``obs.drift`` (what changed outside nerspec)."""
        ...

    def switch(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str, spec: TargetSpec | None) -> dict[str, object]:
        """Make the target serve ``fingerprint``; return the target as the state records it."""
        ...

    def remove(self, ctx: TargetContext, project: str, deployment: str, recorded: RecordedTarget) -> None:
        """Stop serving the deployment (it is no longer declared)."""
        ...

    def config_problems(self, spec: TargetSpec | None) -> list[tuple[str, str]]:
        """(field, message) for a target configured wrongly (plan fails on them before anything trains)."""
        ...

    def secret_problems(self, spec: TargetSpec | None) -> list[tuple[str, str]]:
        """(field, message) for a secret this machine lacks: only changing the target needs it (apply fails on them
        before anything trains); reading commands say the target was not checked, and why."""
        ...

    def refresh(self, ctx: TargetContext, project: str, deployment: str, fingerprint: str) -> None:
        """The state records ``fingerprint``: bring this machine's cache of the deployment in line (best effort)."""
        ...


def short(fp: str | None) -> str:
    return fp[:12] if fp else "none"
