"""The two-sample tests against scipy's (where installed) and on known cases."""

from __future__ import annotations

import random

import pytest

from nerspec import statistics


def test_known_values() -> None:
    assert statistics.chi_square_sf(0.0, 3) == 1.0
    assert statistics.chi_square_sf(7.814727903251178, 3) == pytest.approx(0.05, abs=1e-9)  # the 95% quantile
    assert statistics.ks_two_sample([1, 2, 3], [1, 2, 3]) == statistics.TestResult(0.0, 1.0)
    assert statistics.ks_two_sample([], [1.0]).p_value == 1.0
    assert statistics.chi_square_homogeneity({"a": 5}, {"a": 9}).p_value == 1.0  # one category: nothing to test
    assert statistics.total_variation({"a": 1, "b": 1}, {"c": 2}) == 1.0
    assert statistics.mean_difference([0.5, 0.5], [0.5, 0.5]).p_value == 1.0


def test_agrees_with_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(3)
    a = [rng.gauss(0, 1) for _ in range(300)]
    b = [rng.gauss(0.15, 1.2) for _ in range(120)]
    ks = statistics.ks_two_sample(a, b)
    reference = stats.ks_2samp(a, b, method="asymp")
    assert ks.statistic == pytest.approx(reference.statistic) and ks.p_value == pytest.approx(reference.pvalue, abs=0.02)
    chi = statistics.chi_square_homogeneity({"x": 30, "y": 20, "z": 5}, {"x": 10, "y": 30})
    expected = stats.chi2_contingency([[30, 20, 5], [10, 30, 0]], correction=False)
    assert chi.statistic == pytest.approx(expected[0]) and chi.p_value == pytest.approx(expected[1])
    for x, dof in ((0.3, 1), (4.0, 2), (30.0, 10), (200.0, 150)):
        assert statistics.chi_square_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-9)
    welch = statistics.mean_difference(a, b)
    assert welch.statistic == pytest.approx(stats.ttest_ind(a, b, equal_var=False).statistic)
