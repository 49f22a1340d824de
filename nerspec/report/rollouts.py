"""The report's Rollout section: each rollout of the project's deployments with its figures and verdict, and
what the run did about it (staged, promoted, aborted, dropped). A pull request's report (``apply --no-deploy``)
shows the figures of the rollouts in progress on the deployments it would change."""

from __future__ import annotations

from typing import Any

from nerspec.report.numbers import rounded
from nerspec.run_record import ProjectRun


def _count(value: object) -> int:
    return int(value) if isinstance(value, (int, float, str)) and value else 0


def rollouts_view(project: ProjectRun) -> list[dict[str, Any]]:
    done = {str(a.get("deployment")): a for a in project.rollout_actions}
    rows = []
    for line in project.rollouts:
        deployment = str(line.get("deployment", ""))
        action = done[deployment].get("action") if deployment in done else None
        reasons = line.get("reasons")
        rows.append({
            "deployment": deployment,
            "candidate": str(line.get("candidate") or "")[:12],
            "strategy": str(line.get("strategy", "")),
            "documents": _count(line.get("documents")),
            "agreement": rounded(line.get("agreement")),
            "error_rate": rounded(line.get("error_rate")),
            "latency_ratio": rounded(line.get("latency_ratio")),
            "verdict": str(line.get("verdict", "")),
            "reasons": [str(r) for r in reasons] if isinstance(reasons, list) else [],
            "action": str(action) if action else None,
        })
    return rows
