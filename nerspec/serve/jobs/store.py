"""Jobs in memory (TTL, a total-size bound), their execution in the server's worker pool, and their state as the
reference API reports it."""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from nerspec.errors import ModelNotFoundError
from nerspec.kinds import kind_of_task
from nerspec.serve.analysis import Workers, analyze_documents
from nerspec.serve.errors import ApiError, ErrorJSON
from nerspec.serve.jobs.models import (
    MAX_PENDING_JOBS,
    RESULT_KINDS,
    SINGLE_LABEL_TASKS,
    TASK_MULTILABEL,
    TERMINAL,
    Job,
    TaskRun,
    _iso,
    _now,
)
from nerspec.serve.monitoring import TextsWithheld
from nerspec.serve.rollouts import Asked

if TYPE_CHECKING:
    from nerspec.serve.documents import DocumentResult, DocumentResultJSON
    from nerspec.serve.errors import DocumentErrorJSON
    from nerspec.serve.jobs.models import TaskResultsJSON
    from nerspec.serve.registry import Loaded
    from nerspec.serve.state import ServeState


class JobStore:
    """Jobs in memory: TTL and a total-size bound; execution in the server's worker pool."""

    def __init__(self, state: ServeState, ttl_s: float, max_bytes: int) -> None:
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

    def _purge(self, room: int = 0) -> None:
        """Drop expired jobs, then the oldest finished ones while over the size bound (less ``room``, the size of
        a job about to come in). Caller holds the lock."""
        now = time.monotonic()
        for job_id in [j.id for j in self._jobs.values() if j.expires_mono <= now]:
            self._drop(job_id)
        if self._bytes + room > self.max_bytes:
            for job in sorted((j for j in self._jobs.values() if j.status in TERMINAL), key=lambda j: j.created):
                if self._bytes + room <= self.max_bytes:
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
            evictable = sum(j.size for j in self._jobs.values() if j.status in TERMINAL)
            # Refused before anything is evicted: a job that cannot come in must not cost others their results.
            if pending >= MAX_PENDING_JOBS or self._bytes - evictable + job.size > self.max_bytes:
                raise ApiError(429, "TooManyRequests", "Too many unfinished jobs; retry later.",
                               headers={"Retry-After": "1"})
            self._purge(room=job.size)
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
        kind = kind_of_task(task.kind)
        wants_multilabel = TASK_MULTILABEL.get(task.kind)
        if kind is None or loaded.kind != kind.name or wants_multilabel not in (None, loaded.multilabel):
            labelling = ""  # a classification deployment's labelling is named when the kinds agree
            if kind is not None and loaded.kind == kind.name:
                labelling = "multi-label " if loaded.multilabel else "single-label "
            task.status, task.updated = "failed", _now()
            task.error = _task_error("InvalidRequest", f"Task kind {task.kind} does not match project "
                                     f"'{task.project}', a {labelling}{loaded.kind}.", "InvalidParameterValue")
            return
        documents, errors = self._analyze(job, task, loaded)
        if kind.job_result_key != kind.result_key:  # the reference names the list "class" for classification
            documents = [replace(d, key=kind.job_result_key) for d in documents]
        self.state.metrics.observe_documents(task.project, task.deployment, "jobs", len(documents), len(errors))
        task.results = {"documents": [d.to_json() for d in documents], "errors": errors, "projectName": task.project,
                        "deploymentName": task.deployment, "modelFingerprint": loaded.fingerprint}
        task.status, task.updated = "succeeded", _now()

    def _analyze(self, job: Job, task: TaskRun, loaded: Loaded) -> tuple[list[DocumentResult], list[DocumentErrorJSON]]:
        """A task's documents, through the scheduler; while a candidate is staged, through the rollout's routing
        (``nerspec.serve.rollouts.analyze``, the native endpoint's too): shadowed, or answered by the canary."""
        single_label = task.kind in SINGLE_LABEL_TASKS
        client = f"job:{job.id}"
        rollouts = self.state.rollouts
        candidate = rollouts.candidate_for(loaded) if rollouts is not None else None
        workers = self.state.workers
        if task.logging_opt_out and workers.monitoring is not None:
            workers = Workers(workers.scheduler, TextsWithheld(self.state.monitoring))
        if candidate is None:
            return analyze_documents(loaded, job.documents, task.unit, 400, single_label=single_label,
                                     scheduler=workers.scheduler, client=client, monitoring=workers.monitoring)
        return rollouts.run(workers, client, loaded, candidate, job.documents, task.unit,
                            Asked(too_large_status=400, single_label=single_label))

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
        size = len(json.dumps([t.results for t in job.tasks])) + held_bytes(job)
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


def held_bytes(job: Job) -> int:
    """What a job holds besides its texts or results, as long as it is kept: its names and document ids (up to 4
    bytes a character, as the texts are counted)."""
    names = [job.display_name or "", *job.doc_order, *(t.name + t.project + t.deployment for t in job.tasks)]
    return 4 * sum(len(name) for name in names) + 1024


def _task_error(code: str, message: str, inner: str | None = None) -> ErrorJSON:
    error: ErrorJSON = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner, "message": message}
    return error


def job_state(job: Job, base_url: str, api_version: str, show_stats: bool, top: int | None, skip: int,
              ) -> dict[str, object]:
    page = job.doc_order[skip: skip + top] if top is not None else job.doc_order[skip:]
    wanted = set(page)
    items: list[dict[str, object]] = []
    errors: list[ErrorJSON] = []
    for index, task in enumerate(job.tasks):
        item: dict[str, object] = {"kind": RESULT_KINDS[task.kind], "taskName": task.name,
                                "lastUpdateDateTime": _iso(task.updated), "status": task.status}
        if task.results is not None:
            item["results"] = _page(task.results, job, wanted, show_stats)
        if task.error is not None:
            errors.append({**task.error, "target": f"#/tasks/items/{index}"})
        items.append(item)
    done = [t for t in job.tasks if t.status in TERMINAL]
    body: dict[str, object] = {
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


def _page(found: TaskResultsJSON, job: Job, wanted: set[str], show_stats: bool) -> TaskResultsJSON:
    """A task's results for the documents of one page (with their statistics when asked)."""
    results = found.copy()
    documents: list[DocumentResultJSON] = [d for d in found.get("documents", []) if d.get("id") in wanted]
    results["errors"] = [e for e in found.get("errors", []) if e["id"] in wanted]
    if show_stats:
        lengths = job.lengths
        documents = [{**d, "statistics": _statistics_of(lengths, d.get("id", ""))} for d in documents]
        results["statistics"] = {
            "documentsCount": len(job.doc_order),
            "validDocumentsCount": len(found.get("documents", [])),
            "erroneousDocumentsCount": len(found.get("errors", [])),
            "transactionsCount": sum(_statistics_of(lengths, d.get("id", ""))["transactionsCount"]
                                     for d in found.get("documents", [])),
        }
    results["documents"] = documents
    return results


def _statistics_of(lengths: dict[str, int], doc_id: str) -> dict[str, int]:
    n = lengths.get(doc_id, 0)
    return {"charactersCount": n, "transactionsCount": max(1, math.ceil(n / 1000))}
