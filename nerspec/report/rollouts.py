"""The report's Rollout section: each rollout of the project's deployments with its figures and verdict, and
what the run did about it (staged, promoted, aborted, dropped). A pull request's report (``apply --no-deploy``)
shows the figures of the rollouts in progress on the deployments it would change."""

from __future__ import annotations

from typing import Any

from nerspec.report.numbers import rounded


def rollouts_view(project: dict[str, Any]) -> list[dict[str, Any]]:
    done = {str(a.get("deployment")): a for a in project.get("rollout_actions") or [] if isinstance(a, dict)}
    rows = []
    for line in project.get("rollouts") or []:
        if not isinstance(line, dict):
            continue
        deployment = str(line.get("deployment", ""))
        action = done.get(deployment, {}).get("action")
        rows.append({
            "deployment": deployment,
            "candidate": str(line.get("candidate") or "")[:12],
            "strategy": str(line.get("strategy", "")),
            "documents": int(line.get("documents") or 0),
            "agreement": rounded(line.get("agreement")),
            "error_rate": rounded(line.get("error_rate")),
            "latency_ratio": rounded(line.get("latency_ratio")),
            "verdict": str(line.get("verdict", "")),
            "reasons": [str(r) for r in line.get("reasons") or []],
            "action": str(action) if action else None,
        })
    return rows
