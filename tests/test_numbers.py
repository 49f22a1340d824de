"""One rounding for metrics wherever they are shown: terminal, gate messages, reports."""

from __future__ import annotations

import pytest

from nerspec.numbers import metric_text, signed_text
from nerspec.report.numbers import fmt_num, rounded


@pytest.mark.parametrize("raw", [0.92451, 0.92449, 0.9245, 0.8065, 0.0215, 0.88949, 0.5, 1.0, 0.0, 0.12345678])
def test_the_terminal_and_the_report_show_the_same_three_places(raw: float) -> None:
    # The report sees the run result's four-place value; the terminal and the gates see the full value.
    assert fmt_num(rounded(raw)) == metric_text(raw)


def test_ties_round_half_up_and_zero_has_no_sign() -> None:
    assert metric_text(0.9245) == "0.925"  # the float 0.9245 is a hair below the half: f"{0.9245:.3f}" is 0.924
    assert metric_text(0.8065) == "0.807"
    assert metric_text(-0.0004) == "0.000" and signed_text(-0.0004) == "+0.000"
    assert signed_text(-0.0215) == "-0.022" and signed_text(0.016) == "+0.016"
    assert metric_text(0.25, 1) == "0.3"
