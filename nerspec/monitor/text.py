"""``nerspec monitor``'s terminal text (``--json`` prints ``MonitorResult.to_json()`` instead)."""

from __future__ import annotations

from nerspec.monitor.model import MonitorResult


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-4 else f"{value:.1e}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def lines(result: MonitorResult) -> list[str]:
    w = result.window
    out = [f"{result.project}/{result.deployment}: model {result.fingerprint[:12]}, {w.documents} documents"
           + (f" from {w.start} to {w.end}" if w.documents else "")]
    if result.drift is not None:
        out.append(f"drift: {'DRIFTED' if result.drift.drifted else 'none'} (score {result.drift.score})")
        for s in result.drift.signals:
            mark = "!" if s.drifted else " "
            out.append(f"  {mark} {s.name:<16} {s.test:<10} p={_p(s.p_value):<8} effect {s.effect:.3f} "
                       f"(min {s.min_effect})  window {s.window}  test split {s.reference}")
    e = result.estimated
    interval = f" [{e.interval[0]:.3f}, {e.interval[1]:.3f}]" if e.interval else ""
    out.append(f"estimated precision: {_num(e.precision)}{interval} from {e.items} predictions"
               + ("" if e.reliable else " (unreliable: " + "; ".join(e.reasons) + ")"))
    for row in e.per_label:
        out.append(f"  {row.label:<20} {row.precision:.3f} [{row.interval[0]:.3f}, {row.interval[1]:.3f}] "
                   f"({row.items})")
    c = result.compared
    if c is not None:
        out.append(f"test split ({c.documents} documents): measured precision {_num(c.measured_precision)}, "
                   f"estimated {_num(c.estimated_precision)}, mean confidence {_num(c.mean_confidence)} "
                   f"(window {_num(c.window_mean_confidence)})")
    out.extend(f"note: {n}" for n in result.notes)
    out.extend(f"ALERT: {a}" for a in result.alerts)
    return out
