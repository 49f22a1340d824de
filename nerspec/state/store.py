"""The state store interface, implemented by ``sqlite.SqliteStore`` and ``postgres.PostgresStore``.

Records are plain dataclasses with JSON-able fields so a backend only needs text/integer columns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypedDict

from nerspec.state.sql import JsonObject

if TYPE_CHECKING:
    from nerspec.paths import StatePaths
    from nerspec.state.lock import LockInfo
    from nerspec.state.monitoring import MonitoredDocument

# ``set_deployment(expected_from=ANY)``: no compare-and-set.
ANY: object = object()


@dataclass(frozen=True)
class ModelRecord:
    project: str
    fingerprint: str
    created: str
    data_fingerprint: str
    model_dir: str
    training_inputs: JsonObject = field(default_factory=dict)  # fingerprint.training_inputs at training time
    versions: dict[str, str] = field(default_factory=dict)
    metrics: JsonObject = field(default_factory=dict)  # summary: micro/macro P/R/F1 of the evaluation
    artifact_files: dict[str, str] = field(default_factory=dict)  # relpath -> sha256, for drift detection


@dataclass(frozen=True)
class DeploymentRecord:
    project: str
    deployment: str
    fingerprint: str
    target: JsonObject
    deployed_at: str


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    project: str
    deployment: str
    action: str  # deploy | rollback | swap | remove | repair
    from_fp: str | None
    to_fp: str | None
    actor: str
    at: str
    reason: str
    settings: str = ""  # digest of the deployment's own settings then (``Deployment.settings_sha256``; '' unknown)


@dataclass(frozen=True)
class RolloutRecord:
    """A candidate staged on a deployment (``rollout`` in the manifest): observed on live traffic until promoted,
    aborted or dropped. ``id`` names this staging: a replaced candidate's observations never count for the next."""

    id: str
    project: str
    deployment: str
    candidate: str
    production: str | None  # what the deployment served when the candidate was staged
    strategy: str  # shadow | canary
    weight: float | None  # canary: share of documents the candidate answers
    started: str


class StateSnapshot(TypedDict):
    """What a saved plan depends on: models and deployments (not history or evaluations), as counts + a digest."""

    models: int
    deployments: int
    history: int
    sha256: str


@dataclass(frozen=True)
class RolloutObservation:
    """One document both models saw: how far the candidate's answer agrees with production's, and their cost.
    NER counts entities (matched, only the candidate's, only production's); classification sets ``identical``."""

    rollout_id: str
    error: bool  # the candidate failed on this document
    matched: int
    candidate_only: int
    production_only: int
    identical: bool
    candidate_ms: float | None  # None when it failed
    production_ms: float


@dataclass(frozen=True)
class StagedRollout:
    """A rollout with the observations recorded of it so far (``state migrate`` copies them together)."""

    rollout: RolloutRecord
    observations: Sequence[RolloutObservation]


class Store(Protocol):
    """Every method that changes state runs in one transaction: it happens entirely or not at all."""

    def close(self) -> None: ...

    def schema_version(self) -> int: ...

    # models
    def record_model(self, model: ModelRecord, document_hashes: dict[str, str] | None = None) -> None: ...

    def get_model(self, fingerprint: str) -> ModelRecord | None: ...

    def models(self, project: str) -> list[ModelRecord]: ...

    def all_models(self) -> list[ModelRecord]: ...

    def forget_model(self, fingerprint: str) -> None: ...

    def document_hashes(self, fingerprint: str) -> dict[str, str] | None: ...

    # evaluations
    def record_evaluation(self, project: str, fingerprint: str, test_key: str, evaluation: JsonObject) -> None: ...

    def evaluation(self, fingerprint: str, test_key: str) -> JsonObject | None: ...

    def evaluations(self, fingerprint: str) -> dict[str, JsonObject]: ...

    # deployments
    def deployments(self, project: str) -> dict[str, DeploymentRecord]: ...

    def all_deployments(self) -> list[DeploymentRecord]: ...

    def set_deployment(
        self, record: DeploymentRecord, *, action: str, actor: str, reason: str, expected_from: str | None | object = ...,
        settings: str = "",
    ) -> None: ...

    def remove_deployment(self, project: str, deployment: str, *, actor: str, reason: str) -> None: ...

    def swap_deployments(self, project: str, a: str, b: str, *, actor: str, reason: str) -> None: ...

    def import_project(self, project: str, deployments: list[DeploymentRecord], history: list[HistoryRecord],
                       rollouts: Sequence[StagedRollout] = ()) -> None: ...

    def history(self, project: str, deployment: str | None = None) -> list[HistoryRecord]: ...

    def served(self, project: str, deployment: str) -> set[str]: ...

    def snapshot(self) -> StateSnapshot: ...

    # production monitoring (nerspec.state.monitoring): settings apply declares, documents a server logs
    def record_monitoring_settings(self, project: str, deployment: str, settings: JsonObject | None,
                                   at: float) -> None: ...

    def monitoring_settings(self) -> dict[tuple[str, str], JsonObject]: ...

    def monitoring_settings_as_written(self) -> dict[tuple[str, str], object]: ...

    def monitoring_settings_updated(self) -> dict[tuple[str, str], float]: ...

    def record_monitoring_documents(self, documents: list[MonitoredDocument]) -> None: ...

    def monitoring_documents(self, project: str, deployment: str, *, since: float | None = None,
                             last: int | None = None, texts: bool = True) -> list[MonitoredDocument]: ...

    def monitoring_expire(self, now: float) -> int: ...

    def monitoring_counts(self) -> dict[tuple[str, str], int]: ...

    # recorded split sides (nerspec.state.split_sides): document id -> in test, per project and split setting
    def recorded_split(self, project: str, split_key: str) -> dict[str, bool]: ...

    def recorded_splits(self, project: str) -> dict[str, dict[str, bool]]: ...

    def record_split(self, project: str, split_key: str, sides: dict[str, bool]) -> None: ...

    # rollouts (nerspec.rollout): staged candidates and what the servers observed of them
    def rollouts(self, project: str) -> dict[str, RolloutRecord]: ...

    def all_rollouts(self) -> list[RolloutRecord]: ...

    def rollout_start(self, record: RolloutRecord, *, actor: str, reason: str) -> None: ...

    def rollout_end(self, rollout: RolloutRecord, *, action: str, actor: str, reason: str,
                    promote: DeploymentRecord | None = None) -> None: ...

    def record_rollout_observations(self, observations: list[RolloutObservation]) -> int: ...

    def rollout_observations(self, rollout_id: str) -> list[RolloutObservation]: ...

    # the store owns its lock: SQLite a lock file in the state directory (one apply per directory), PostgreSQL
    # session advisory locks per project (released with the connection when a process dies)
    def locked(self, operation: str, projects: list[str], timeout: float = 0.0) -> AbstractContextManager[object]: ...

    @classmethod
    def force_unlock(cls, paths: StatePaths, lock_id: str, force: bool = False) -> LockInfo:
        """Remove the lock ``lock_id`` left by a command that is gone, without opening the store (it may be the
        damaged thing); returns its holder, or raises ``LockError`` where locks end with their holder."""
        ...

    # changes: a store that announces them (PostgreSQL's NOTIFY) calls ``on_change`` until ``stop`` is set; the
    # others return at once and their readers poll
    announces_changes: bool

    def listen(self, on_change: Callable[[], None], stop: threading.Event) -> None: ...


def utc_now() -> str:
    """When a state record was written (``+00:00``: the spelling state records have always had)."""
    from nerspec.timestamps import OFFSET, utc_timestamp

    return utc_timestamp(suffix=OFFSET)


def actor() -> str:
    """Who changed a deployment: ``user@host``, or the CI actor when running in GitHub Actions."""
    import getpass
    import os
    import socket

    ci_actor = os.environ.get("GITHUB_ACTOR")
    if ci_actor:
        return f"{ci_actor} (ci)"
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
