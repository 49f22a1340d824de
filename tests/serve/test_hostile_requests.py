"""Hostile requests: lone surrogates, chunked oversized bodies, gzip bombs. Each ends in a 4xx in the
reference's error shape (never a 500, a reset connection or an internal message in a job result)."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Iterator

import httpx

from tests.serve.conftest import ADMIN_TOKEN, Server

ANALYZE = "/projects/people/deployments/production:analyze"
JOBS = "/language/analyze-text/jobs"
VERSION = {"api-version": "2023-04-01"}
SURROGATE_BODY = b'{"documents": [{"id": "bad", "text": "Alice \\ud800 Smith"}, {"id": "ok", "text": "Alice Smith"}]}'


def test_lone_surrogate_is_a_per_document_400_error(http: httpx.Client) -> None:
    response = http.post(ANALYZE, content=SURROGATE_BODY, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [d["id"] for d in body["documents"]] == ["ok"]
    [error] = body["errors"]
    assert error["id"] == "bad" and error["error"]["innererror"]["code"] == "InvalidDocument"
    assert "surrogate" in error["error"]["innererror"]["message"]


def test_lone_surrogate_in_an_id_is_a_request_error(http: httpx.Client) -> None:
    response = http.post(ANALYZE, content=b'{"documents": [{"id": "\\udfff", "text": "x"}]}',
                         headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "InvalidArgument"


def test_lone_surrogate_in_a_job_is_a_document_error(http: httpx.Client) -> None:
    body = (b'{"analysisInput": {"documents": [{"id": "bad", "text": "x \\ud800"}, {"id": "ok", "text": "Alice"}]},'
            b' "tasks": [{"kind": "CustomEntityRecognition", "taskName": "t",'
            b' "parameters": {"projectName": "people", "deploymentName": "production"}}]}')
    response = http.post(JOBS, params=VERSION, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 202, response.text
    job = response.headers["operation-location"].split("/jobs/")[1].split("?")[0]
    import time

    for _ in range(100):
        state = http.get(f"{JOBS}/{job}", params=VERSION).json()
        if state["status"] in ("succeeded", "failed", "partiallyCompleted"):
            break
        time.sleep(0.1)
    results = state["tasks"]["items"][0]["results"]
    assert [d["id"] for d in results["documents"]] == ["ok"]
    assert results["errors"][0]["id"] == "bad" and "surrogate" in str(results["errors"][0])
    assert "Traceback" not in str(state) and "UnicodeEncodeError" not in str(state)


def test_chunked_body_over_the_limit_is_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"documents": [{"id": "1", "text": "'
        for _ in range(10 * 16):
            yield b"a" * 65536
        yield b'"}]}'

    response = http.post(ANALYZE, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "InvalidArgument"


def _bomb(size: int) -> bytes:
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode="w|") as tar:
            info = tarfile.TarInfo("model/weights.bin")
            info.size = size
            tar.addfile(info, _Zeros(size))
    return raw.getvalue()


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n

    def readable(self) -> bool:
        return True


def test_gzip_bomb_upload_is_refused_by_its_uncompressed_size(server: Server) -> None:
    archive = _bomb(256 * 1024 * 1024)
    assert len(archive) < 2 * 1024 * 1024
    response = httpx.put(f"{server.url}/admin/projects/bomb/deployments/production",
                         params={"fingerprint": "b0mb" * 6, "sha256": hashlib.sha256(archive).hexdigest()},
                         content=archive, headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                                   "content-type": "application/gzip"}, timeout=60)
    assert response.status_code in (400, 413), response.text
    assert "uncompressed" in response.json()["error"]["message"]
    assert not (server.paths.models / ("b0mb" * 6)).exists()
    assert not list(server.paths.models.glob(".*.partial"))


def _job_body(display: str = "d", project: str = "people", language: str = "en") -> bytes:
    return (b'{"displayName": "%s", "analysisInput": {"documents": [{"id": "1", "text": "Alice", "language": "%s"}]},'
            b' "tasks": [{"kind": "CustomEntityRecognition", "taskName": "t",'
            b' "parameters": {"projectName": "%s", "deploymentName": "production"}}]}'
            % (display.encode(), language.encode(), project.encode()))


def _assert_edge_400(response: httpx.Response, needle: str = "surrogate") -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "InvalidArgument" and error["innererror"]["code"] == "InvalidRequestBodyFormat"
    assert needle in error["innererror"]["message"]


def test_a_surrogate_in_the_language_of_the_native_endpoint_is_400(http: httpx.Client) -> None:
    body = b'{"documents": [{"id": "1", "text": "Alice", "language": "\\ud800"}]}'
    _assert_edge_400(http.post(ANALYZE, content=body, headers={"content-type": "application/json"}))
    body = b'{"documents": [{"id": "1", "text": "Alice"}], "\\udc00": 1}'
    _assert_edge_400(http.post(ANALYZE, content=body, headers={"content-type": "application/json"}))


def test_surrogates_anywhere_in_a_job_are_400_and_create_no_job(http: httpx.Client) -> None:
    for body in (_job_body(display="\\ud800"), _job_body(project="\\udbff"), _job_body(language="\\udfff")):
        response = http.post(JOBS, params=VERSION, content=body, headers={"content-type": "application/json"})
        _assert_edge_400(response)
        assert "operation-location" not in response.headers
    ok = http.post(JOBS, params=VERSION, content=_job_body(), headers={"content-type": "application/json"})
    assert ok.status_code == 202, ok.text


def test_unusable_numbers_in_a_request_are_400(http: httpx.Client) -> None:
    for number in (b"1e400", b"Infinity", b"NaN", b"1" + b"0" * 5000):
        body = b'{"documents": [{"id": "1", "text": "Alice"}], "parameters": {"beam": %s}}' % number
        _assert_edge_400(http.post(ANALYZE, content=body, headers={"content-type": "application/json"}),
                         "Request body is not valid JSON")


def test_an_overlong_document_id_is_refused_for_its_length_not_as_empty(http: httpx.Client) -> None:
    from nerspec.serve.limits import MAX_ID_LENGTH

    response = http.post(ANALYZE, json={"documents": [{"id": "x" * (MAX_ID_LENGTH + 1), "text": "Alice"}]})
    assert response.status_code == 400
    assert response.json()["error"]["innererror"]["message"] == f"Document Id is longer than {MAX_ID_LENGTH} characters."
    blank = http.post(ANALYZE, json={"documents": [{"id": " ", "text": "Alice"}]})
    assert blank.json()["error"]["innererror"]["message"] == "Document Id must be a non-empty string."
