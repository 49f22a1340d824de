"""Learning curves over wall time (issue 32): dev F1 against the seconds since a training process started, read
from what each tool prints while it trains, and a text chart of them.

- nerspec: its plain progress lines on stderr (``NERSPEC_PROGRESS_INTERVAL=0``: one per step), ``train S/T ...
  dev F ...``; a point each time the dev score changes (an evaluation ran).
- raw spaCy: its console table on stdout, ``E  #  LOSS...  ENTS_F  ENTS_P  ENTS_R  SCORE``; a point per row.
Each line is timestamped when the bench reads it (``run_child`` reads both pipes as they come).
The test F1 of the kept model is the curve's last point (scored once, after training: scoring every checkpoint on
the test set would double the trainings' cost).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NERSPEC_LINE = re.compile(r"train\s+(\d+)/\d+.*?dev (\d\.\d+)")
CHART_WIDTH, CHART_HEIGHT = 64, 16


@dataclass
class Curve:
    tool: str
    points: list[tuple[float, int, float]] = field(default_factory=list)  # (seconds, step, dev F1)
    test_f1: float | None = None
    wall: float = 0.0


def nerspec_curve(lines: list[tuple[float, str, str]]) -> Curve:
    curve, last = Curve("nerspec"), None
    for seconds, stream, line in lines:
        found = NERSPEC_LINE.search(line) if stream == "err" else None
        if found and found.group(2) != last:
            last = found.group(2)
            curve.points.append((seconds, int(found.group(1)), float(last)))
    return curve


def spacy_curve(lines: list[tuple[float, str, str]]) -> Curve:
    curve = Curve("raw spaCy")
    for seconds, stream, line in lines:
        cells = line.split()
        if stream == "out" and len(cells) == 8 and cells[0].isdigit() and cells[1].isdigit():
            try:
                curve.points.append((seconds, int(cells[1]), float(cells[4]) / 100))
            except ValueError:
                continue
    return curve


def reached(curve: Curve, score: float) -> float | None:
    """Seconds until the curve's dev F1 first reached ``score`` (None: never)."""
    return next((seconds for seconds, _, f1 in curve.points if f1 >= score), None)


def chart(curves: list[Curve]) -> str:
    """Dev F1 (rows) against wall seconds (columns), one letter per tool; ``*`` where they overlap and the test F1
    of the kept model as the tool's capital letter at its end time."""
    span = max([c.wall for c in curves] + [p[0] for c in curves for p in c.points] + [1.0])
    top = max([p[2] for c in curves for p in c.points] + [c.test_f1 or 0 for c in curves] + [0.01])
    grid = [[" "] * CHART_WIDTH for _ in range(CHART_HEIGHT)]

    def put(seconds: float, f1: float, mark: str) -> None:
        x = min(CHART_WIDTH - 1, int(seconds / span * (CHART_WIDTH - 1)))
        y = CHART_HEIGHT - 1 - min(CHART_HEIGHT - 1, int(f1 / top * (CHART_HEIGHT - 1)))
        grid[y][x] = "*" if grid[y][x] not in (" ", mark) else mark

    for curve in curves:
        letter = curve.tool[0].lower()
        for seconds, _, f1 in curve.points:
            put(seconds, f1, letter)
        if curve.test_f1 is not None:
            put(curve.wall, curve.test_f1, letter.upper())
    rows = [f"{top * (CHART_HEIGHT - 1 - i) / (CHART_HEIGHT - 1):5.2f} |{''.join(row)}" for i, row in enumerate(grid)]
    legend = ", ".join(f"{c.tool[0].lower()}: {c.tool} dev F1 ({c.tool[0].upper()}: test F1 of the kept model)"
                       for c in curves)
    return "\n".join([*rows, "      +" + "-" * CHART_WIDTH, f"       0 s{' ' * (CHART_WIDTH - 12)}{span:.0f} s", legend])


def summary(nerspec: Curve, spacy: Curve) -> str:
    """When each tool reached the other's final dev F1, and where each stopped."""
    parts = []
    for curve, other in ((nerspec, spacy), (spacy, nerspec)):
        if other.points:
            target = other.points[-1][2]
            at = reached(curve, target)
            parts.append(f"{curve.tool} reached {other.tool}'s final dev F1 {target:.3f} "
                         + (f"after {at:.0f} s" if at is not None else "never"))
    for curve in (nerspec, spacy):
        if curve.points:
            seconds, step, f1 = curve.points[-1]
            parts.append(f"{curve.tool} last evaluation: step {step}, dev F1 {f1:.3f} at {seconds:.0f} s "
                         f"(training {curve.wall:.0f} s)")
    return "; ".join(parts)
