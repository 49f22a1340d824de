"""Native endpoints: analyze with one deployment, list what is served, health, readiness, metrics."""

from __future__ import annotations

import hashlib
import resource
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Query, Request, params
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from nerspec.serve.analysis import analyze_fairly
from nerspec.serve.documents import DocumentJSON
from nerspec.serve.errors import ApiError, error_body
from nerspec.serve.registry import Loaded
from nerspec.serve.units import STRING_INDEX_TYPES, normalize

if TYPE_CHECKING:
    from nerspec.serve.state import ServeState


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(description="Unique within the request.")
    text: str
    language: str | None = Field(
        None, description="e.g. 'en' or 'en-us': the model's language, or for a multilingual project any language "
        "(one it was not trained for gets a per-document warning).")


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    documents: list[DocumentIn] = Field(description="At most 25 documents and 125,000 characters in all.")


def client_of(request: Request) -> str:
    """Who a request counts against: its key (hashed) and address; unauthenticated callers by address."""
    key = request.headers.get("ocp-apim-subscription-key", "")
    host = request.client.host if request.client else "?"
    return f"{host}/{hashlib.sha256(key.encode()).hexdigest()[:12]}" if key else host


def router(state: ServeState) -> APIRouter:
    api = APIRouter()
    keyed = [Depends(state.check_api_key)]

    @api.post(
        "/projects/{project}/deployments/{deployment}:analyze",
        dependencies=keyed,
        tags=["analyze"],
        summary="Entities (NER) or classes (classification) for up to 25 documents",
        responses={400: {"description": "Malformed request"}, 404: {"description": "Unknown project or deployment"},
                   413: {"description": "More than 25 documents or 125,000 characters"},
                   429: {"description": "Too many requests of this client in progress (Retry-After)"},
                   503: {"description": "Server busy or the request waited too long (Retry-After)"}},
    )
    async def analyze(
        request: Request,
        project: str,
        deployment: str,
        body: AnalyzeRequest,
        string_index_type: str = Query("Utf16CodeUnit", alias="stringIndexType",
                                       description="Utf16CodeUnit (default), UnicodeCodePoint or TextElement_v8"),
    ) -> JSONResponse:
        unit = normalize(string_index_type)
        if unit is None:
            raise ApiError(400, "InvalidArgument", f"stringIndexType must be one of {', '.join(STRING_INDEX_TYPES)}.",
                           "InvalidParameterValue")
        loaded = state.registry.get(project, deployment)
        documents: list[DocumentJSON] = [{"id": d.id, "text": d.text, "language": d.language} for d in body.documents]
        candidate = state.rollouts.candidate_for(loaded) if state.rollouts is not None else None
        if candidate is None:
            results, errors = await analyze_fairly(state.workers, client_of(request), loaded, documents, unit, 413)
        else:  # a shadow or canary candidate is staged: nerspec.serve.rollouts routes and records
            results, errors = await state.rollouts.analyze(state.workers, client_of(request), loaded, candidate,
                                                           documents, unit)
        state.metrics.observe_documents(project, deployment, "native", len(results), len(errors))
        return JSONResponse({
            "documents": [result.to_json() for result in results],
            "errors": errors,
            "projectName": project,
            "deploymentName": deployment,
            "modelFingerprint": loaded.fingerprint,
        })

    _registry_and_operation_routes(api, state, keyed)
    return api


def _registry_and_operation_routes(api: APIRouter, state: ServeState, keyed: list[params.Depends]) -> None:
    """What is served, and the process's health and metrics (registered after ``analyze``, in this order)."""

    @api.get("/projects", dependencies=keyed, tags=["registry"], summary="Projects and their served deployments")
    async def projects() -> dict[str, list[dict[str, object]]]:
        grouped: dict[str, list[str]] = {}
        for (project, deployment) in sorted(state.registry.snapshot()):
            grouped.setdefault(project, []).append(deployment)
        return {"projects": [{"name": name, "deployments": names} for name, names in grouped.items()]}

    @api.get("/projects/{project}/deployments", dependencies=keyed, tags=["registry"],
             summary="Deployments of one project with the fingerprint each serves",
             responses={404: {"description": "Unknown project"}})
    async def deployments(project: str) -> dict[str, object]:
        rows = [_describe(loaded) for (p, _), loaded in sorted(state.registry.snapshot().items()) if p == project]
        if not rows:
            raise ApiError(404, "ProjectNotFound", f"project '{project}' has no deployment served here")
        return {"project": project, "deployments": rows}

    @api.get("/healthz", tags=["operations"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", tags=["operations"], summary="Registry scanned and every deployment loaded (503 while any cannot be served)",
             responses={503: {"description": "Not ready"}})
    async def readyz() -> JSONResponse:
        failures = state.registry.failures()
        ready = state.registry.ready
        body = {"status": "ready" if ready else "starting", "deployments": len(state.registry.snapshot()),
                "failures": failures}
        if not ready:
            return JSONResponse({**error_body("ServiceUnavailable", "registry not scanned yet"), **body},
                                status_code=503)
        if failures:  # a recorded deployment that cannot be served (or only by older weights) is not ready
            message = f"{len(failures)} deployment(s) cannot be served: {', '.join(sorted(failures))}"
            return JSONResponse({**error_body("ServiceUnavailable", message), **body, "status": "degraded"},
                                status_code=503)
        return JSONResponse(body)

    @api.get("/metrics", tags=["operations"], summary="Prometheus text exposition", response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        gauges = _gauges(state)
        return PlainTextResponse(state.metrics.render(gauges), media_type="text/plain; version=0.0.4; charset=utf-8")


def _gauges(state: ServeState) -> dict[str, tuple[str, float]]:
    """The process's gauges for ``/metrics``: name -> (help, value)."""
    gauges = {
        "nerspec_deployments": ("Deployments loaded and served.", float(len(state.registry.snapshot()))),
        "nerspec_model_swaps_total": ("Model loads that replaced or added a deployment.",
                                      float(state.registry.swaps)),
        "nerspec_jobs_stored": ("Analyze-text jobs held in memory.", float(state.jobs.count())),
        "nerspec_process_peak_rss_bytes": ("Peak resident memory of the server process.", _peak_rss()),
    }
    if state.monitoring is not None:
        counts = state.monitoring.counters()
        gauges["nerspec_monitoring_recorded_total"] = ("Documents logged for monitored deployments.",
                                                       counts["recorded"])
        gauges["nerspec_monitoring_dropped_total"] = ("Documents not logged: the write queue was full.",
                                                      counts["dropped"] + counts["failed"])
    if state.rollouts is not None:
        counters = state.rollouts.counters()
        gauges["nerspec_rollout_shadows_dropped_total"] = (
            "Requests whose rollout shadow was dropped (queue full).", counters["shadow_dropped"])
        gauges["nerspec_rollout_observations_dropped_total"] = (
            "Rollout observations dropped before writing (recorder queue full).", counters["observations_dropped"])
        gauges["nerspec_rollout_observations_failed_total"] = (
            "Rollout observations lost to a failed write.", counters["observations_failed"])
        gauges["nerspec_rollout_shadows_pending"] = (
            "Requests waiting for (or in) their shadow run.", counters["shadow_pending"])
        gauges["nerspec_rollout_observations_pending"] = (
            "Rollout observations waiting for the next batch write.", counters["observations_pending"])
    return gauges


def _describe(loaded: Loaded) -> dict[str, object]:
    return {"name": loaded.deployment, "fingerprint": loaded.fingerprint, "kind": loaded.kind,
            "language": loaded.language, "multilabel": loaded.multilabel, "deployedAt": loaded.deployed_at,
            "loadedAt": loaded.loaded_at}


def _peak_rss() -> float:
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)  # Linux reports KiB
