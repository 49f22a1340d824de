"""Smoke checks after a switch: what passes and fails, and the automatic switch back (real tiny training)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.deploy import local
from nerspec.deploy.smoke import _failure
from nerspec.errors import EXIT_GATE_FAILED
from nerspec.manifest.schema import SmokeCheck
from nerspec.paths import StatePaths
from nerspec.predictions import from_json
from nerspec.state import open_store
from tests.tiny import make_docs, manifest

NER = from_json([{"category": "PER", "text": "Alice", "confidenceScore": 0.9},
                 {"category": "LOC", "text": "Paris", "confidenceScore": 0.4}])


@pytest.mark.parametrize("check, expected", [
    ({"text": "t", "entities": [{"category": "PER", "text": "Alice"}]}, None),
    ({"text": "t", "entities": [{"category": "PER"}, {"category": "LOC"}]}, None),
    ({"text": "t", "entities": [{"category": "PER", "text": "Bob"}]}, "expected PER 'Bob', got PER 'Alice' (0.90), LOC 'Paris' (0.40)"),
    ({"text": "t", "entities": [{"category": "LOC"}], "min_confidence": 0.5}, "confidence 0.400 of LOC is below 0.5"),
    ({"text": "t", "min_confidence": 0.3}, None),
    ({"text": "t", "classes": ["SPORTS"]}, "expected SPORTS, got PER 'Alice' (0.90), LOC 'Paris' (0.40)"),
])
def test_check_outcomes(check: dict[str, Any], expected: str | None) -> None:
    assert _failure(SmokeCheck(**check), NER) == expected


def test_nothing_predicted_fails_a_confidence_check() -> None:
    assert _failure(SmokeCheck(text="t", min_confidence=0.1), []) == "expected a prediction with confidence >= 0.1, got none"


@pytest.mark.slow
def test_failing_smoke_check_switches_back_and_exits_3(tiny: Any, state: StatePaths) -> None:
    training = {"max_steps": 10, "eval_frequency": 5, "patience": 0, "dev_fraction": 0.0}
    tiny.write_manifest(manifest(training=training))
    runner = CliRunner()
    first = runner.invoke(cli, ["apply", str(tiny.dir), "--state", str(state.root)])
    assert first.exit_code == 0, first.output
    old = local.read_pointer(state, "tiny", "production")["fingerprint"]  # type: ignore[index]

    smoke = [{"text": "Nobody went anywhere.", "entities": [{"category": "LOC", "text": "Atlantis"}]}]
    tiny.write_manifest(manifest(training=training, deployments=[{"name": "production", "smoke": smoke}]))
    tiny.write_docs(make_docs(28))
    second = runner.invoke(cli, ["apply", str(tiny.dir), "--state", str(state.root)])
    assert second.exit_code == EXIT_GATE_FAILED, second.output
    assert "smoke check failed on text 'Nobody went anywhere.': expected LOC 'Atlantis'" in second.output
    assert "switched back to " + old[:12] in second.output
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == old  # type: ignore[index]
    with open_store(state) as store:
        history = store.history("tiny", "production")
        assert [h.action for h in history] == ["deploy", "deploy", "rollback"]
        assert history[-1].to_fp == old and "smoke check failed" in history[-1].reason
    plan = runner.invoke(cli, ["plan", str(tiny.dir), "--state", str(state.root), "--detailed-exitcode"])
    assert plan.exit_code == 0 and "was rolled back" in plan.output  # no redeploy loop
    assert "held back" in plan.output and "smoke check failed on text 'Nobody went anywhere.'" in plan.output
    new = history[-1].from_fp

    # The check is fixed (the deployment's settings change): the held-back model is a pending deploy again.
    fixed = [{"text": "Nobody went anywhere."}]
    tiny.write_manifest(manifest(training=training, deployments=[{"name": "production", "smoke": fixed}]))
    plan = runner.invoke(cli, ["plan", str(tiny.dir), "--state", str(state.root), "--detailed-exitcode"])
    assert plan.exit_code == 2 and "production's settings changed since" in plan.output, plan.output
    third = runner.invoke(cli, ["apply", str(tiny.dir), "--state", str(state.root)])
    assert third.exit_code == 0, third.output
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == new  # type: ignore[index]
