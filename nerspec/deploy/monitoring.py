"""The manifest's ``monitoring`` blocks, recorded in the state for ``nerspec serve`` to read (by ``apply``).

The server decides what to log from the state alone (it never reads manifests): a deployment is monitored exactly
while the state holds settings for it. ``apply`` writes them when they differ from the manifest and removes them
for a deployment whose block (or entry) is gone; rows already logged stay until they expire.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.state.store import Store

# A deployment's recorded ``monitoring`` block (``MonitoringSettings`` as JSON: sample, store_texts, ...).
Settings = dict[str, object]


def describe(settings: Settings | None) -> str:
    if settings is None:
        return "monitoring off (nothing is logged)"
    texts = "features and texts" if settings.get("store_texts") else "features only, no texts"
    sample = settings.get("sample", 1.0)
    share = f"{sample * 100:g}%" if isinstance(sample, int | float) else str(sample)
    return (f"monitoring on: {texts}, {share} of the documents, kept "
            f"{settings.get('retention_days', 30)} days")


def changes(store: Store, projects: list[LoadedProject]) -> list[tuple[str, str, Settings | None, str]]:
    """(project, deployment, settings or None, line) for every deployment whose recorded settings differ from
    the manifest's (pure comparison: ``plan`` notes them, ``apply`` records them)."""
    from nerspec.deploy.targets import target_for

    recorded = store.monitoring_settings()
    out = []
    for project in projects:
        declared = {d.name: d for d in project.manifest.spec.deployments}
        wanted = {name: d.monitoring.model_dump(mode="json") if d.monitoring is not None else None
                  for name, d in declared.items()}
        for (name_project, name), _ in recorded.items():
            if name_project == project.name and name not in wanted:
                wanted[name] = None
        for name, settings in sorted(wanted.items()):
            if recorded.get((project.name, name)) == settings:
                continue
            line = f"{project.name}/{name}: {describe(settings)}"
            entry = declared.get(name)
            if settings is not None and entry is not None and not target_for(entry.target).served_here:
                line += f" (an {entry.target.type} target's server logs only if it serves from this state)"
            out.append((project.name, name, settings, line))
    return out


def sync_settings(store: Store, projects: list[LoadedProject]) -> list[str]:
    """Record every project's monitoring settings; returns a line per deployment whose settings changed."""
    found = changes(store, projects)
    for project, deployment, settings, _ in found:
        store.record_monitoring_settings(project, deployment, settings, time.time())
    return [line for *_, line in found]
