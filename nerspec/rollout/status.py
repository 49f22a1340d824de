"""``nerspec deployments rollout``: each rollout in progress with its figures and verdict (``plan`` shows the same)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.plan.inputs import RolloutLine


def rollout_lines(project: LoadedProject, paths: StatePaths) -> list[RolloutLine]:
    """A line per staged candidate of ``project``, analysed with the manifest's thresholds."""
    from nerspec.plan import observe_rollout
    from nerspec.state import open_store

    store = open_store(paths, create=False)
    try:
        return [observe_rollout(store, project, record).line(name)
                for name, record in store.rollouts(project.name).items()]
    finally:
        store.close()
