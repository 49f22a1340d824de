"""Stratified split version 4 through the real command path: apply records the sides it trained on, a second apply
with added documents moves none of them and keeps every class within one document of its quota, and
``nerspec data split`` and plan read the same recorded sides."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.apply import RunParts, apply
from nerspec.paths import StatePaths
from tests import fakes
from tests.tiny import TinyProject

CLASSES = {"billing": 40, "outage": 23, "praise": 12, "spam": 3}
FRACTION = 0.2


def textcat_docs(counts: dict[str, int], start: int = 0) -> list[dict[str, Any]]:
    docs = []
    for name, n in counts.items():
        for i in range(start, start + n):
            docs.append({"id": f"{name}-{i:04d}", "text": f"Ticket {i} about {name} number {i * 7}.", "labels": [name]})
    return docs


def textcat_manifest() -> dict[str, Any]:
    return {
        "apiVersion": "nerspec/v1", "kind": "TextClassificationProject", "metadata": {"name": "tickets"},
        "spec": {
            "classes": [{"name": name} for name in CLASSES],
            "data": [{"name": "main", "format": "jsonl", "path": "data/docs.jsonl"}],
            "split": {"policy": "stratified", "test_fraction": FRACTION},
            "training": {"max_steps": 30, "eval_frequency": 10, "patience": 0},
            "deployments": [{"name": "production"}],
        },
    }


def _cli_json(args: list[str]) -> dict[str, Any]:
    from nerspec.cli import cli

    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def split_json(project: TinyProject, state: StatePaths) -> dict[str, Any]:
    return _cli_json(["data", "split", str(project.dir), "--state", str(state.root), "--json"])


def assert_quotas(docs: list[dict[str, Any]], sides: dict[str, str]) -> None:
    size = Counter(d["labels"][0] for d in docs)
    tested = Counter(d["labels"][0] for d in docs if sides[d["id"]] == "test")
    for name, n in size.items():
        if n >= 10:
            assert abs(tested[name] - FRACTION * n) <= 1, (name, tested[name], n)


@pytest.mark.parametrize("added", [{"billing": 17, "outage": 9, "praise": 4, "spam": 8}])
def test_apply_records_sides_and_additions_move_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, added: dict[str, int]
) -> None:
    from nerspec.corpus.split_record import split_key
    from nerspec.plan.actions import Train
    from nerspec.plan.observe import make_plan
    from nerspec.state import open_store

    monkeypatch.chdir(tmp_path)
    project = TinyProject(tmp_path, "tickets")
    project.write_manifest(textcat_manifest())
    state = StatePaths(tmp_path / "state")
    parts = RunParts(trainer=fakes.train, evaluator=fakes.evaluate)  # the real corpus loader and splitter
    first = textcat_docs(CLASSES)
    project.write_docs(first)
    apply(project.load(), state, parts=parts, no_deploy=True)
    before = split_json(project, state)["documents"]
    assert_quotas(first, before)
    key = split_key(project.load()[0])
    assert key is not None
    store = open_store(state)
    try:
        recorded = store.recorded_split("tickets", key)
    finally:
        store.close()
    assert len(recorded) == len(first)
    assert {doc_id for doc_id, test in recorded.items() if test} == {i for i, s in before.items() if s == "test"}

    grown = first + textcat_docs(added, start=1000)
    project.write_docs(grown)
    apply(project.load(), state, parts=parts, no_deploy=True)
    after = split_json(project, state)["documents"]
    assert all((after[i] == "test") == (side == "test") for i, side in before.items())  # nothing moved
    assert_quotas(grown, after)
    stats = _cli_json(["data", "stats", str(project.dir), "--state", str(state.root), "--json"])
    assert stats["documents"]["test"] == sum(side == "test" for side in after.values())  # the same recorded sides
    store = open_store(state)
    try:  # the recorded sides reproduce the fingerprint apply trained: nothing to train
        planned = make_plan(project.load(), state, store, parts).projects[0]
        assert planned.fingerprint in {m.fingerprint for m in store.models("tickets")}
        assert not isinstance(planned.model_action, Train)
    finally:
        store.close()
