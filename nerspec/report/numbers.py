"""How the report rounds and writes numbers: four decimals in the view, three in the text."""

from __future__ import annotations

from nerspec.numbers import metric_text, signed_text

# Below this magnitude a change is rounding noise at three decimals and is shown as unchanged.
EPSILON = 0.0005


def rounded(value: object) -> float | None:
    """A number of the run result rounded to four decimals; None when it is missing or not a number."""
    if not isinstance(value, (int, float, str)):
        return None
    try:
        return round(float(value), 4)
    except (TypeError, ValueError):
        return None


def fmt_num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else metric_text(value, digits)


def fmt_signed(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    if abs(value) < EPSILON:
        return f"±{0:.{digits}f}"
    return signed_text(value, digits)
