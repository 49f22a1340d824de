"""How a metric is written for people: one rounding, wherever it is shown.

The report keeps metrics to four decimals (its JSON view) and shows three; the terminal and the gate messages
showed three from the full value. The two disagreed near a boundary: 0.92451 is 0.925 to three places, but its
four-place form 0.9245 printed as 0.924 (the float 0.9245 is a hair below the half). Every place now rounds to
one more place first, then half-up to the places shown, so the terminal, the gates and the reports agree.
"""

from __future__ import annotations


def metric_text(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` places, half-up from its ``digits + 1``-place rounding (``0.92451`` -> ``0.925``)."""
    from decimal import ROUND_HALF_UP, Decimal  # here: plan imports the gates, and start-up stays lean

    stepped = Decimal(repr(round(float(value), digits + 1)))
    shown = stepped.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return str(shown.copy_abs() if shown == 0 else shown)  # never "-0.000"


def signed_text(value: float, digits: int = 3) -> str:
    text = metric_text(value, digits)
    return text if text.startswith("-") else f"+{text}"
