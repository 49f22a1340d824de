"""What the routes of one server share: the registry of deployments, the pools and scheduler, monitoring, rollouts,
the state source and the secrets (built by ``nerspec.serve.app.create_app``)."""

from __future__ import annotations

import hmac
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from fastapi import Request  # at run time: FastAPI reads check_api_key's signature to inject the request

from nerspec.paths import StatePaths
from nerspec.serve.errors import ApiError

if TYPE_CHECKING:
    from nerspec.serve.analysis import Workers
    from nerspec.serve.fair import FairScheduler
    from nerspec.serve.metrics import Metrics
    from nerspec.serve.monitoring import MonitoringHub
    from nerspec.serve.registry import Registry
    from nerspec.serve.rollouts import Rollouts
    from nerspec.serve.shared import StateSource

# The reference's exact words for a bad key; client code sometimes matches on them.
ACCESS_DENIED = ("Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
                 "key for an active subscription and use a correct regional API endpoint for your resource.")


class Jobs(Protocol):
    """What the server itself asks of the jobs API's store (``nerspec.serve.jobs.JobStore``; its routes get it)."""

    def count(self) -> int: ...

    def close(self) -> None: ...


@dataclass
class ServeState:
    paths: StatePaths
    registry: Registry
    pool: ThreadPoolExecutor  # job orchestration (a job's inference units go through the scheduler)
    metrics: Metrics
    api_key: str | None
    admin_token: str | None
    admin_token_env: str
    source: StateSource  # the deployments the state records (the registry's source; listens where the store can)
    scheduler: FairScheduler  # the inference workers, fair across requests
    monitoring: MonitoringHub  # logs what monitored deployments analyse
    rollouts: Rollouts  # staged candidates (shadow, canary) and their observations
    jobs: Jobs = field(init=False)  # the jobs API's store: it needs this state, so create_app sets it
    started: float = field(default_factory=time.monotonic)

    @property
    def workers(self) -> Workers:
        from nerspec.serve.analysis import Workers

        return Workers(self.scheduler, self.monitoring)

    def check_api_key(self, request: Request) -> None:
        if self.api_key is None:
            return  # local use: keys ignored, as documented for --api-key-env
        given = request.headers.get("ocp-apim-subscription-key", "")
        if not hmac.compare_digest(given.encode(), self.api_key.encode()):
            raise ApiError(401, "401", ACCESS_DENIED)
