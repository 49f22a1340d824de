"""nerspec.calibration: Platt and isotonic fits, monotone maps, ECE, its sampling noise and reliability bins."""

from __future__ import annotations

import math
import random

from nerspec.calibration import Calibration, fit_isotonic, reliability
from nerspec.predictions import PredictedLabel


def test_isotonic_fit_calibrates_an_overconfident_scorer() -> None:
    rng = random.Random(0)
    outcomes = []
    for _ in range(2000):
        raw = rng.random()
        outcomes.append((raw, rng.random() < raw * 0.6))  # true accuracy is 0.6 x the raw score
    before = reliability(outcomes)["ece"]
    calibration = fit_isotonic(outcomes[:1000])
    held_out = [(calibration(raw), ok) for raw, ok in outcomes[1000:]]
    assert before > 0.15
    assert reliability(held_out)["ece"] < 0.05
    assert all(a <= b for a, b in zip(calibration.ys, calibration.ys[1:]))  # monotone: ranking kept


def test_small_blocks_are_never_mapped_to_certainty() -> None:
    outcomes = [(1.0, True)] * 30 + [(0.2, False)]
    calibration = fit_isotonic(outcomes)
    assert 0.0 < calibration(0.2) < 1.0 and 0.0 < calibration(1.0) < 1.0


def test_too_few_items_or_no_dev_is_identity_with_a_reason() -> None:
    few = fit_isotonic([(0.9, True)] * 5)
    assert few.method == "none" and few(0.37) == 0.37 and "5 dev items" in (few.reason or "")
    skipped = fit_isotonic([], reason_if_skipped="no dev carve")
    assert skipped.to_json()["reason"] == "no dev carve"


def test_json_round_trip_and_malformed_meta_is_identity() -> None:
    calibration = fit_isotonic([(i / 40, i % 3 != 0) for i in range(40)])
    again = Calibration.from_json(calibration.to_json())
    assert [round(again(x / 10), 6) for x in range(11)] == [round(calibration(x / 10), 6) for x in range(11)]
    assert Calibration.from_json(None)(0.4) == 0.4
    assert Calibration.from_json({"method": "isotonic", "x": [1, 0], "y": [0, 1]})(0.4) == 0.4


def test_reliability_bins_and_ece() -> None:
    report = reliability([(0.95, True), (0.95, False), (0.15, False), (0.15, False)])
    assert report["items"] == 4 and len(report["bins"]) == 10
    top = report["bins"][9]
    assert (top["count"], top["confidence"], top["accuracy"]) == (2, 0.95, 0.5)
    assert report["ece"] == round(0.5 * 0.45 + 0.5 * 0.15, 4)
    assert reliability([])["ece"] is None


def test_sampling_noise_is_the_ece_a_perfectly_calibrated_model_shows_on_as_many_items() -> None:
    rng = random.Random(1)
    confidences = [rng.choice((0.55, 0.75, 0.95)) for _ in range(120)]
    simulated = sum(
        reliability([(c, rng.random() < c) for c in confidences])["ece"] for _ in range(400)
    ) / 400
    noise = reliability([(c, True) for c in confidences])["sampling_noise"]
    assert abs(noise - simulated) < 0.006  # the normal approximation, per bin
    assert reliability([(1.0, True)] * 50)["sampling_noise"] == 0.0  # certain items cannot fluctuate
    many = reliability([(c, True) for c in confidences * 25])["sampling_noise"]
    assert many < noise / 4  # shrinks like 1 / sqrt(items)
    assert reliability([])["sampling_noise"] is None


def test_where_the_map_was_fitted_reaches_the_evaluation() -> None:
    from types import SimpleNamespace

    from nerspec.evaluate.run import calibration_report

    fitted = Calibration.from_json({**fit_isotonic([(i / 40, i % 3 != 0) for i in range(40)]).to_json(),
                                    "fitted_on": "cross-fit"})
    assert fitted.extra == {"fitted_on": "cross-fit"}
    assert fitted.to_json()["fitted_on"] == "cross-fit"
    gold = [SimpleNamespace(labels=["a"])]
    report = calibration_report("TextClassificationProject", gold, [[PredictedLabel("a", 0.9)]],
                                SimpleNamespace(calibration=fitted)).to_json()
    assert (report["method"], report["fitted_on"], report["items"]) == ("isotonic", "cross-fit", 1)
    assert report["fitted_items"] == 40  # the predictions the map was fitted on, not the ones it was measured on
    raw = calibration_report("TextClassificationProject", gold, [[PredictedLabel("a", 0.9)]],
                             SimpleNamespace(calibration=Calibration())).to_json()
    assert raw["method"] == "none" and "fitted_on" not in raw


def test_fit_uncertainty_is_the_widest_standard_error_of_an_accuracy_on_as_many_items() -> None:
    from nerspec.calibration import fit_uncertainty

    assert fit_uncertainty(64) == 0.0625  # a WNUT-16-sized dev carve: ~65 predicted entities
    assert fit_uncertainty(256) == fit_uncertainty(64) / 2  # four times the items, half the uncertainty
    assert fit_uncertainty(0) == 0.5  # nothing measured: anything is possible


def test_platt_fit_calibrates_an_overconfident_scorer_with_few_items() -> None:

    from nerspec.calibration import fit_calibration, fit_platt

    rng = random.Random(2)
    outcomes = []
    for _ in range(3000):
        z = rng.gauss(2.0, 2.0)  # raw logit; the truth is half as confident
        outcomes.append((1 / (1 + math.exp(-z)), rng.random() < 1 / (1 + math.exp(-0.5 * z))))
    calibration = fit_calibration(outcomes[:80])  # a small dev carve: Platt
    assert calibration.method == "platt" and abs(calibration.params[0] - 0.5) < 0.25
    held_out = [(calibration(raw), ok) for raw, ok in outcomes[1000:]]
    assert reliability(outcomes[1000:])["ece"] > 0.1 and reliability(held_out)["ece"] < 0.05
    assert fit_calibration(outcomes[:2000]).method == "isotonic"  # many items: isotonic
    again = Calibration.from_json(calibration.to_json())
    assert [round(again(x / 10), 6) for x in range(11)] == [round(calibration(x / 10), 6) for x in range(11)]
    assert fit_platt(outcomes[:5]).method == "none"


def test_platt_fit_stays_finite_on_degenerate_dev_sets() -> None:
    from nerspec.calibration import fit_platt

    constant = fit_platt([(1.0, True)] * 20 + [(1.0, False)] * 10)  # one raw score for every item
    assert abs(constant(1.0) - 21 / 32) < 0.01  # Platt's smoothed accuracy
    separable = fit_platt([(0.999, True)] * 25 + [(0.3, False)] * 25)
    assert all(map(math.isfinite, separable.params))
    assert 0.0 < separable(0.3) < 0.2 < 0.8 < separable(0.999) < 1.0  # never certainty
    assert separable(0.5) <= separable(0.9)  # monotone
    assert Calibration.from_json({"method": "platt", "a": "nan", "b": 0})(0.4) == 0.4
