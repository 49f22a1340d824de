"""The FastAPI application: wiring of the registry watcher, the worker pool, limits, auth and error mapping.

Error policy: every response with status >= 400 has a JSON body in the reference's envelope; client mistakes
get 4xx; an unexpected exception is logged with its traceback on the server and answered with a 500 that says
nothing about the internals.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nerspec.errors import ModelNotFoundError, NerspecError
from nerspec.paths import StatePaths
from nerspec.serve.errors import ApiError, ErrorBody, error_body
from nerspec.serve.limits import MAX_BODY_BYTES
from nerspec.serve.metrics import Metrics
from nerspec.serve.registry import Registry, load_predictor
from nerspec.serve.state import ACCESS_DENIED, ServeState

log = logging.getLogger("nerspec.serve")

DEFAULT_ADMIN_TOKEN_ENV = "NERSPEC_ADMIN_TOKEN"
__all__ = ["ACCESS_DENIED", "DEFAULT_ADMIN_TOKEN_ENV", "ServeState", "create_app"]


def _read_secret(env_name: str | None, what: str) -> str | None:
    if not env_name:
        return None
    value = os.environ.get(env_name, "")
    if not value:
        raise NerspecError(f"{what}: environment variable {env_name} is unset or empty")
    return value


class _Guard:
    """Pure ASGI middleware: body-size bound before parsing, request metrics by route template.

    Pure ASGI rather than BaseHTTPMiddleware: it adds microseconds, not a task per request.
    """

    def __init__(self, app: ASGIApp, state: ServeState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]
        limit = None if scope["path"].startswith("/admin/") else MAX_BODY_BYTES

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            # Admin bodies are tarballs, bounded by the upload limit (a client such as `curl -T` names no type).
            if scope["method"] in ("POST", "PUT", "PATCH") and limit is not None and _json_body(scope):
                checked = await _checked_json(receive, limit)
                if isinstance(checked, tuple):  # refused: (status, body)
                    await _send_json(send_wrapper, *checked)
                    return
                receive = checked
            elif limit is not None:
                declared = dict(scope["headers"]).get(b"content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    await _send_json(send_wrapper, 413, error_body(
                        "InvalidArgument", f"Request body is larger than {limit} bytes.", "InvalidDocumentBatch",
                        "Request Payload sent is too large to be processed."))
                    return
                if declared is None:
                    # Chunked: read it here (it is bounded anyway) so an oversized body is a 413, not a parse error.
                    replayed = await _buffered(receive, limit)
                    if replayed is None:
                        await _send_json(send_wrapper, 413, error_body(
                            "InvalidArgument", f"Request body is larger than {limit} bytes.", "InvalidDocumentBatch",
                            "Request Payload sent is too large to be processed."))
                        return
                    receive = replayed
                else:
                    receive = _bounded(receive, limit)
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.state.metrics.observe_request(scope["method"], template, status[0], time.perf_counter() - started)


def _json_body(scope: Scope) -> bool:
    """FastAPI parses a body as JSON when it says so, or says nothing."""
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    return not content_type or b"json" in content_type.lower()


# What may make a body unusable although ``json`` would parse it: an escaped surrogate, a huge or infinite number.
_SUSPECT = re.compile(rb"\\u[dD][89a-fA-F]|\d{40}|[eE][+-]?\d{3}|Infinity|NaN")


async def _checked_json(receive: Receive, limit: int) -> Receive | tuple[int, ErrorBody]:
    """Every JSON body checked at the edge, before any route sees it: within ``limit`` (413), parseable by
    ``nerspec.strict_json`` (bounded numbers) and every string of it, keys included, valid UTF-8 (no lone
    surrogate such as ``\\ud800``: it reached the jobs store, and every later GET of the job answered 500). A
    document's ``text`` is the exception: a surrogate there is that document's error, as in the reference.
    Bodies without an escaped surrogate or a suspicious number skip the second parse."""
    replayed = await _buffered(receive, limit)
    if replayed is None:
        return 413, error_body("InvalidArgument", f"Request body is larger than {limit} bytes.",
                               "InvalidDocumentBatch", "Request Payload sent is too large to be processed.")
    body = replayed.body
    if not body or not _SUSPECT.search(body):
        return replayed
    from nerspec.strict_json import loads
    from nerspec.values import strings_problem

    try:
        problem = strings_problem(loads(body), judged_later=frozenset({"text"}))
    except ValueError as exc:  # JSONDecodeError included; FastAPI words plain syntax errors its own way
        problem = f"Request body is not valid JSON: {exc}"
    if problem is None:
        return replayed
    return 400, error_body("InvalidArgument", "Invalid request.", "InvalidRequestBodyFormat", problem)


def _bounded(receive: Receive, limit: int) -> Receive:
    seen = [0]

    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            seen[0] += len(message.get("body", b""))
            if seen[0] > limit:  # chunked body without Content-Length
                raise ApiError(413, "InvalidArgument", f"Request body is larger than {limit} bytes.")
        return message

    return wrapped


async def _buffered(receive: Receive, limit: int) -> _Replay | None:
    """The whole body read up front (None when it exceeds ``limit``); replays it to the application."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            chunks = []
            break  # the client went away; the application sees the disconnect
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            return None
        chunks.append(body)
        if not message.get("more_body", False):
            break
    return _Replay(b"".join(chunks), receive)


class _Replay:
    """An ASGI ``receive`` that hands the application a body read ahead, then the connection's own messages."""

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body, self.receive, self.sent = body, receive, False

    async def __call__(self) -> Message:
        if not self.sent:
            self.sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        return await self.receive()


async def _send_json(send: Send, status: int, body: ErrorBody) -> None:
    import json

    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def create_app(
    paths: StatePaths,
    api_key_env: str | None = None,
    admin_token_env: str = DEFAULT_ADMIN_TOKEN_ENV,
    *,
    workers: int = 2,
    poll_interval: float = 0.5,
    job_ttl_s: float = 24 * 3600.0,
    job_max_bytes: int = 256 * 1024 * 1024,
    beam_width: int | None = None,
) -> FastAPI:
    """The server application for one state directory.

    ``api_key_env`` names the env var holding the key that ``Ocp-Apim-Subscription-Key`` must match (no key
    check without it). ``admin_token_env`` names the env var holding the bearer token for admin uploads; when
    it is unset, admin uploads are refused (403) rather than open. ``beam_width`` is passed to
    ``nerspec.predict.load`` (None: the scores the model's calibration was fitted on; 1: the greedy parser's
    action scores; more: a beam of that width; the entities are the same at any width).
    """
    from nerspec.serve import admin, jobs, native

    state = _serve_state(paths, api_key_env, admin_token_env, workers=workers, poll_interval=poll_interval,
                         beam_width=beam_width)
    store = state.jobs = jobs.JobStore(state, ttl_s=job_ttl_s, max_bytes=job_max_bytes)
    app = FastAPI(
        title="nerspec serve",
        version=_version(),
        description="Custom NER and text classification deployments of a nerspec state directory.",
        lifespan=_lifespan(state),
    )
    app.state.nerspec = state
    _add_error_handlers(app)
    app.include_router(native.router(state))
    app.include_router(admin.router(state))
    app.include_router(jobs.router(state, store))
    app.add_middleware(_Guard, state=state)
    return app


def _serve_state(paths: StatePaths, api_key_env: str | None, admin_token_env: str, *, workers: int,
                 poll_interval: float, beam_width: int | None) -> ServeState:
    """Everything the routes share: the registry of deployments, the job pool, the fair scheduler, the secrets."""
    from nerspec.serve.fair import FairScheduler
    from nerspec.serve.monitoring import MonitoringHub
    from nerspec.serve.rollouts import Rollouts
    from nerspec.serve.shared import StateSource

    source = StateSource(paths)
    registry = Registry(paths, poll_interval=poll_interval,
                        loader=functools.partial(load_predictor, beam_width=beam_width), source=source)
    scheduler = FairScheduler(max(1, workers))
    return ServeState(
        paths=paths,
        registry=registry,
        # Job orchestration only: a job's inference units go through the fair scheduler like any request's.
        pool=ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="nerspec-jobs"),
        metrics=Metrics(),
        api_key=_read_secret(api_key_env, "--api-key-env"),
        admin_token=os.environ.get(admin_token_env) or None,
        admin_token_env=admin_token_env,
        source=source,
        scheduler=scheduler,
        monitoring=MonitoringHub(paths),
        rollouts=Rollouts(paths, registry.loader, poll_interval, idle=scheduler.wait_idle),
    )


def _lifespan(state: ServeState) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start watching deployments when the server starts; stop every worker when it stops."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.get_running_loop().run_in_executor(None, state.registry.start)
        await asyncio.get_running_loop().run_in_executor(None, state.monitoring.start)
        await asyncio.get_running_loop().run_in_executor(None, state.rollouts.start)
        state.source.listen(state.registry.scan)  # a store that announces changes (NOTIFY): swap at once
        try:
            yield
        finally:
            state.source.stop()
            state.registry.stop()
            state.monitoring.close()  # writes what is queued
            state.rollouts.stop()  # writes the observations still queued
            state.jobs.close()
            state.scheduler.close()
            state.pool.shutdown(wait=False, cancel_futures=True)

    return lifespan


def _add_error_handlers(app: FastAPI) -> None:
    """Every error answers in the reference API's error shape, never with a traceback."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(ModelNotFoundError)
    async def _not_found(_: Request, exc: ModelNotFoundError) -> JSONResponse:
        return JSONResponse(error_body("NotFound", str(exc)), status_code=404)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("InvalidRequest", "Invalid request.", "InvalidRequestBodyFormat",
                                       _describe(exc.errors())), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "InvalidRequest")
        message = exc.detail if isinstance(exc.detail, str) else "Invalid request."
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("InternalServerError", "Internal error; the server log has the details."),
                            status_code=500)


def _describe(errors: Sequence[Mapping[str, object]]) -> str:
    parts = []
    for error in list(errors)[:10]:
        location = error.get("loc", ())
        where = ".".join(str(p) for p in (location if isinstance(location, (list, tuple)) else ()) if p != "body")
        parts.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request."


def _version() -> str:
    from nerspec.version import __version__

    return __version__
