"""Rows <-> records, shared by the SQLite and PostgreSQL stores (same tables, same JSON-in-text columns)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from nerspec.errors import StateError
from nerspec.state.sql import Row
from nerspec.state.store import ANY, DeploymentRecord, ModelRecord, StateSnapshot

MODEL_COLUMNS = (
    "project, fingerprint, created, data_fingerprint, model_dir, training_inputs, versions, metrics, artifact_files"
)
DEPLOYMENT_COLUMNS = "project, deployment, fingerprint, target, deployed_at"


def dump(value: object) -> str:
    """Canonical JSON for a text column (sorted keys, no spaces), so equal values store equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def model_record(row: Row) -> ModelRecord:
    project, fp, created, data_fp, model_dir, inputs, versions, metrics, files = row
    return ModelRecord(
        project=project,
        fingerprint=fp,
        created=created,
        data_fingerprint=data_fp,
        model_dir=model_dir,
        training_inputs=json.loads(inputs),
        versions=json.loads(versions),
        metrics=json.loads(metrics),
        artifact_files=json.loads(files),
    )


def deployment_record(row: Row) -> DeploymentRecord:
    project, deployment, fp, target, at = row
    return DeploymentRecord(project, deployment, fp, json.loads(target), at)


def snapshot(models: Sequence[Row], deployments: Sequence[Row], last_history: int) -> StateSnapshot:
    """What a saved plan depends on: models and deployments (not history or evaluations), as counts + a digest."""
    rows = [[list(r) for r in models], [list(r) for r in deployments], last_history]
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    return {"models": len(models), "deployments": len(deployments), "history": last_history, "sha256": digest}


def check_expected(record: DeploymentRecord, current: str | None, expected_from: str | None | object) -> None:
    """``set_deployment``'s compare-and-set: refuse when the deployment no longer serves what the caller planned from."""
    if expected_from is not ANY and current != expected_from:
        raise StateError(
            f"deployment {record.project}/{record.deployment} changed meanwhile "
            f"(expected {expected_from or 'none'}, found {current or 'none'}); run `nerspec plan` again"
        )
