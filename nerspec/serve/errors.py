"""Errors the HTTP layer turns into JSON, in the reference's envelope.

Every error body, on every endpoint, is ``{"error": {"code", "message"[, "innererror": {"code", "message"}]}}``
(the shape the official client parses with ``ODataV4Format``), so a client needs one error path.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from nerspec.errors import NerspecError


class InnerErrorJSON(TypedDict):
    code: str
    message: str


class ErrorJSON(TypedDict):
    """An error as the reference writes it; ``target`` names the failed task in a job's state."""

    code: str
    message: str
    innererror: NotRequired[InnerErrorJSON]
    target: NotRequired[str]


class ErrorBody(TypedDict):
    error: ErrorJSON


class DocumentErrorJSON(TypedDict):
    id: str
    error: ErrorJSON


class ApiError(NerspecError):
    """A request the server refuses: HTTP status, a top-level code, and optionally the reference's inner code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        inner_code: str | None = None,
        inner_message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.inner_code = inner_code
        self.inner_message = inner_message
        self.headers = headers or {}

    def body(self) -> ErrorBody:
        return error_body(self.code, self.message, self.inner_code, self.inner_message)


def error_body(code: str, message: str, inner_code: str | None = None, inner_message: str | None = None) -> ErrorBody:
    error: ErrorJSON = {"code": code, "message": message}
    if inner_code:
        error["innererror"] = {"code": inner_code, "message": inner_message or message}
    return {"error": error}


def document_error(doc_id: str, inner_code: str, message: str) -> DocumentErrorJSON:
    """A per-document error as the reference writes it (the client reads the inner code and message)."""
    return {"id": doc_id, "error": error_body("InvalidArgument", "Invalid document in request.", inner_code, message)["error"]}
