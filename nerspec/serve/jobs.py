"""The reference service's analyze-text jobs API, so its official client works against ``nerspec serve``.

Implemented (what ``azure-ai-textanalytics`` 5.4.0 sends and parses, API versions 2022-05-01 and 2023-04-01):

- ``POST /language/analyze-text/jobs?api-version=...`` -> ``202`` with ``Operation-Location``; body
  ``{"displayName", "analysisInput": {"documents": [{"id", "text", "language"}]}, "tasks": [{"kind",
  "taskName", "parameters": {"projectName", "deploymentName", "stringIndexType"}}]}``. Task kinds
  ``CustomEntityRecognition``, ``CustomSingleLabelClassification``, ``CustomMultiLabelClassification``; several
  tasks per job, each with its own project and deployment.
- ``GET /language/analyze-text/jobs/{jobId}?api-version=...[&showStats=true][&top=N&skip=M]`` -> the job state
  (``jobId``, ``status``, ``createdDateTime``, ``lastUpdatedDateTime``, ``expirationDateTime``, ``displayName``,
  ``errors``, ``tasks: {completed, failed, inProgress, total, items}``, ``nextLink`` when ``top`` leaves
  documents for a next page). ``showStats`` adds document and request statistics.
- ``POST /language/analyze-text/jobs/{jobId}:cancel`` -> ``202`` (what the client's ``poller.cancel()`` sends).
- Keys: with ``--api-key-env`` every call needs a matching ``Ocp-Apim-Subscription-Key`` (401 otherwise, in the
  reference's envelope and words); without it keys are ignored.
- Limits: more than 25 documents, more than 125,000 characters, duplicate ids or no documents refuse the job
  (400, ``InvalidDocumentBatch`` / ``InvalidDocument`` / ``MissingInputDocuments`` inner codes); an empty
  document, a document over 125,000 characters or a language other than the model's become per-document errors
  that the client surfaces as ``DocumentError``; an unknown project or deployment, or a task kind that does not
  match the deployed model, fails that task (the job is ``failed``, or ``partiallyCompleted`` when other tasks
  succeeded), which the client raises as ``HttpResponseError`` with the reference's message format.
- Jobs run in the server's worker pool (one ``nlp.pipe`` per task); finished jobs are kept for ``ttl`` (24 h by
  default, as the reference) in memory, bounded in total size (oldest finished jobs are dropped first; when
  unfinished jobs alone fill the bound, new jobs get 429). Job ids are uuid4 (122 random bits).
- A ``GET`` on an unfinished job waits up to five seconds for it to finish and otherwise answers with
  ``Retry-After: 1``, so the client usually needs one poll and never waits its default 5 s interval.

Left out of the reference API (not used by the official client for these task kinds, or not meaningful here):

- The synchronous ``POST /language/:analyze-text`` endpoint and every prebuilt task kind (entity recognition,
  PII, key phrases, sentiment, language detection, linking, healthcare, summarization): 400 ``InvalidArgument``.
- ``DELETE`` of a job (the reference has no delete; results simply expire) and listing jobs.
- Job results survive only in memory: a server restart forgets them (the client then gets 404).
- ``loggingOptOut`` is accepted and ignored (nerspec does not log document text); ``modelVersion`` is not
  reported (custom deployments have none; ``GET /projects/{p}/deployments`` gives the fingerprint).
- Azure AD (bearer) authentication for the runtime API; only subscription keys.
- Warnings such as ``LongWordsInDocument`` / ``DocumentTruncated`` are never produced: documents are never
  truncated (over the limit they are errors).
- Document length limits count code points, not text elements (see ``nerspec.serve.limits``).
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from nerspec.errors import ModelNotFoundError
from nerspec.serve.errors import ApiError
from nerspec.serve.limits import check_documents
from nerspec.serve.native import analyze_documents
from nerspec.serve.registry import NER_KIND, TEXTCAT_KIND
from nerspec.serve.units import STRING_INDEX_TYPES, normalize
from nerspec.timestamps import utc_timestamp

API_VERSIONS = ("2022-05-01", "2022-10-01-preview", "2023-04-01", "2023-04-15-preview", "2023-11-15-preview",
                "2024-11-01", "2024-11-15-preview")
RESULT_KINDS = {
    "CustomEntityRecognition": "CustomEntityRecognitionLROResults",
    "CustomSingleLabelClassification": "CustomSingleLabelClassificationLROResults",
    "CustomMultiLabelClassification": "CustomMultiLabelClassificationLROResults",
}
MODEL_KIND = {"CustomEntityRecognition": NER_KIND, "CustomSingleLabelClassification": TEXTCAT_KIND,
              "CustomMultiLabelClassification": TEXTCAT_KIND}
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


@dataclass
class TaskRun:
    name: str
    kind: str
    project: str
    deployment: str
    unit: str
    status: str = "notStarted"
    updated: datetime = field(default_factory=_now)
    results: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


@dataclass
class Job:
    id: str
    display_name: str | None
    documents: list[dict[str, Any]]
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


class JobStore:
    """Jobs in memory: TTL and a total-size bound; execution in the server's worker pool."""

    def __init__(self, state: Any, ttl_s: float, max_bytes: int) -> None:
        self.state = state
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self._jobs: dict[str, Job] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def count(self) -> int:
        return len(self._jobs)

    def close(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._bytes = 0

    def _purge(self) -> None:
        """Drop expired jobs, then the oldest finished ones while over the size bound. Caller holds the lock."""
        now = time.monotonic()
        for job_id in [j.id for j in self._jobs.values() if j.expires_mono <= now]:
            self._drop(job_id)
        if self._bytes > self.max_bytes:
            for job in sorted((j for j in self._jobs.values() if j.status in TERMINAL), key=lambda j: j.created):
                if self._bytes <= self.max_bytes:
                    break
                self._drop(job.id)

    def _drop(self, job_id: str) -> None:
        job = self._jobs.pop(job_id, None)
        if job is not None:
            self._bytes -= job.size

    def submit(self, job: Job) -> None:
        with self._lock:
            self._purge()
            pending = sum(1 for j in self._jobs.values() if j.status not in TERMINAL)
            if pending >= MAX_PENDING_JOBS or self._bytes + job.size > self.max_bytes:
                raise ApiError(429, "TooManyRequests", "Too many unfinished jobs; retry later.",
                               headers={"Retry-After": "1"})
            self._jobs[job.id] = job
            self._bytes += job.size
        self.state.pool.submit(self._execute, job)

    def get(self, job_id: str) -> Job:
        with self._lock:
            self._purge()
            job = self._jobs.get(job_id)
        if job is None:
            raise ApiError(404, "NotFound", f"The specified job '{job_id}' was not found or has expired.",
                           "OperationNotFound")
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        with self._lock:
            if job.status in TERMINAL:
                raise ApiError(400, "InvalidRequest",
                               f"Failed to cancel job with job id {job_id} as its status is {job.status}.")
            job.cancel_requested = True
            job.status = "cancelling"
            job.updated = _now()
        return job

    # -- execution (worker thread) ---------------------------------------------------------------------------
    def _execute(self, job: Job) -> None:
        try:
            if not job.cancel_requested:
                job.status = "running"
                job.updated = _now()
            for task in job.tasks:
                if job.cancel_requested:
                    task.status, task.updated = "cancelled", _now()
                    task.results = {"projectName": task.project, "deploymentName": task.deployment,
                                    "documents": [], "errors": []}
                    continue
                self._run_task(job, task)
        except ApiError as exc:  # busy: the fair scheduler's limits or deadline
            for task in job.tasks:
                if task.status not in TERMINAL:
                    task.status, task.error = "failed", _task_error(exc.code, exc.message)
        except Exception:  # a bug must fail the job, not leave it running forever
            import logging

            logging.getLogger("nerspec.serve").exception("job %s failed", job.id)
            for task in job.tasks:
                if task.status not in TERMINAL:
                    task.status, task.error = "failed", _task_error(
                        "InternalServerError", "Internal error; the server log has the details.")
        finally:
            self._finish(job)

    def _run_task(self, job: Job, task: TaskRun) -> None:
        task.status = "running"
        try:
            loaded = self.state.registry.get(task.project, task.deployment)
        except ModelNotFoundError:
            task.status, task.updated = "failed", _now()
            task.error = _task_error("InvalidRequest", f"Deployment '{task.deployment}' of project "
                                     f"'{task.project}' was not found.", "InvalidParameterValue")
            return
        if loaded.kind != MODEL_KIND[task.kind]:
            task.status, task.updated = "failed", _now()
            task.error = _task_error("InvalidRequest", f"Task kind {task.kind} does not match project "
                                     f"'{task.project}', a {loaded.kind}.", "InvalidParameterValue")
            return
        documents, errors = analyze_documents(loaded, job.documents, task.unit, 400,
                                              single_label=task.kind == "CustomSingleLabelClassification",
                                              scheduler=self.state.scheduler, client=f"job:{job.id}")
        if loaded.kind != NER_KIND:  # the reference names the list "class" for both classification kinds
            documents = [{"id": d["id"], "class": d["classes"], "warnings": d["warnings"]} for d in documents]
        self.state.metrics.observe_documents(task.project, task.deployment, "jobs", len(documents), len(errors))
        task.results = {"documents": documents, "errors": errors, "projectName": task.project,
                        "deploymentName": task.deployment}
        task.status, task.updated = "succeeded", _now()

    def _finish(self, job: Job) -> None:
        failed = [t for t in job.tasks if t.status == "failed"]
        if job.cancel_requested and any(t.status == "cancelled" for t in job.tasks):
            status = "cancelled"
        elif not failed:
            status = "succeeded"
        elif len(failed) == len(job.tasks):
            status = "failed"
        else:
            status = "partiallyCompleted"
        size = len(json.dumps([t.results for t in job.tasks])) + 1024
        with self._lock:
            job.documents = []  # inputs are not needed any more; results are what the client reads
            self._bytes += size - job.size
            job.size = size
            job.status, job.updated = status, _now()
            self._purge()  # results can outgrow the inputs they replace: re-apply the bound now
        if job.loop is not None and job.done is not None:
            try:
                job.loop.call_soon_threadsafe(job.done.set)
            except RuntimeError:  # loop closed: server shutting down
                pass


def _task_error(code: str, message: str, inner: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner, "message": message}
    return error


def job_state(job: Job, base_url: str, api_version: str, show_stats: bool, top: int | None, skip: int) -> dict[str, Any]:
    page = job.doc_order[skip: skip + top] if top is not None else job.doc_order[skip:]
    wanted = set(page)
    items, errors = [], []
    for index, task in enumerate(job.tasks):
        item: dict[str, Any] = {"kind": RESULT_KINDS[task.kind], "taskName": task.name,
                                "lastUpdateDateTime": _iso(task.updated), "status": task.status}
        if task.results is not None:
            results = dict(task.results)
            results["documents"] = [d for d in results["documents"] if d["id"] in wanted]
            results["errors"] = [e for e in results["errors"] if e["id"] in wanted]
            if show_stats:
                lengths = job.lengths
                results["documents"] = [{**d, "statistics": _statistics_of(lengths, d["id"])} for d in results["documents"]]
                results["statistics"] = {
                    "documentsCount": len(job.doc_order),
                    "validDocumentsCount": len(task.results["documents"]),
                    "erroneousDocumentsCount": len(task.results["errors"]),
                    "transactionsCount": sum(_statistics_of(lengths, d["id"])["transactionsCount"]
                                             for d in task.results["documents"]),
                }
            item["results"] = results
        if task.error is not None:
            errors.append({**task.error, "target": f"#/tasks/items/{index}"})
        items.append(item)
    done = [t for t in job.tasks if t.status in TERMINAL]
    body: dict[str, Any] = {
        "jobId": job.id,
        "createdDateTime": _iso(job.created),
        "lastUpdatedDateTime": _iso(job.updated),
        "expirationDateTime": _iso(job.expires),
        "status": job.status,
        "errors": errors,
        "tasks": {"completed": sum(t.status == "succeeded" for t in job.tasks),
                  "failed": sum(t.status == "failed" for t in job.tasks),
                  "inProgress": len(job.tasks) - len(done), "total": len(job.tasks), "items": items},
    }
    if job.display_name is not None:
        body["displayName"] = job.display_name
    if top is not None and skip + top < len(job.doc_order):
        query = {"api-version": api_version, "top": top, "skip": skip + top}
        if show_stats:
            query["showStats"] = "true"
        body["nextLink"] = f"{base_url}/language/analyze-text/jobs/{job.id}?{urlencode(query)}"
    return body


def _statistics_of(lengths: dict[str, int], doc_id: str) -> dict[str, int]:
    n = lengths.get(doc_id, 0)
    return {"charactersCount": n, "transactionsCount": max(1, math.ceil(n / 1000))}


def _check_version(api_version: str) -> None:
    if api_version not in API_VERSIONS:
        raise ApiError(400, "InvalidArgument", f"Unsupported api-version '{api_version}'. Supported: "
                       f"{', '.join(API_VERSIONS)}.", "InvalidParameterValue")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def router(state: Any) -> APIRouter:
    api = APIRouter(tags=["analyze-text jobs (reference API)"], dependencies=[Depends(state.check_api_key)])
    store: JobStore = state.jobs

    @api.post(
        "/language/analyze-text/jobs",
        status_code=202,
        summary="Submit an analyze-text job (custom entity recognition / classification)",
        responses={202: {"description": "Accepted; Operation-Location names the job"},
                   400: {"description": "Invalid request"}, 401: {"description": "Wrong or missing key"},
                   429: {"description": "Too many unfinished jobs"}},
    )
    async def submit(request: Request, body: JobRequest,
                     api_version: str = Query(..., alias="api-version")) -> JSONResponse:
        _check_version(api_version)
        if not body.tasks:
            raise ApiError(400, "InvalidArgument", "Invalid request.", "InvalidRequestBodyFormat",
                           "A job needs at least one task.")
        if len(body.tasks) > MAX_TASKS:
            raise ApiError(400, "InvalidArgument", "Invalid request.", "InvalidRequestBodyFormat",
                           f"A job has at most {MAX_TASKS} tasks.")
        documents = [d.model_dump() for d in body.analysisInput.documents]
        for doc in documents:
            doc["language"] = doc.get("language") or body.defaultLanguage
        check_documents(documents, None, 400)  # request-level limits now; per-document ones per task
        tasks = []
        for index, task in enumerate(body.tasks):
            if task.kind not in RESULT_KINDS:
                raise ApiError(400, "InvalidArgument", "Invalid request.", "InvalidParameterValue",
                               f"Task kind '{task.kind}' is not served by nerspec; supported: "
                               f"{', '.join(RESULT_KINDS)}.")
            unit = normalize(task.parameters.stringIndexType)
            if unit is None:
                raise ApiError(400, "InvalidArgument", "Invalid request.", "InvalidParameterValue",
                               f"stringIndexType must be one of {', '.join(STRING_INDEX_TYPES)}.")
            tasks.append(TaskRun(name=task.taskName or str(index), kind=task.kind, project=task.parameters.projectName,
                                 deployment=task.parameters.deploymentName, unit=unit))
        created = _now()
        job = Job(id=str(uuid.uuid4()), display_name=body.displayName, documents=documents, tasks=tasks,
                  created=created, expires=created + timedelta(seconds=store.ttl_s),
                  expires_mono=time.monotonic() + store.ttl_s, updated=created,
                  size=sum(len(d["text"]) * 4 for d in documents) + 1024,
                  doc_order=[d["id"] for d in documents], lengths={d["id"]: len(d["text"]) for d in documents},
                  loop=asyncio.get_running_loop(), done=asyncio.Event())
        store.submit(job)
        location = f"{_base_url(request)}/language/analyze-text/jobs/{job.id}?api-version={api_version}"
        # The reference answers 202 with an empty body; a small JSON body costs nothing and keeps the rule
        # "every answer is JSON" (the client ignores the body of a 202).
        return JSONResponse({"jobId": job.id, "status": job.status}, status_code=202,
                            headers={"Operation-Location": location})

    @api.get(
        "/language/analyze-text/jobs/{job_id}",
        summary="Status and results of an analyze-text job",
        responses={404: {"description": "No such job (or expired)"}, 401: {"description": "Wrong or missing key"}},
    )
    async def status(
        request: Request,
        job_id: str,
        api_version: str = Query(..., alias="api-version"),
        show_stats: bool = Query(False, alias="showStats"),
        top: int | None = Query(None, ge=1, le=1000),
        skip: int = Query(0, ge=0, le=1_000_000),
    ) -> JSONResponse:
        _check_version(api_version)
        job = store.get(job_id)
        if job.status not in TERMINAL and job.done is not None and job.loop is asyncio.get_running_loop():
            try:
                await asyncio.wait_for(job.done.wait(), LONG_POLL_S)
            except TimeoutError:
                pass
        params = dict(request.query_params)
        top = top if top is not None else _int(params.get("$top"))
        skip = skip or (_int(params.get("$skip")) or 0)
        headers = {} if job.status in TERMINAL else {"Retry-After": "1"}
        return JSONResponse(job_state(job, _base_url(request), api_version, show_stats, top, skip), headers=headers)

    @api.post(
        "/language/analyze-text/jobs/{job_id}:cancel",
        status_code=202,
        summary="Cancel an analyze-text job",
        responses={202: {"description": "Cancellation accepted"}, 400: {"description": "Job already finished"},
                   404: {"description": "No such job"}},
    )
    async def cancel(request: Request, job_id: str, api_version: str = Query(..., alias="api-version")) -> JSONResponse:
        _check_version(api_version)
        job = store.cancel(job_id)
        location = f"{_base_url(request)}/language/analyze-text/jobs/{job_id}?api-version={api_version}"
        return JSONResponse({"jobId": job.id, "status": job.status}, status_code=202,
                            headers={"Operation-Location": location})

    return api


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, "InvalidArgument", f"'{value}' is not an integer.", "InvalidParameterValue") from None
    if number < 0:
        raise ApiError(400, "InvalidArgument", f"'{value}' must not be negative.", "InvalidParameterValue")
    return number
