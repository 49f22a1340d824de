"""``nerspec monitor``'s edges: read the manifest's deployment, the state's records and the window; analyse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nerspec.errors import NerspecError
from nerspec.monitor.analyze import Inputs, analyze
from nerspec.monitor.model import MonitorResult
from nerspec.monitor.reference import Evaluation
from nerspec.paths import StatePaths

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.manifest.schema import Monitoring
    from nerspec.state.store import Store

DEFAULT_LAST = 10_000


class AlertRaised(NerspecError):
    """A ``monitoring.alert`` threshold was crossed (exit 3, like a failed gate)."""

    exit_code = 3


def declared(project: LoadedProject, deployment: str) -> Monitoring:
    """The manifest's ``monitoring`` block of the deployment, which must have one."""
    for entry in project.manifest.spec.deployments:
        if entry.name == deployment:
            if entry.monitoring is None:
                raise NerspecError(f"{project.name}: deployment {deployment!r} has no `monitoring` block, so nothing "
                                   "is logged for it; add `monitoring: {}` to its manifest entry and run `nerspec apply`")
            return entry.monitoring
    names = ", ".join(d.name for d in project.manifest.spec.deployments) or "none"
    raise NerspecError(f"{project.name}: no deployment {deployment!r} in the manifest (declared: {names})")


def recorded_evaluation(store: Store, fingerprint: str) -> Evaluation | None:
    """The served model's latest evaluation with reference statistics (else any evaluation of it)."""
    evaluations = list(store.evaluations(fingerprint).values())
    with_reference = [e for e in evaluations if e.get("reference")]
    if with_reference or evaluations:
        return (with_reference or evaluations)[-1]
    model = store.get_model(fingerprint)
    if model is None:
        return None
    from pathlib import Path

    from nerspec.artifacts.layout import EVALUATION, read_json

    path = Path(model.model_dir) / EVALUATION
    return read_json(path) if path.is_file() else None


def monitor(project: LoadedProject, deployment: str, paths: StatePaths, *, last: int | None = None,
            since: float | None = None) -> MonitorResult:
    """The window (``last`` documents, or those since ``since``; default the last 10,000) of a monitored
    deployment, analysed against its model's test split."""
    from nerspec.deploy.targets import served_fingerprint
    from nerspec.kinds import kind_of
    from nerspec.state import open_store

    monitoring = declared(project, deployment)
    store = open_store(paths, create=False)
    try:
        fingerprint = served_fingerprint(paths, store, project.name, deployment)
        evaluation = recorded_evaluation(store, fingerprint)
        documents = store.monitoring_documents(project.name, deployment, since=since,
                                               last=last if last is not None or since is not None else DEFAULT_LAST,
                                               texts=False)
    finally:
        store.close()
    return analyze(Inputs(project.name, deployment, fingerprint, project.manifest.metadata.language,
                          kind_of(project.kind).per_label_key, documents, evaluation, monitoring.alert))
