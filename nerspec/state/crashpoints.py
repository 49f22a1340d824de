"""Test-only crash points: ``NERSPEC_TEST_PAUSE_AT=<stage>`` makes apply sleep at that stage.

The crash-safety tests (tests/reconcile/test_crash.py) start a real ``nerspec apply``, wait until it reaches a
stage, SIGKILL it, and check the state. Stages: ``train`` (training running, artifact staged but not renamed),
``evaluate``, ``artifact`` (evaluation written, state not yet recorded), ``deploy`` (just before a pointer switch).
When ``NERSPEC_TEST_PAUSE_MARKER`` names a file, it is created on arrival so the test knows when to kill.
Unset in normal use: then ``pause`` is one dictionary lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause(stage: str) -> None:
    if os.environ.get("NERSPEC_TEST_PAUSE_AT") != stage:
        return
    marker = os.environ.get("NERSPEC_TEST_PAUSE_MARKER")
    if marker:
        Path(marker).write_text(f"{os.getpid()} {stage}\n")
    time.sleep(float(os.environ.get("NERSPEC_TEST_PAUSE_SECONDS", "60")))
