"""The run result's one JSON boundary: ``last-run.json`` as apply writes it, and the hand-written run results the
report tests use, parse and dump back to the same bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nerspec.run_record import RunRecord
from tests.report.runs import load_fixture


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_last_run_json_round_trips_byte_for_byte(tiny: Any, state: Any, run_apply: Any, monkeypatch: Any) -> None:
    from tests.tiny import make_docs, manifest

    tiny.write_manifest(manifest(gates={"regression": {"against": "production", "max_drop": {"micro_f1": 0.05}}}))
    run_apply()
    tiny.write_docs(make_docs(30))  # a second model, compared with the deployed one
    result = run_apply()
    written = (state.reports / "last-run.json").read_text(encoding="utf-8")
    record = RunRecord.from_json(json.loads(written))
    assert _dump(record.to_json()) == written and record.to_json() == result
    project = record.projects[0]
    assert project.baseline is not None and project.baseline.evaluation is not None
    assert project.evaluation is not None and project.evaluation.changes is not None
    assert project.deploy.deployed[0].to == project.model_field("fingerprint")


def test_evaluations_recorded_in_the_state_round_trip(tiny: Any, state: Any, run_apply: Any) -> None:
    # The fake evaluator records a minimal Evaluation, as an older nerspec did: no ci, guidance, calibration, ...
    from nerspec.evaluate.record import Evaluation
    from nerspec.state import open_store

    run_apply()
    store = open_store(state)
    try:
        recorded = [e for model in store.models("tiny") for e in store.evaluations(model.fingerprint).values()]
    finally:
        store.close()
    assert recorded
    for original in recorded:
        evaluation = Evaluation.from_json(original)
        assert _dump(evaluation.to_json()) == _dump(original)
        assert evaluation.calibration is None and evaluation.ci.level is None and evaluation.guidance == []


@pytest.mark.parametrize("name", ["ner_baseline", "ner_no_baseline", "ner_failed_gates", "textcat"])
def test_recorded_run_results_round_trip(name: str) -> None:
    original = load_fixture(name)
    assert _dump(RunRecord.from_json(original).to_json()) == _dump(original)


def test_an_empty_entry_reads_with_defaults() -> None:
    record = RunRecord.from_json({"projects": [{"name": "tiny"}]})
    (project,) = record.projects
    assert project.evaluation is None and project.gates.passed and project.deploy.deployed == []
    assert record.to_json() == {"projects": [{"name": "tiny"}]}
