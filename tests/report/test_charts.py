"""Mermaid chart numbers: plain decimals only (xychart-beta rejects exponent notation)."""

from __future__ import annotations

import re

from nerspec.report.charts import mermaid_bars

# What xychart-beta's grammar accepts for a number: optional sign, digits, optional fraction.
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _numbers(block: str) -> list[str]:
    found: list[str] = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith(("bar [", "line [")):
            found += [n.strip() for n in line[line.index("[") + 1 : -1].split(",")]
        elif line.startswith("y-axis"):
            found.append(line.rsplit("-->", 1)[1].strip())
    return found


def test_large_counts_are_plain_numbers() -> None:
    block = mermaid_bars(["big", "small"], [1_000_000, 2_500_000.0], [12_345_678, 3], title="t", y_label="n")
    numbers = _numbers(block)
    assert numbers[1:] == ["1000000", "2500000", "12345678", "3"]
    assert numbers[0] == str(int(12_345_678 * 1.1) + 1)  # the axis top, too
    assert all(PLAIN_NUMBER.fullmatch(n) for n in numbers), numbers
    assert "e+" not in block


def test_fractions_keep_four_decimals_without_trailing_zeros() -> None:
    block = mermaid_bars(["a", "b", "c", "d"], [0.89123, 0.5, 1, 0.00001], title="F1", y_label="F1", y_max=1)
    assert _numbers(block) == ["1", "0.8912", "0.5", "1", "0"]


def test_unusable_values_become_zero() -> None:
    block = mermaid_bars(["a", "b", "c"], [float("nan"), float("inf"), None], title="t", y_label="n", y_max=1)
    assert _numbers(block) == ["1", "0", "0", "0"]
