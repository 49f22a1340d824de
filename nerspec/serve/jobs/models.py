"""The jobs API's request bodies, its in-memory job and task records, and its constants."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from nerspec.kinds import task_kinds
from nerspec.timestamps import utc_timestamp

if TYPE_CHECKING:
    from nerspec.serve.documents import DocumentJSON, DocumentResultJSON
    from nerspec.serve.errors import DocumentErrorJSON, ErrorJSON

API_VERSIONS = ("2022-05-01", "2022-10-01-preview", "2023-04-01", "2023-04-15-preview", "2023-11-15-preview",
                "2024-11-01", "2024-11-15-preview")
RESULT_KINDS = task_kinds()  # task kind -> result kind, from the project kinds that serve them
SINGLE_LABEL_TASKS = frozenset({"CustomSingleLabelClassification"})  # the first class only
# Which labelling a task kind asks of a classification deployment: a multi-label task against a single-label
# model (or the reverse) is refused like a task of the wrong project kind, never answered with the wrong shape.
TASK_MULTILABEL = {"CustomSingleLabelClassification": False, "CustomMultiLabelClassification": True}
MAX_TASKS = 10
MAX_PENDING_JOBS = 1000
LONG_POLL_S = 5.0  # well under the client's read timeout; a queued job usually finishes within it
TERMINAL = frozenset({"succeeded", "failed", "partiallyCompleted", "cancelled"})


class JobDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    text: str
    language: str | None = None


class AnalysisInput(BaseModel):
    model_config = ConfigDict(extra="ignore")
    documents: list[JobDocument]


class TaskParameters(BaseModel):
    model_config = ConfigDict(extra="ignore")
    projectName: str
    deploymentName: str
    stringIndexType: str = "TextElement_v8"  # the REST default; the Python client always sends its own
    loggingOptOut: bool | None = None


class JobTask(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: str
    taskName: str | None = None
    parameters: TaskParameters


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    displayName: str | None = None
    defaultLanguage: str | None = None
    analysisInput: AnalysisInput
    tasks: list[JobTask] = Field(description="CustomEntityRecognition, CustomSingleLabelClassification or "
                                             "CustomMultiLabelClassification tasks")


def _iso(moment: datetime) -> str:
    return utc_timestamp(moment)


def _now() -> datetime:
    return datetime.now(UTC)


class TaskResultsJSON(TypedDict, total=False):
    """A task's results as the reference reports them (a cancelled task: no documents, no fingerprint)."""

    documents: list[DocumentResultJSON]
    errors: list[DocumentErrorJSON]
    projectName: str
    deploymentName: str
    modelFingerprint: str
    statistics: dict[str, int]


@dataclass
class TaskRun:
    name: str
    kind: str
    project: str
    deployment: str
    unit: str
    status: str = "notStarted"
    updated: datetime = field(default_factory=_now)
    results: TaskResultsJSON | None = None
    error: ErrorJSON | None = None
    logging_opt_out: bool = False  # the task's loggingOptOut: a monitored deployment never stores its texts


@dataclass
class Job:
    id: str
    display_name: str | None
    documents: list[DocumentJSON]
    tasks: list[TaskRun]
    created: datetime
    expires: datetime
    expires_mono: float
    status: str = "notStarted"
    updated: datetime = field(default_factory=_now)
    cancel_requested: bool = False
    size: int = 0
    doc_order: list[str] = field(default_factory=list)
    lengths: dict[str, int] = field(default_factory=dict)  # for showStats, kept after the texts are dropped
    loop: asyncio.AbstractEventLoop | None = None
    done: asyncio.Event | None = None
