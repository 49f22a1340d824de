"""`plan` predicts `apply`: data errors, unusable splits and target misconfiguration fail the plan the way
apply would fail; an unreachable remote is reported as such, not as drift; a no-op apply keeps the report."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from tests.launch import install_parts
from tests.tiny import make_docs, manifest

FAKE_PARTS = {
    "NERSPEC_TEST_TRAINER": "tests.fakes:train",
    "NERSPEC_TEST_EVALUATOR": "tests.fakes:evaluate",
}


@pytest.fixture
def nerspec(tiny: Any, state: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    install_parts(FAKE_PARTS, monkeypatch.setattr)  # the real corpus reader and split: their checks are under test
    monkeypatch.setenv("NERSPEC_STATE", str(state.root))
    monkeypatch.delenv("NERSPEC_DEPLOY_TOKEN", raising=False)

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return run


def _with_datasets(n: int, test_every: int = 4) -> list[dict[str, Any]]:
    docs = make_docs(n)
    for i, doc in enumerate(docs):
        doc["dataset"] = "Test" if i % test_every == 0 else "Train"
    return docs


def test_a_manual_split_without_test_documents_fails_validate_plan_and_apply(nerspec: Any, tiny: Any) -> None:
    tiny.write_manifest(manifest(split={"policy": "manual"}))
    docs = make_docs(24)
    for doc in docs:
        doc["dataset"] = "Train"
    tiny.write_docs(docs)
    for command in ("validate", "plan", "apply"):
        result = nerspec(command, str(tiny.dir))
        assert result.exit_code == 1, (command, result.output)
        assert "nerspec.yaml:" in result.output and "manual split leaves no test documents" in result.output, command
        assert "+ train" not in result.output and "micro F1" not in result.output


def test_a_type_without_test_instances_is_a_warning_printed_by_plan_and_apply(nerspec: Any, tiny: Any) -> None:
    tiny.write_manifest(manifest(entities=[{"name": "PER"}, {"name": "LOC"}, {"name": "ORG"}], split={"policy": "manual"}))
    docs = _with_datasets(24)
    docs[1]["spans"].append([len(docs[1]["text"]) - 5, len(docs[1]["text"]) - 1, "ORG"])  # a train document
    tiny.write_docs(docs)
    expected = "entity type `ORG` has no instances in the test split; its scores cannot be measured"
    planned = nerspec("plan", str(tiny.dir), "--detailed-exitcode")
    assert planned.exit_code == 2 and expected in planned.output and "nerspec.yaml:" in planned.output
    as_json = nerspec("plan", str(tiny.dir), "--json")
    assert any(expected in w for w in json.loads(as_json.stdout)["warnings"])
    applied = nerspec("apply", str(tiny.dir))
    assert applied.exit_code == 0 and expected in applied.output


def test_http_target_configuration_errors_name_the_field(nerspec: Any, tiny: Any) -> None:
    tiny.write_manifest(manifest(deployments=[
        {"name": "production", "target": {"type": "http", "url": "http://:8080/", "token_env": "LOANS_TOKEN"}}]))
    result = nerspec("plan", str(tiny.dir))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any("nerspec.yaml:" in line and "malformed URL `http://:8080/`" in line for line in lines), result.output
    assert "1 deployment target error" in result.output and "drift" not in result.output
    assert "LOANS_TOKEN" not in result.output  # a secret of the machine that deploys, not a configuration error
    assert nerspec("apply", str(tiny.dir)).exit_code == 1


def test_reading_commands_never_need_an_http_targets_token(nerspec: Any, tiny: Any, state: Any) -> None:
    from nerspec.state import DeploymentRecord, open_store

    url = f"http://127.0.0.1:{_closed_port()}"  # never contacted: without the token nothing is asked of it
    target = {"type": "http", "url": url, "token_env": "LOANS_TOKEN"}
    tiny.write_manifest(manifest(deployments=[{"name": "production", "target": target}]))
    pull_request = nerspec("apply", str(tiny.dir), "--no-deploy")  # a pull request's run needs no token either
    assert pull_request.exit_code == 0, pull_request.output
    fingerprint = json.loads((state.reports / "last-run.json").read_text())["projects"][0]["model"]["fingerprint"]
    with open_store(state) as store:  # what the machine holding the token deployed
        store.set_deployment(DeploymentRecord("tiny", "production", fingerprint, target, "2026-01-01"),
                             action="deploy", actor="ci", reason="test")
    why = "remote " + url + " not checked: environment variable LOANS_TOKEN is unset"
    planned = nerspec("plan", str(tiny.dir), "--json", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert any(n.startswith("production: " + why) for n in json.loads(planned.stdout)["projects"][0]["notes"])
    listed = nerspec("deployments", "list", str(tiny.dir))
    assert listed.exit_code == 0 and why in listed.output and fingerprint[:12] in listed.output
    assert nerspec("deployments", "history", str(tiny.dir)).exit_code == 0
    assert nerspec("report").exit_code == 0
    tiny.write_docs(make_docs(30))  # now apply would deploy: it needs the token, and says so before training
    applied = nerspec("apply", str(tiny.dir))
    assert applied.exit_code == 1
    assert "nerspec.yaml:" in applied.output and "LOANS_TOKEN is unset" in applied.output
    assert "+ train" not in applied.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_remote_is_reported_with_its_url_not_as_drift(
    nerspec: Any, tiny: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert nerspec("apply", str(tiny.dir)).exit_code == 0
    url = f"http://127.0.0.1:{_closed_port()}"
    tiny.write_manifest(manifest(deployments=[{"name": "production", "target": {"type": "http", "url": url}}]))
    monkeypatch.setenv("NERSPEC_DEPLOY_TOKEN", "s3cret")
    monkeypatch.setattr("nerspec.deploy.http.BACKOFF_S", 0.01)
    result = nerspec("plan", str(tiny.dir), "--json")
    assert result.exit_code == 0, result.output
    project = json.loads(result.stdout)["projects"][0]
    assert project["actions"] == []  # no "! repair": nothing was observed
    (note,) = project["notes"]
    assert note.startswith(f"production: remote {url} unreachable (") and "cannot tell what it serves" in note


def test_a_no_op_apply_keeps_the_report_of_the_run_that_deployed(nerspec: Any, tiny: Any, state: Any) -> None:
    tiny.write_manifest(manifest(gates={"micro_f1": {"min": 0.5}}))
    assert nerspec("apply", str(tiny.dir)).exit_code == 0
    last_run = state.reports / "last-run.json"
    before = last_run.read_bytes()
    again = nerspec("apply", str(tiny.dir))
    assert again.exit_code == 0 and "no changes" in again.output and "unchanged" in again.output
    assert last_run.read_bytes() == before
    report = nerspec("report")
    assert report.exit_code == 0
    # the run that deployed: its gates and its deployment, not "no gates"
    assert "gates passed" in report.output and "deployed `production`" in report.output
    assert "no gates" not in report.output
    assert json.loads(before)["projects"][0]["deploy"]["deployed"]


def test_a_no_op_apply_without_an_earlier_report_rebuilds_it_from_the_state(nerspec: Any, tiny: Any, state: Any) -> None:
    tiny.write_manifest(manifest(gates={"micro_f1": {"min": 0.5}}))
    assert nerspec("apply", str(tiny.dir)).exit_code == 0
    (state.reports / "last-run.json").unlink()
    assert nerspec("apply", str(tiny.dir)).exit_code == 0
    (project,) = json.loads((state.reports / "last-run.json").read_text())["projects"]
    assert project["evaluation"]["micro"]["f1"] == pytest.approx(0.8)
    assert project["gates"]["results"][0]["name"] == "micro_f1" and project["gates"]["passed"]
    assert project["model"]["fingerprint"]
