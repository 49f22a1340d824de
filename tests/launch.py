"""Test-only launcher: ``python -m tests.launch ARGS...`` runs the ``nerspec`` command line in a subprocess with
test doubles installed by monkeypatching, so production code reads no test switches from the environment.

The subprocess tests select the doubles with these variables (read here, never by nerspec):
``NERSPEC_TEST_TRAINER`` / ``_EVALUATOR`` / ``_LOAD_CORPUS`` / ``_SPLIT`` = ``module:function`` replace the
run parts' defaults; ``NERSPEC_TEST_PAUSE_AT=<stage>`` makes the process sleep at that crash point
(``nerspec.state.crashpoints``) for ``NERSPEC_TEST_PAUSE_SECONDS`` (60), after creating the file
``NERSPEC_TEST_PAUSE_MARKER`` so the test knows when to kill it.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ENGINE_HOOKS = {
    "NERSPEC_TEST_TRAINER": "default_trainer",
    "NERSPEC_TEST_EVALUATOR": "default_evaluator",
    "NERSPEC_TEST_LOAD_CORPUS": "default_load_corpus",
    "NERSPEC_TEST_SPLIT": "default_split",
}


def _load(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def install_parts(settings: Mapping[str, str], set_attr: Callable[[Any, str, Any], None] = setattr) -> None:
    """Replace the default run parts named in ``settings`` (``set_attr``: pytest's ``monkeypatch.setattr``
    in-process, so the patch is undone after the test)."""
    import nerspec.run_parts

    for variable, attr in ENGINE_HOOKS.items():
        if settings.get(variable):
            set_attr(nerspec.run_parts, attr, _load(settings[variable]))


def install_pause(settings: Mapping[str, str]) -> None:
    stage = settings.get("NERSPEC_TEST_PAUSE_AT")
    if not stage:
        return
    from nerspec.state import crashpoints

    marker = settings.get("NERSPEC_TEST_PAUSE_MARKER")
    seconds = float(settings.get("NERSPEC_TEST_PAUSE_SECONDS", "60"))

    def pause(at: str) -> None:
        if at != stage:
            return
        if marker:
            Path(marker).write_text(f"{os.getpid()} {at}\n")
        time.sleep(seconds)

    crashpoints.install(pause)


def install(settings: Mapping[str, str] = os.environ) -> None:
    install_parts(settings)
    install_pause(settings)


def main() -> None:
    install()
    from nerspec.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
