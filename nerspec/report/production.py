"""The report's Production section: ``nerspec monitor`` of every monitored deployment, attached to a run result.

The run result is what an apply did; production is what the servers logged since. ``nerspec report`` reads the
manifests of the run's projects, and for each deployment with a ``monitoring`` block that serves a model, puts
``monitor``'s JSON of its last ``WINDOW`` logged documents under the project's ``production`` key.
"""

from __future__ import annotations

from pathlib import Path

from nerspec.errors import NerspecError
from nerspec.paths import StatePaths

WINDOW = 10_000


def attach_production(run: dict[str, object], paths: StatePaths) -> dict[str, object]:
    """``run`` with ``production`` added to every project that has monitored deployments (a copy)."""
    from nerspec.manifest.load import load_project
    from nerspec.monitor.run import monitor

    found = run.get("projects")
    projects: list[object] = []
    for entry in found if isinstance(found, list) else []:
        if not isinstance(entry, dict):
            projects.append(entry)  # not a project: the report says so
            continue
        manifest = Path(str(entry.get("manifest_path", "")))
        if not manifest.is_file():
            projects.append(entry)
            continue
        try:
            project = load_project(manifest)
        except NerspecError:
            projects.append(entry)  # a manifest broken since the run: the report still renders the run
            continue
        results = []
        for deployment in project.manifest.spec.deployments:
            if deployment.monitoring is None:
                continue
            try:
                results.append(monitor(project, deployment.name, paths, last=WINDOW).to_json())
            except NerspecError:
                continue  # nothing served yet
        projects.append({**entry, "production": results} if results else entry)
    return {**run, "projects": projects}
