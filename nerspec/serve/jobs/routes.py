"""The jobs API's routes: submit, status (long poll, paging, statistics) and cancel."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from nerspec.serve.errors import ApiError
from nerspec.serve.jobs.models import (
    API_VERSIONS,
    LONG_POLL_S,
    MAX_TASKS,
    RESULT_KINDS,
    TERMINAL,
    Job,
    JobRequest,
    TaskRun,
    _now,
)
from nerspec.serve.jobs.store import JobStore, held_bytes, job_state
from nerspec.serve.limits import check_documents
from nerspec.serve.units import STRING_INDEX_TYPES, normalize

if TYPE_CHECKING:
    from nerspec.serve.documents import DocumentJSON
    from nerspec.serve.state import ServeState


def _check_version(api_version: str) -> None:
    if api_version not in API_VERSIONS:
        raise ApiError(400, "InvalidArgument", f"Unsupported api-version '{api_version}'. Supported: "
                       f"{', '.join(API_VERSIONS)}.", "InvalidParameterValue")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def new_job(body: JobRequest, ttl_s: float) -> Job:
    """The job a valid request body asks for (400 ``ApiError`` otherwise); to be submitted from the event loop."""
    if not body.tasks:
        raise ApiError(400, "InvalidArgument", "Invalid request.", "InvalidRequestBodyFormat",
                       "A job needs at least one task.")
    if len(body.tasks) > MAX_TASKS:
        raise ApiError(400, "InvalidArgument", "Invalid request.", "InvalidRequestBodyFormat",
                       f"A job has at most {MAX_TASKS} tasks.")
    documents: list[DocumentJSON] = [{"id": d.id, "text": d.text, "language": d.language or body.defaultLanguage}
                                     for d in body.analysisInput.documents]
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
                             deployment=task.parameters.deploymentName, unit=unit,
                             logging_opt_out=bool(task.parameters.loggingOptOut)))
    created = _now()
    job = Job(id=str(uuid.uuid4()), display_name=body.displayName, documents=documents, tasks=tasks,
              created=created, expires=created + timedelta(seconds=ttl_s),
              expires_mono=time.monotonic() + ttl_s, updated=created,
              doc_order=[d["id"] for d in documents], lengths={d["id"]: len(d["text"]) for d in documents},
              loop=asyncio.get_running_loop(), done=asyncio.Event())
    job.size = sum(len(d["text"]) * 4 for d in documents) + held_bytes(job)
    return job


def router(state: ServeState, store: JobStore) -> APIRouter:
    api = APIRouter(tags=["analyze-text jobs (reference API)"], dependencies=[Depends(state.check_api_key)])

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
        job = new_job(body, store.ttl_s)
        store.submit(job)
        # The answer says "notStarted" whatever the worker has done meanwhile: azure-core's poller reads the
        # status of a 202 body, and a small job finished before this line would make the client take this
        # body (which carries no results) as the final answer.
        return _accepted(request, job, api_version, status="notStarted")

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
        await _wait_briefly(job)
        params = dict(request.query_params)
        top = top if top is not None else _int(params.get("$top"), "$top", 1, 1000)
        skip = skip or (_int(params.get("$skip"), "$skip", 0, 1_000_000) or 0)
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
        return _accepted(request, store.cancel(job_id), api_version)

    return api


def _accepted(request: Request, job: Job, api_version: str, status: str | None = None) -> JSONResponse:
    """``202`` naming the job in ``Operation-Location``. The reference answers with an empty body; a small JSON
    body costs nothing and keeps the rule "every answer is JSON" (the client ignores the body of a 202)."""
    location = f"{_base_url(request)}/language/analyze-text/jobs/{job.id}?api-version={api_version}"
    return JSONResponse({"jobId": job.id, "status": status or job.status}, status_code=202,
                        headers={"Operation-Location": location})


async def _wait_briefly(job: Job) -> None:
    """Long poll: an unfinished job usually finishes within ``LONG_POLL_S``, saving the client a poll interval."""
    if job.status not in TERMINAL and job.done is not None and job.loop is asyncio.get_running_loop():
        try:
            await asyncio.wait_for(job.done.wait(), LONG_POLL_S)
        except TimeoutError:
            pass


def _int(value: str | None, name: str, low: int, high: int) -> int | None:
    """``$top`` / ``$skip``: the bounds of ``top`` / ``skip`` (``$top=0`` made a nextLink that was refused)."""
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, "InvalidArgument", f"'{value:.40}' is not an integer.", "InvalidParameterValue") from None
    if not low <= number <= high:
        raise ApiError(400, "InvalidArgument", f"{name} must be between {low} and {high}.", "InvalidParameterValue")
    return number
