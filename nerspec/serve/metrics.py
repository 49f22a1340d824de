"""Prometheus text exposition (format 0.0.4), written by hand: four metric families need no dependency.

Labels are route templates, never raw paths, and the standard methods (any other is ``other``), so a scanner
hitting random URLs with made-up methods cannot grow the series set.
"""

from __future__ import annotations

import threading
from collections import defaultdict

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}" if pairs else ""


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.errors: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.documents: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.latency: dict[str, list[float]] = {}  # route -> [bucket counts..., +Inf count, sum]

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"  # a client picks any token as its method
        with self._lock:
            self.requests[(("method", method), ("route", route), ("status", str(status)))] += 1
            if status >= 400:
                self.errors[(("route", route), ("status", str(status)))] += 1
            row = self.latency.get(route)
            if row is None:
                row = self.latency[route] = [0.0] * (len(BUCKETS) + 2)
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    row[i] += 1
            row[len(BUCKETS)] += 1
            row[len(BUCKETS) + 1] += seconds

    def observe_documents(self, project: str, deployment: str, api: str, valid: int, failed: int) -> None:
        with self._lock:
            base = (("project", project), ("deployment", deployment), ("api", api))
            if valid:
                self.documents[(*base, ("outcome", "analyzed"))] += valid
            if failed:
                self.documents[(*base, ("outcome", "error"))] += failed

    def render(self, gauges: dict[str, tuple[str, float]] | None = None) -> str:
        lines: list[str] = []
        with self._lock:
            lines += ["# HELP nerspec_requests_total HTTP requests by method, route and status.",
                      "# TYPE nerspec_requests_total counter"]
            lines += [f"nerspec_requests_total{_labels(k)} {v}" for k, v in sorted(self.requests.items())]
            lines += ["# HELP nerspec_request_errors_total HTTP responses with status 400 or above.",
                      "# TYPE nerspec_request_errors_total counter"]
            lines += [f"nerspec_request_errors_total{_labels(k)} {v}" for k, v in sorted(self.errors.items())]
            lines += ["# HELP nerspec_documents_total Documents received, by deployment and outcome.",
                      "# TYPE nerspec_documents_total counter"]
            lines += [f"nerspec_documents_total{_labels(k)} {v}" for k, v in sorted(self.documents.items())]
            lines += ["# HELP nerspec_request_duration_seconds Request latency by route.",
                      "# TYPE nerspec_request_duration_seconds histogram"]
            for route, row in sorted(self.latency.items()):
                for i, bound in enumerate(BUCKETS):
                    lines.append(f"nerspec_request_duration_seconds_bucket"
                                 f"{_labels((('route', route), ('le', repr(bound))))} {int(row[i])}")
                lines.append(f"nerspec_request_duration_seconds_bucket{_labels((('route', route), ('le', '+Inf')))} "
                             f"{int(row[len(BUCKETS)])}")
                lines.append(f"nerspec_request_duration_seconds_sum{_labels((('route', route),))} "
                             f"{row[len(BUCKETS) + 1]:.6f}")
                lines.append(f"nerspec_request_duration_seconds_count{_labels((('route', route),))} "
                             f"{int(row[len(BUCKETS)])}")
        for name, (help_text, value) in sorted((gauges or {}).items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"
