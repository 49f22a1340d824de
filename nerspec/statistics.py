"""Two-sample tests for monitoring, in plain Python (no scipy): Kolmogorov-Smirnov, chi-square homogeneity, and a
normal test of two means. P-values follow the usual approximations (Numerical Recipes): the asymptotic Kolmogorov
distribution with Stephens' small-sample correction, the regularized incomplete gamma function, the normal tail.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TestResult:
    statistic: float
    p_value: float


def ks_two_sample(a: Sequence[float], b: Sequence[float]) -> TestResult:
    """The largest gap D between the two empirical distribution functions, and its p-value."""
    if not a or not b:
        return TestResult(0.0, 1.0)
    xs, ys = sorted(a), sorted(b)
    d = 0.0
    for value in set(xs) | set(ys):
        d = max(d, abs(bisect_right(xs, value) / len(xs) - bisect_right(ys, value) / len(ys)))
    en = math.sqrt(len(xs) * len(ys) / (len(xs) + len(ys)))
    return TestResult(d, _kolmogorov_q((en + 0.12 + 0.11 / en) * d))


def _kolmogorov_q(lam: float) -> float:
    if lam < 1e-3:
        return 1.0
    total, sign = 0.0, 1.0
    for k in range(1, 101):
        term = sign * 2.0 * math.exp(-2.0 * k * k * lam * lam)
        total += term
        if abs(term) < 1e-10:
            return min(1.0, max(0.0, total))
        sign = -sign
    return 1.0  # not converged: only for tiny lambda, where the answer is 1


def chi_square_homogeneity(a: Mapping[str, float], b: Mapping[str, float]) -> TestResult:
    """Whether two samples of categories (counts per category) come from one distribution (a 2 x k table)."""
    categories = [c for c in sorted(set(a) | set(b)) if a.get(c, 0) + b.get(c, 0) > 0]
    n_a, n_b = sum(a.get(c, 0) for c in categories), sum(b.get(c, 0) for c in categories)
    if len(categories) < 2 or n_a == 0 or n_b == 0:
        return TestResult(0.0, 1.0)
    total = n_a + n_b
    statistic = 0.0
    for c in categories:
        column = a.get(c, 0) + b.get(c, 0)
        for observed, n in ((a.get(c, 0), n_a), (b.get(c, 0), n_b)):
            expected = column * n / total
            statistic += (observed - expected) ** 2 / expected
    return TestResult(statistic, chi_square_sf(statistic, len(categories) - 1))


def chi_square_sf(x: float, dof: int) -> float:
    """P(X >= x) for a chi-square variable with ``dof`` degrees of freedom."""
    if x <= 0 or dof <= 0:
        return 1.0
    return _gamma_q(dof / 2.0, x / 2.0)


def _gamma_q(s: float, x: float) -> float:
    """The regularized upper incomplete gamma function Q(s, x)."""
    log_prefix = -x + s * math.log(x) - math.lgamma(s)
    if x < s + 1.0:  # series for P, then 1 - P
        term = total = 1.0 / s
        a = s
        for _ in range(1000):
            a += 1.0
            term *= x / a
            total += term
            if abs(term) < abs(total) * 1e-14:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300  # Lentz's continued fraction for Q
    b = x + 1.0 - s
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - s)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return min(1.0, math.exp(log_prefix) * h)


def mean_difference(a: Sequence[float], b: Sequence[float]) -> TestResult:
    """Welch's statistic for mean(a) - mean(b) with its two-sided normal p-value (the samples here are
    hundreds of confidences, where the t and normal tails agree)."""
    if len(a) < 2 or len(b) < 2:
        return TestResult(0.0, 1.0)
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    se = math.sqrt(var_a / len(a) + var_b / len(b))
    if se == 0:
        return TestResult(0.0, 1.0 if mean_a == mean_b else 0.0)
    z = (mean_a - mean_b) / se
    return TestResult(z, math.erfc(abs(z) / math.sqrt(2.0)))


def total_variation(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Half the L1 distance between the two normalised distributions (0: equal, 1: disjoint)."""
    n_a, n_b = sum(a.values()), sum(b.values())
    if n_a == 0 or n_b == 0:
        return 0.0
    return 0.5 * sum(abs(a.get(c, 0) / n_a - b.get(c, 0) / n_b) for c in set(a) | set(b))
