"""Gates are a pure function of evaluation JSON and the manifest's gates."""

from __future__ import annotations

from typing import Any

from nerspec.evaluate.record import Evaluation
from nerspec.gates import evaluate_gates, failures_message, summary
from nerspec.manifest.gates import ClassificationGates, NERGates


def ev_json(micro: float, per: dict[str, float], key: str = "per_entity") -> dict[str, Any]:
    return {
        "micro": {"precision": micro, "recall": micro, "f1": micro},
        "macro": {"precision": micro, "recall": micro, "f1": sum(per.values()) / len(per)},
        key: {k: {"precision": v, "recall": v, "f1": v, "support": 5} for k, v in per.items()},
    }


def ev(micro: float, per: dict[str, float], key: str = "per_entity") -> Evaluation:
    return Evaluation.from_json(ev_json(micro, per, key))


def test_absolute_and_star_default() -> None:
    gates = NERGates.model_validate(
        {"micro_f1": {"min": 0.7}, "per_entity": {"*": {"f1": {"min": 0.5}}, "LOC": {"recall": {"min": 0.9}}}}
    )
    results = evaluate_gates("NERProject", ["PER", "LOC"], gates, ev(0.75, {"PER": 0.4, "LOC": 0.8}))
    by = {(r.name, r.label): r for r in results}
    assert by[("micro_f1", None)].passed
    assert not by[("per_entity.*.f1", "PER")].passed  # the "*" default applies to PER
    assert not by[("per_entity.LOC.recall", "LOC")].passed  # LOC's own gate replaces the default
    assert ("per_entity.*.f1", "LOC") not in by
    message = failures_message("tiny", results)
    assert "2 gates failed" in message and "  - per_entity.*.f1 [PER] = 0.400 < min 0.500" in message


def test_kind_agnostic_classification() -> None:
    gates = ClassificationGates.model_validate({"per_class": {"*": {"f1": {"min": 0.5}}}})
    results = evaluate_gates("TextClassificationProject", ["a", "b"], gates, ev(0.7, {"a": 0.6, "b": 0.3}, "per_class"))
    assert [(r.name, r.label, r.passed) for r in results] == [("per_class.*.f1", "a", True), ("per_class.*.f1", "b", False)]


def test_label_missing_from_test_set() -> None:
    gates = NERGates.model_validate({"per_entity": {"*": {"f1": {"min": 0.5}}, "ORG": {"f1": {"min": 0.5}}}})
    results = evaluate_gates("NERProject", ["PER", "ORG", "LOC"], gates, ev(0.7, {"PER": 0.9}))
    by = {r.label: r for r in results}
    assert not by["ORG"].passed and "no test instances" in by["ORG"].message  # named explicitly: needs evidence
    assert by["LOC"].passed  # only the default: noted, not failed


def test_regression_gates() -> None:
    gates = NERGates.model_validate(
        {"regression": {"against": "production", "max_drop": {"micro_f1": 0.02, "per_label_f1": 0.05}}}
    )
    current = ev(0.80, {"PER": 0.70, "LOC": 0.90})
    baseline = ev(0.81, {"PER": 0.80, "LOC": 0.90})
    results = evaluate_gates("NERProject", ["PER", "LOC"], gates, current, baseline)
    by = {r.name: r for r in results}
    assert by["regression.micro_f1"].passed
    assert not by["regression.per_label_f1[PER]"].passed
    assert by["regression.per_label_f1[PER]"].baseline == 0.80
    # read as a drop against a baseline, never "value X, threshold Y"
    assert by["regression.micro_f1"].message == (
        "micro_f1 dropped 0.010 (0.810 -> 0.800) against production, within the allowed 0.020")
    assert by["regression.per_label_f1[PER]"].message == (
        "PER f1 dropped 0.100 (0.800 -> 0.700) against production, more than the allowed 0.050")
    assert by["regression.per_label_f1[LOC]"].message == "LOC f1 unchanged (0.900 -> 0.900) against production"
    assert "  - PER f1 dropped 0.100" in failures_message("tiny", results)


def test_regression_gates_without_a_deployed_model_are_skipped_not_dropped() -> None:
    gates = NERGates.model_validate(
        {"micro_f1": {"min": 0.5},
         "regression": {"against": "production", "max_drop": {"micro_f1": 0.02, "per_label_f1": 0.05}}}
    )
    results = evaluate_gates("NERProject", ["PER"], gates, ev(0.80, {"PER": 0.70}), None)
    skipped = [r for r in results if r.skipped]
    assert [(r.name, r.threshold, r.passed) for r in skipped] == [
        ("regression.micro_f1", 0.02, True), ("regression.per_label_f1", 0.05, True)]
    assert {r.message for r in skipped} == {"skipped: no model deployed in `production` yet"}
    # JSON: same keys as any result plus "skipped"; evaluated results do not grow a key.
    as_json = [r.to_json() for r in results]
    assert as_json[0].keys() == {"name", "metric", "label", "threshold", "value", "baseline", "passed", "message"}
    assert as_json[1] == {"name": "regression.micro_f1", "metric": "micro_f1", "label": None, "threshold": 0.02,
                          "value": None, "baseline": None, "passed": True, "skipped": True,
                          "message": "skipped: no model deployed in `production` yet"}
    assert summary(results).passed is True  # a skipped gate never blocks the first deployment


def test_significance_lets_noise_pass() -> None:
    gates = NERGates.model_validate(
        {"regression": {"against": "production", "max_drop": {"micro_f1": 0.0}, "significance": 0.05}}
    )
    current, baseline = ev(0.78, {"PER": 0.78}), ev(0.80, {"PER": 0.80})
    noisy = evaluate_gates("NERProject", ["PER"], gates, current, baseline, lambda m, l: 0.4)  # noqa: E741
    assert noisy[0].passed and "not significant" in noisy[0].message
    real = evaluate_gates("NERProject", ["PER"], gates, current, baseline, lambda m, l: 0.01)  # noqa: E741
    assert not real[0].passed
    unknown = evaluate_gates("NERProject", ["PER"], gates, current, baseline, None)
    assert not unknown[0].passed  # cannot tell: fail safe


def test_calibration_gate_is_an_upper_bound_on_ece() -> None:
    gates = NERGates.model_validate({"calibration": {"max_ece": 0.05}})
    good = Evaluation.from_json({**ev_json(0.8, {"PER": 0.8}), "calibration": {"ece": 0.031, "bins": []}})
    bad = Evaluation.from_json({**ev_json(0.8, {"PER": 0.8}), "calibration": {"ece": 0.12, "bins": []}})
    (ok,) = evaluate_gates("NERProject", ["PER"], gates, good)
    (fail,) = evaluate_gates("NERProject", ["PER"], gates, bad)
    assert (ok.name, ok.metric, ok.passed, ok.value) == ("calibration.max_ece", "ece", True, 0.031)
    assert not fail.passed and "0.120 > max 0.050" in fail.message
    (missing,) = evaluate_gates("NERProject", ["PER"], gates, ev(0.8, {"PER": 0.8}))
    assert not missing.passed and "no value" in missing.message
