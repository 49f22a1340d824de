"""The official azure-ai-textanalytics client, unchanged, against a real ``nerspec serve``."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from azure.ai.textanalytics import (
    DocumentError,
    MultiLabelClassifyAction,
    RecognizeCustomEntitiesAction,
    SingleLabelClassifyAction,
    TextAnalyticsClient,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from tests.serve.conftest import API_KEY, Server

JOBS = "/language/analyze-text/jobs"
VERSION = {"api-version": "2023-04-01"}


@pytest.fixture()
def client(server: Server) -> TextAnalyticsClient:
    return TextAnalyticsClient(server.url, AzureKeyCredential(API_KEY))


def recognize(client: TextAnalyticsClient, docs: list[Any], deployment: str = "production", **kw: Any) -> list[Any]:
    poller = client.begin_recognize_custom_entities(docs, project_name="people", deployment_name=deployment,
                                                    polling_interval=1, **kw)
    return list(poller.result())


def test_single_document(client: TextAnalyticsClient) -> None:
    [result] = recognize(client, ["Alice Smith moved to Paris last year."])
    assert not result.is_error
    found = {(e.text, e.category, e.offset, e.length) for e in result.entities}
    assert ("Alice Smith", "PERSON", 0, 11) in found and ("Paris", "CITY", 21, 5) in found
    assert all(0.0 <= e.confidence_score <= 1.0 for e in result.entities)


def test_batched_documents_keep_order(client: TextAnalyticsClient) -> None:
    texts = [f"Bob Jones lives in Berlin. ({i})" for i in range(25)]
    results = recognize(client, [{"id": f"d{i}", "text": t, "language": "en"} for i, t in enumerate(texts)])
    assert [r.id for r in results] == [f"d{i}" for i in range(25)]
    assert all(any(e.text == "Bob Jones" for e in r.entities) for r in results)


@pytest.mark.parametrize(("unit", "offset"), [("UnicodeCodePoint", 20), ("Utf16CodeUnit", 23), ("TextElement_v8", 16)])
def test_emoji_offsets_per_string_index_type(client: TextAnalyticsClient, unit: str, offset: int) -> None:
    [result] = recognize(client, ["👨‍👩‍👧 Bob Jones met Alice Smith in Berlin 🇩🇪."], string_index_type=unit)
    alice = [e for e in result.entities if e.text == "Alice Smith"][0]
    assert (alice.offset, alice.length) == (offset, 11)


def test_per_document_errors_are_document_errors(client: TextAnalyticsClient) -> None:
    docs = [{"id": "empty", "text": ""}, {"id": "ok", "text": "Bob Jones lives in Berlin."},
            {"id": "long", "text": "x" * 125_001}, {"id": "fr", "text": "Alice Smith", "language": "fr"}]
    results = recognize(client, docs)
    assert [r.id for r in results] == ["empty", "ok", "long", "fr"]
    assert [type(r) is DocumentError for r in results] == [True, False, True, True]
    assert results[0].error.code == "InvalidDocument" and results[3].error.code == "UnsupportedLanguageCode"


def test_unknown_deployment_raises_the_clients_error(client: TextAnalyticsClient) -> None:
    with pytest.raises(HttpResponseError, match="was not found"):
        recognize(client, ["Alice"], deployment="nope")


def test_wrong_key_raises_authentication_error(server: Server) -> None:
    client = TextAnalyticsClient(server.url, AzureKeyCredential("wrong"))
    with pytest.raises(ClientAuthenticationError):
        client.begin_recognize_custom_entities(["x"], project_name="people", deployment_name="production")


def test_too_many_documents_raise_before_the_job(client: TextAnalyticsClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        recognize(client, ["Alice"] * 26)
    assert caught.value.status_code == 400 and caught.value.error.code == "InvalidDocumentBatch"


def test_single_and_multi_label_classification(client: TextAnalyticsClient) -> None:
    [single] = list(client.begin_single_label_classify(
        ["The team won the championship game last night."], project_name="topics", deployment_name="production",
        polling_interval=1).result())
    assert [c.category for c in single.classifications] == ["SPORTS"]
    [multi] = list(client.begin_multi_label_classify(
        ["The minister opened the new stadium for the football club."], project_name="tags",
        deployment_name="production", polling_interval=1).result())
    assert {"SPORTS", "POLITICS"} <= {c.category for c in multi.classifications}


def test_several_tasks_in_one_job(client: TextAnalyticsClient) -> None:
    poller = client.begin_analyze_actions(
        ["Alice Smith moved to Paris last year.", "The senator announced a campaign for re-election."],
        actions=[RecognizeCustomEntitiesAction("people", "production"),
                 SingleLabelClassifyAction("topics", "production"),
                 MultiLabelClassifyAction("tags", "production")],
        polling_interval=1)
    results = list(poller.result())
    assert len(results) == 2 and all(len(per_doc) == 3 for per_doc in results)
    entities, single, _ = results[0]
    assert any(e.text == "Alice Smith" for e in entities.entities)
    assert results[1][1].classifications[0].category == "POLITICS"
    assert poller.details["total_actions_count"] == 3 and poller.details["actions_failed_count"] == 0


def test_failed_task_beside_a_good_one_is_partially_completed(client: TextAnalyticsClient) -> None:
    poller = client.begin_analyze_actions(
        ["Alice Smith moved to Paris."],
        actions=[RecognizeCustomEntitiesAction("people", "production"),
                 RecognizeCustomEntitiesAction("people", "missing")], polling_interval=1)
    [[good, bad]] = list(poller.result())
    assert not good.is_error and bad.is_error and "was not found" in bad.error.message


def test_kind_mismatch_fails_the_task(client: TextAnalyticsClient) -> None:
    with pytest.raises(HttpResponseError, match="does not match"):
        list(client.begin_single_label_classify(["x y"], project_name="people", deployment_name="production",
                                                polling_interval=1).result())


@pytest.mark.parametrize(("task", "project", "deployed"), [
    ("CustomMultiLabelClassification", "topics", "a single-label TextClassificationProject"),
    ("CustomSingleLabelClassification", "tags", "a multi-label TextClassificationProject"),
    ("CustomEntityRecognition", "topics", "a TextClassificationProject"),
    ("CustomMultiLabelClassification", "people", "a NERProject"),
])
def test_task_that_does_not_fit_the_deployment_is_refused(http: httpx.Client, task: str, project: str,
                                                          deployed: str) -> None:
    body = {"analysisInput": {"documents": [{"id": "1", "text": "The team won the match."}]},
            "tasks": [{"kind": task, "taskName": "t", "parameters": {"projectName": project,
                                                                      "deploymentName": "production"}}]}
    response = http.post(JOBS, params=VERSION, json=body)
    assert response.status_code == 202, response.text
    job_id = response.headers["operation-location"].split("/jobs/")[1].split("?")[0]
    for _ in range(100):
        state = http.get(f"{JOBS}/{job_id}", params=VERSION).json()
        if state["status"] in ("failed", "succeeded", "partiallyCompleted"):
            break
        time.sleep(0.05)
    # The reference's shape: the job fails, its task item carries no results, the error names the task.
    assert state["status"] == "failed" and state["tasks"]["failed"] == 1 and state["tasks"]["completed"] == 0
    (error,) = state["errors"]
    assert error["code"] == "InvalidRequest" and error["innererror"]["code"] == "InvalidParameterValue"
    assert error["target"] == "#/tasks/items/0"
    assert error["message"] == f"Task kind {task} does not match project '{project}', {deployed}."
    assert "results" not in state["tasks"]["items"][0]


def _submit(http: httpx.Client, docs: list[dict[str, Any]], deployment: str = "production") -> str:
    body = {"analysisInput": {"documents": docs}, "tasks": [{"kind": "CustomEntityRecognition", "taskName": "t",
            "parameters": {"projectName": "people", "deploymentName": deployment}}]}
    response = http.post(JOBS, params=VERSION, json=body)
    assert response.status_code == 202, response.text
    # Never a finished status in the 202 body, however fast the job: the official client's poller reads it
    # and would take a results-less body as the final answer.
    assert response.json()["status"] == "notStarted"
    location = response.headers["operation-location"]
    assert location.startswith(str(http.base_url).rstrip("/") + JOBS + "/")
    return location.split("/jobs/")[1].split("?")[0]


def test_raw_job_state_paging_stats_and_ids(http: httpx.Client) -> None:
    docs = [{"id": str(i), "text": f"Alice Smith moved to Paris. {i}"} for i in range(5)]
    job_id = _submit(http, docs)
    assert len(job_id) == 36 and job_id != _submit(http, docs)  # uuid4: unguessable, unique
    state = http.get(f"{JOBS}/{job_id}", params={**VERSION, "top": 2, "showStats": "true"}).json()
    assert state["status"] == "succeeded" and state["tasks"]["completed"] == 1
    for key in ("jobId", "createdDateTime", "lastUpdatedDateTime", "expirationDateTime", "errors"):
        assert key in state
    item = state["tasks"]["items"][0]
    assert item["kind"] == "CustomEntityRecognitionLROResults" and item["taskName"] == "t"
    assert item["results"]["modelFingerprint"] == "a1" * 10  # which model answered (the fixture's production)
    assert [d["id"] for d in item["results"]["documents"]] == ["0", "1"]
    assert item["results"]["statistics"]["documentsCount"] == 5
    assert item["results"]["documents"][0]["statistics"]["charactersCount"] == len(docs[0]["text"])
    ids = []
    link = state["nextLink"]
    for _ in range(5):  # bounded walk over pages
        page = http.get(link).json()
        ids += [d["id"] for d in page["tasks"]["items"][0]["results"]["documents"]]
        link = page.get("nextLink")
        if not link:
            break
    assert ids == ["2", "3", "4"]
    # Default index type of the REST API (no stringIndexType sent) is TextElement_v8.
    emoji = _submit(http, [{"id": "1", "text": "👨‍👩‍👧 Bob Jones met Alice Smith in Berlin 🇩🇪."}])
    ents = http.get(f"{JOBS}/{emoji}", params=VERSION).json()["tasks"]["items"][0]["results"]["documents"][0]
    assert [e["offset"] for e in ents["entities"] if e["text"] == "Alice Smith"] == [16]


def test_job_errors_unknown_jobs_and_cancel(http: httpx.Client, server: Server) -> None:
    job_id = _submit(http, [{"id": "1", "text": "x"}], deployment="nope")
    state = http.get(f"{JOBS}/{job_id}", params=VERSION).json()
    assert state["status"] == "failed" and state["errors"][0]["target"] == "#/tasks/items/0"
    missing = http.get(f"{JOBS}/00000000-0000-4000-8000-000000000000", params=VERSION)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
    done = http.post(f"{JOBS}/{job_id}:cancel", params=VERSION)
    assert done.status_code == 400 and "error" in done.json()
    assert http.post(f"{JOBS}/nope:cancel", params=VERSION).status_code == 404
    assert http.get(f"{JOBS}/{job_id}", params={"api-version": "1999-01-01"}).status_code == 400
    assert httpx.get(f"{server.url}{JOBS}/{job_id}", params=VERSION).status_code == 401  # no key
    unsupported = {"analysisInput": {"documents": [{"id": "1", "text": "x"}]},
                   "tasks": [{"kind": "EntityRecognition", "parameters": {"projectName": "a", "deploymentName": "b"}}]}
    assert http.post(JOBS, params=VERSION, json=unsupported).status_code == 400


def test_cancel_before_start_cancels(server: Server) -> None:
    """Cancel is deterministic when the job cannot start: hold the worker pool busy first."""
    import threading

    from nerspec.serve.jobs import Job, TaskRun, _now

    state = server.app.state.nerspec
    gate = threading.Event()
    blockers = [state.pool.submit(gate.wait, 10) for _ in range(4)]
    try:
        job = Job(id="cancel-me-0000", display_name=None, documents=[{"id": "1", "text": "Alice", "language": None}],
                  tasks=[TaskRun("t", "CustomEntityRecognition", "people", "production", "UnicodeCodePoint")],
                  created=_now(), expires=_now(), expires_mono=1e18, doc_order=["1"])
        state.jobs.submit(job)
        assert state.jobs.cancel("cancel-me-0000").status == "cancelling"
    finally:
        gate.set()
        for b in blockers:
            b.result(timeout=10)
    for _ in range(100):
        if job.status == "cancelled":
            break
        import time

        time.sleep(0.05)
    assert job.status == "cancelled" and job.tasks[0].status == "cancelled"


def test_dollar_paging_parameters_have_the_plain_ones_bounds(http: httpx.Client) -> None:
    """`$top=0` gave a nextLink with top=0 (refused when followed: a client paging on it never got the rest)."""
    job_id = _submit(http, [{"id": str(i), "text": "Alice Smith moved to Paris."} for i in range(3)])
    for name, value in (("$top", "0"), ("$top", "1001"), ("$skip", "1000001"), ("$top", "-1"), ("$skip", "x")):
        response = http.get(f"{JOBS}/{job_id}", params={**VERSION, name: value})
        assert response.status_code == 400, (name, value, response.text)
        assert response.json()["error"]["innererror"]["code"] == "InvalidParameterValue"
    page = http.get(f"{JOBS}/{job_id}", params={**VERSION, "$top": "2", "$skip": "0"}).json()
    assert len(page["tasks"]["items"][0]["results"]["documents"]) == 2
    assert http.get(page["nextLink"]).status_code == 200
