"""Fuzzing requests: hostile strings and numbers anywhere in a body of the native endpoint and the jobs API end in a
2xx or 4xx with the reference's error shape, never a 500, and an accepted job is readable afterwards."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz_strategies import json_string, json_values, request_documents, scalars

ANALYZE = "/projects/people/deployments/production:analyze"
JOBS = "/language/analyze-text/jobs"
VERSION = {"api-version": "2023-04-01"}
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
names = st.one_of(st.just('"people"'), st.just('"production"'), scalars)


def _assert_answered(response: httpx.Response, body: str) -> None:
    assert response.status_code < 500, (response.status_code, response.text, body)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)


@FUZZ
@given(documents=st.one_of(request_documents(), json_values()), extra=st.one_of(st.just(""), json_values()))
def test_the_native_endpoint_never_answers_500(http: httpx.Client, documents: str, extra: str) -> None:
    body = '{"documents": ' + documents + (', "parameters": ' + extra if extra else "") + "}"
    response = http.post(ANALYZE, content=body.encode(), headers={"content-type": "application/json"})
    _assert_answered(response, body)


@FUZZ
@given(documents=request_documents(), display=st.one_of(st.just('"job"'), scalars), project=names, deployment=names,
       kind=st.one_of(st.just('"CustomEntityRecognition"'), scalars))
def test_the_jobs_api_never_answers_500_and_its_jobs_stay_readable(http: httpx.Client, documents: str, display: str,
                                                                   project: str, deployment: str, kind: str) -> None:
    body = ('{"displayName": ' + display + ', "analysisInput": {"documents": ' + documents + '}, "tasks": [{"kind": '
            + kind + ', "taskName": ' + json_string("t") + ', "parameters": {"projectName": ' + project
            + ', "deploymentName": ' + deployment + "}}]}")
    response = http.post(JOBS, params=VERSION, content=body.encode(), headers={"content-type": "application/json"})
    _assert_answered(response, body)
    if response.status_code == 202:
        location = response.headers["operation-location"]
        job = location.split("/jobs/")[1].split("?")[0]
        _assert_answered(http.get(f"{JOBS}/{job}", params=VERSION), body)
