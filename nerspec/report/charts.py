"""Charts that need no image hosting and no plotting library.

Markdown: a Mermaid ``xychart-beta`` block, which GitHub renders in comments. It has no legend and draws several
bar series on top of each other, so the candidate is the bars and the deployed model (or the test side) a line,
and the title says which is which.

HTML: an inline SVG of horizontal grouped bars (readable with many labels; the label text sits left of the bars).
Every label is escaped for its context: Mermaid strings cannot escape quotes, so they are reduced to a safe
alphabet; SVG text is XML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from nerspec.escape import mermaid_text

if TYPE_CHECKING:
    from markupsafe import Markup


def _num(value: object) -> float:
    try:
        number = round(float(value), 4) if isinstance(value, (int, float, str)) else 0.0
    except (TypeError, ValueError):
        return 0.0
    # NaN or infinity would make the chart unparseable; a missing bar reads better than a broken block.
    return number if math.isfinite(number) else 0.0


def _plain(value: float) -> str:
    """A number as Mermaid's xychart parser accepts it: digits and at most one dot.

    ``:g`` switches to exponent notation from 1,000,000 (``1e+06``), which xychart-beta rejects, so the
    whole block fails to render; ``repr``-style floats do the same from 1e16.
    """
    if value == int(value):
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def mermaid_bars(
    categories: Sequence[object],
    bars: Sequence[object],
    line: Sequence[object] | None = None,
    *,
    title: str,
    y_label: str,
    y_max: float | None = None,
) -> str:
    """A fenced ``mermaid`` block with one bar series and an optional line series."""
    names = ", ".join(f'"{mermaid_text(c)}"' for c in categories)
    values = [_num(v) for v in bars]
    others = [_num(v) for v in line] if line is not None else []
    top = y_max if y_max is not None else max([1.0, *values, *others])
    if y_max is None:
        top = float(int(top * 1.1) + 1)
    lines = [
        "```mermaid",
        "xychart-beta",
        f'    title "{mermaid_text(title, limit=80)}"',
        f"    x-axis [{names}]",
        f'    y-axis "{mermaid_text(y_label, limit=40)}" 0 --> {_plain(top)}',
        f"    bar [{', '.join(_plain(v) for v in values)}]",
    ]
    if line is not None:
        lines.append(f"    line [{', '.join(_plain(v) for v in others)}]")
    lines.append("```")
    return "\n".join(lines)


def bars_svg(
    categories: Sequence[object],
    series: Sequence[tuple[str, Sequence[object]]],
    *,
    title: str,
    y_max: float | None = None,
    digits: int = 3,
) -> Markup:
    """Horizontal grouped bars as inline SVG (``Markup``); `series` is ``[(name, values), ...]``."""
    from markupsafe import Markup, escape

    palette = ("#0969da", "#bf8700", "#8250df", "#1a7f37")
    bar_h, gap, left, width, top_pad = 12, 8, 170, 420, 34
    n = max(1, len(series))
    group_h = n * bar_h + gap
    height = top_pad + group_h * len(categories) + 10
    values = [[_num(v) for v in vals] for _, vals in series]
    top = y_max if y_max is not None else max([0.0, *(v for vals in values for v in vals)]) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 70}" height="{height}" '
        f'viewBox="0 0 {left + width + 70} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    x = left
    for k, (name, _) in enumerate(series):
        colour = palette[k % len(palette)]
        parts.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="17">{escape(name)}</text>')
        x += 14 + 7 * len(str(name)) + 20
    for i, category in enumerate(categories):
        y0 = top_pad + i * group_h
        label = str(category)
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y0 + n * bar_h / 2 + 4:g}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        for k, vals in enumerate(values):
            value = vals[i] if i < len(vals) else 0.0
            w = max(0.0, min(1.0, value / top)) * width
            y = y0 + k * bar_h
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{palette[k % len(palette)]}"/>'
            )
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 3}">{value:.{digits}f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def reliability_svg(bins: Sequence[Mapping[str, object]], *, title: str) -> Markup:
    """A reliability diagram as inline SVG (``Markup``): per confidence bin, a bar at the observed accuracy,
    a dot at the mean confidence, and the diagonal a perfectly calibrated model would follow."""
    from markupsafe import Markup, escape

    size, left, top_pad, bottom = 240, 40, 24, 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + size + 150}" height="{top_pad + size + bottom}" '
        f'viewBox="0 0 {left + size + 150} {top_pad + size + bottom}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left}" y="{top_pad}" width="{size}" height="{size}" fill="none" stroke="#d0d7de"/>',
        f'<line x1="{left}" y1="{top_pad + size}" x2="{left + size}" y2="{top_pad}" stroke="#8c959f" stroke-dasharray="4 3"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        parts.append(f'<text x="{left - 4}" y="{top_pad + size - tick * size + 4:g}" text-anchor="end">{tick:g}</text>')
        parts.append(f'<text x="{left + tick * size:g}" y="{top_pad + size + 14}" text-anchor="middle">{tick:g}</text>')
    parts.append(f'<text x="{left + size / 2:g}" y="{top_pad + size + 27}" text-anchor="middle">confidence</text>')
    for b in bins:
        lower, upper, count = _num(b.get("lower")), _num(b.get("upper")), int(_num(b.get("count")))
        if not count:
            continue
        accuracy, confidence = _num(b.get("accuracy")), _num(b.get("confidence"))
        x, w = left + lower * size, (upper - lower) * size
        h = max(0.0, min(1.0, accuracy)) * size
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top_pad + size - h:.1f}" width="{w - 2:.1f}" height="{h:.1f}" fill="#0969da" '
            f'fill-opacity="0.7"><title>{lower:g}–{upper:g}: {count} items, accuracy {accuracy:.3f}, '
            f"confidence {confidence:.3f}</title></rect>"
        )
        cx = left + max(0.0, min(1.0, confidence)) * size
        parts.append(f'<circle cx="{cx:.1f}" cy="{top_pad + size - confidence * size:.1f}" r="3" fill="#bf8700"/>')
    legend_x = left + size + 12
    parts.append(f'<rect x="{legend_x}" y="{top_pad}" width="10" height="10" fill="#0969da" fill-opacity="0.7"/>')
    parts.append(f'<text x="{legend_x + 14}" y="{top_pad + 9}">accuracy per bin</text>')
    parts.append(f'<circle cx="{legend_x + 5}" cy="{top_pad + 21}" r="3" fill="#bf8700"/>')
    parts.append(f'<text x="{legend_x + 14}" y="{top_pad + 25}">mean confidence</text>')
    parts.append(f'<line x1="{legend_x}" y1="{top_pad + 36}" x2="{legend_x + 10}" y2="{top_pad + 36}" stroke="#8c959f" '
                 'stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{legend_x + 14}" y="{top_pad + 40}">perfectly calibrated</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline_svg(points: Sequence[Mapping[str, object]], *, reference: float | None, title: str) -> Markup:
    """Estimated precision (line, with its interval as a band) and mean confidence (dots) per time bucket, and
    the precision measured on the test split as a dashed line: production monitoring over time (inline SVG)."""
    from markupsafe import Markup, escape

    width, height, left, top_pad, bottom = 420, 160, 40, 24, 34
    shown = [p for p in points if p.get("estimated_precision") is not None or p.get("mean_confidence") is not None]
    step = width / max(len(shown) - 1, 1)

    def y(value: float) -> float:
        return top_pad + height - max(0.0, min(1.0, value)) * height

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 170}" height="{top_pad + height + bottom}" '
        f'viewBox="0 0 {left + width + 170} {top_pad + height + bottom}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left}" y="{top_pad}" width="{width}" height="{height}" fill="none" stroke="#d0d7de"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 4:g}" text-anchor="end">{tick:g}</text>')
    band = [(left + i * step, iv) for i, p in enumerate(shown) if isinstance(iv := p.get("interval"), (list, tuple))
            and len(iv) == 2]
    if band:
        upper = " ".join(f"{x:.1f},{y(_num(iv[1])):.1f}" for x, iv in band)
        lower = " ".join(f"{x:.1f},{y(_num(iv[0])):.1f}" for x, iv in reversed(band))
        parts.append(f'<polygon points="{upper} {lower}" fill="#0969da" fill-opacity="0.15"/>')
    line = [(left + i * step, p) for i, p in enumerate(shown) if p.get("estimated_precision") is not None]
    if line:
        coords = " ".join(f"{x:.1f},{y(_num(p['estimated_precision'])):.1f}" for x, p in line)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="#0969da" stroke-width="2"/>')
    for i, p in enumerate(shown):
        x = left + i * step
        if p.get("mean_confidence") is not None:
            parts.append(f'<circle cx="{x:.1f}" cy="{y(_num(p["mean_confidence"])):.1f}" r="3" fill="#bf8700">'
                         f"<title>{escape(str(p.get('start', '')))}: {int(_num(p.get('documents')))} documents, "
                         f"estimated precision {_num(p.get('estimated_precision')):.3f}, mean confidence "
                         f"{_num(p['mean_confidence']):.3f}</title></circle>")
    if reference is not None:
        parts.append(f'<line x1="{left}" y1="{y(reference):.1f}" x2="{left + width}" y2="{y(reference):.1f}" '
                     'stroke="#8c959f" stroke-dasharray="4 3"/>')
    if shown:
        parts.append(f'<text x="{left}" y="{top_pad + height + 14}">{escape(str(shown[0].get("start", "")))}</text>')
        parts.append(f'<text x="{left + width}" y="{top_pad + height + 14}" text-anchor="end">'
                     f'{escape(str(shown[-1].get("start", "")))}</text>')
    legend_x = left + width + 12
    parts.append(f'<line x1="{legend_x}" y1="{top_pad + 5}" x2="{legend_x + 10}" y2="{top_pad + 5}" stroke="#0969da" '
                 'stroke-width="2"/>')
    parts.append(f'<text x="{legend_x + 14}" y="{top_pad + 9}">estimated precision (95%)</text>')
    parts.append(f'<circle cx="{legend_x + 5}" cy="{top_pad + 21}" r="3" fill="#bf8700"/>')
    parts.append(f'<text x="{legend_x + 14}" y="{top_pad + 25}">mean confidence</text>')
    parts.append(f'<line x1="{legend_x}" y1="{top_pad + 36}" x2="{legend_x + 10}" y2="{top_pad + 36}" stroke="#8c959f" '
                 'stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{legend_x + 14}" y="{top_pad + 40}">measured on the test split</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
