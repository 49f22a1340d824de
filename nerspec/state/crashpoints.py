"""Named crash points: the stages where a kill must leave consistent state (``pause(stage)`` marks one).

In normal use nothing is installed and ``pause`` is one comparison. The crash-safety tests start a real process
through the test-only launcher (``python -m tests.launch``), which installs a hook that sleeps at the stage they
name; they wait until it arrives, SIGKILL it, and check the state. Stages include ``train`` (training running,
artifact staged but not renamed), ``evaluate``, ``artifact``, ``record-deploy``, ``upload`` and ``gc``.
Production code never reads the environment for this.
"""

from __future__ import annotations

from collections.abc import Callable

_hook: Callable[[str], None] | None = None


def pause(stage: str) -> None:
    if _hook is not None:
        _hook(stage)


def install(hook: Callable[[str], None] | None) -> None:
    """Call ``hook(stage)`` at every crash point from now on (``None``: nothing). For test launchers only."""
    global _hook
    _hook = hook
