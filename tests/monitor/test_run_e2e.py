"""Production monitoring end to end: a real training (`apply`), a real `nerspec serve` on 127.0.0.1 logging to
real SQLite, then `nerspec monitor`, `label next --pool production` and `gc` on what it logged."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from nerspec.paths import StatePaths
from tests.monitor.traffic import in_distribution, other_domain, training_records

pytest.importorskip("spacy")
pytestmark = pytest.mark.slow

IN_WINDOW, OUT_WINDOW = 240, 90


def write_project(root: Path, monitoring: dict[str, Any]) -> Path:
    root.mkdir(parents=True)
    (root / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in training_records(200)))
    manifest = {
        "apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": "people"},
        "spec": {
            "entities": [{"name": "PERSON"}, {"name": "CITY"}],
            "data": [{"name": "main", "format": "jsonl", "path": "data.jsonl"}],
            "training": {"max_steps": 40, "eval_frequency": 10, "patience": 0, "seed": 1, "batch_size": 1000},
            "deployments": [{"name": "production", "monitoring": monitoring}, {"name": "staging"}],
        },
    }
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def send(url: str, deployment: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import httpx

    out = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for i in range(0, len(records), 25):
            body = {"documents": [{"id": r["id"], "text": r["text"]} for r in records[i:i + 25]]}
            response = client.post(f"/projects/people/deployments/{deployment}:analyze",
                                   params={"stringIndexType": "UnicodeCodePoint"}, json=body)
            assert response.status_code == 200, response.text
            out.extend(response.json()["documents"])
    return out


def wait_logged(paths: StatePaths, count: int) -> None:
    from nerspec.state import open_store

    deadline = time.monotonic() + 30
    while True:
        store = open_store(paths)
        try:
            logged = store.monitoring_counts().get(("people", "production"), 0)
        finally:
            store.close()
        if logged >= count or time.monotonic() > deadline:
            assert logged == count
            return
        time.sleep(0.1)


def precision(records: list[dict[str, Any]], results: list[dict[str, Any]]) -> float:
    gold = {(r["id"], s["start"], s["end"], s["label"]) for r in records for s in r["spans"]}
    predicted = [(d["id"], e["offset"], e["offset"] + e["length"], e["category"])
                 for d in results for e in d["entities"]]
    return sum(p in gold for p in predicted) / len(predicted)


@dataclass
class Served:
    project: Any
    root: Path
    paths: StatePaths
    measured: float
    inside: Any  # MonitorResult of the in-distribution window
    outside: Any  # MonitorResult of the other-domain window
    staging_logged: int


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from nerspec.apply import apply
    from nerspec.manifest.load import load_project
    from nerspec.monitor.run import monitor
    from nerspec.serve.app import create_app
    from nerspec.state import open_store
    from tests.serve.conftest import run_server

    base = tmp_path_factory.mktemp("monitoring")
    root = write_project(base / "people", {"store_texts": True, "alert": {"min_documents": 20}})
    paths = StatePaths(base / "state")
    project = load_project(root)
    apply([project], paths)
    app = create_app(paths, workers=2, poll_interval=0.05)
    inside_records, outside_records = in_distribution(IN_WINDOW), other_domain(OUT_WINDOW)
    for server in run_server(app, paths):
        results = send(server.url, "production", inside_records)
        send(server.url, "staging", inside_records[:50])
        wait_logged(paths, IN_WINDOW)
        inside = monitor(project, "production", paths, last=IN_WINDOW)
        send(server.url, "production", outside_records)
        wait_logged(paths, IN_WINDOW + OUT_WINDOW)
        outside = monitor(project, "production", paths, last=OUT_WINDOW)
    store = open_store(paths)
    staging = store.monitoring_counts().get(("people", "staging"), 0)
    store.close()
    yield Served(project, root, paths, precision(inside_records, results), inside, outside, staging)


def test_in_distribution_traffic_shows_no_drift(served: Served) -> None:
    drift = served.inside.drift
    assert drift is not None and not drift.drifted, [(s.name, s.p_value, s.effect, s.window, s.reference) for s in drift.signals]
    assert {s.name for s in drift.signals} == {"length", "unseen_words", "languages", "labels", "mean_confidence"}
    assert all(0.0 <= s.p_value <= 1.0 for s in drift.signals)
    assert served.inside.window.documents == IN_WINDOW and served.inside.alerts == []


def test_estimated_precision_is_within_a_tenth_of_the_measured(served: Served) -> None:
    estimated = served.inside.estimated
    assert estimated.reliable, estimated.reasons
    assert abs(estimated.precision - served.measured) <= 0.1, (estimated.precision, served.measured)
    assert estimated.interval[0] <= estimated.precision <= estimated.interval[1]
    assert {row.label for row in estimated.per_label} == {"PERSON", "CITY"}
    assert served.inside.compared is not None and served.inside.compared.measured_precision is not None


def test_other_domains_drift_and_alert(served: Served) -> None:
    drift = served.outside.drift
    assert drift is not None and drift.drifted and drift.score >= 1
    drifted = {s.name for s in drift.signals if s.drifted}
    assert "unseen_words" in drifted, drift
    assert not served.outside.estimated.reliable
    assert served.outside.alerts and served.outside.alerts[0].startswith("drift:")


def test_monitor_command_exits_3_on_an_alert_and_prints_json(served: Served) -> None:
    from click.testing import CliRunner

    from nerspec.cli import cli

    args = ["monitor", str(served.root), "--deployment", "production", "--state", str(served.paths.root), "--json"]
    drifted = CliRunner().invoke(cli, [*args, "--last", str(OUT_WINDOW)])
    assert drifted.exit_code == 3, drifted.output
    assert json.loads(drifted.output[:drifted.output.rindex("}") + 1])["drift"]["drifted"] is True
    everything = CliRunner().invoke(cli, [*args, "--since", "1h"])
    assert everything.exit_code in (0, 3)  # a quarter of the traffic from other domains: borderline by design
    window = json.loads(everything.output[:everything.output.rindex("}") + 1])["window"]
    assert window["documents"] == IN_WINDOW + OUT_WINDOW and window["other_models"] == 0
    missing = CliRunner().invoke(cli, [*args[:3], "staging", *args[4:]])
    assert missing.exit_code == 1 and "no `monitoring` block" in missing.output


def test_nothing_is_logged_for_a_deployment_without_monitoring(served: Served) -> None:
    assert served.staging_logged == 0


def test_label_next_prefers_production_documents_unlike_the_training_data(served: Served) -> None:
    from nerspec.label.next import next_batch
    from nerspec.monitor.pool import production_pool
    from nerspec.predict import load

    pool = production_pool(served.project, "production", served.paths)
    assert len(pool.documents) <= IN_WINDOW + OUT_WINDOW and pool.logged == IN_WINDOW + OUT_WINDOW
    predictor = load(served.root, deployment="production", state=served.paths.root)
    batch = next_batch(served.project, 10, production=pool, predictor=predictor)
    unlike = [p for p in batch.picks if p.id.startswith("out")]
    assert len(unlike) >= 8, [p.id for p in batch.picks]
    assert any(r.startswith("unlike the training data") for p in unlike for r in p.reasons)

    from nerspec.label.suggest import suggest

    drafts = suggest(served.project, predictor, production=pool, ids=[unlike[0].id])
    assert [doc.id for doc, _ in drafts] == [unlike[0].id] and drafts[0][0].text == pool.documents[[d.id for d in pool.documents].index(unlike[0].id)].text


def test_gc_removes_expired_documents(served: Served) -> None:
    from nerspec.gc import collect
    from nerspec.state import open_store
    from nerspec.state.monitoring import MonitoredDocument

    store = open_store(served.paths)
    old = MonitoredDocument("people", "production", "fp", 1.0, "ancient", "en", 5, 1, 0, (), 2.0, "hello")
    store.record_monitoring_documents([old])
    store.close()
    assert collect(served.paths).expired_documents == 1


def test_report_has_a_production_section_and_the_html_charts_it(served: Served, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nerspec.cli import cli

    state = ["--state", str(served.paths.root)]
    markdown = CliRunner().invoke(cli, ["report", *state])
    assert markdown.exit_code == 0, markdown.output
    section = markdown.output[markdown.output.index("### Production"):]
    assert f"{IN_WINDOW + OUT_WINDOW} logged documents" in section and "| unseen\\_words | ks |" in section
    assert "Estimated precision" in section and "measured on the test split" in section
    html = CliRunner().invoke(cli, ["report", *state, "-o", str(tmp_path / "report.html")])
    assert html.exit_code == 0, html.output
    page = (tmp_path / "report.html").read_text()
    assert "<h3>Production</h3>" in page and "<polyline" in page and "estimated precision (95%)" in page
