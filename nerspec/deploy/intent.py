"""Intents: a rollback or swap is recorded before it switches anything, so a kill cannot undo it silently.

``rollback`` and ``swap`` switch the target first and record the change in the state after; a process killed
in between leaves pointers that disagree with the state. Without a record of what the user asked for, the next
``apply`` would "repair" the pointers back, undoing the rollback the user ran. So before switching, the
operation writes ``<state>/intents/<id>.json`` (atomically) naming every switch it will make, and removes it
once the state recorded them. The next locked command (``apply``, ``rollback``, ``swap``) finishes a leftover
intent in the direction the user asked for; ``plan`` reports it with the command that finishes it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from nerspec import atomic, safeio
from nerspec.paths import StatePaths

DIRNAME = "intents"


@dataclass(frozen=True)
class Intent:
    id: str
    command: str  # rollback | swap
    project: str
    switches: dict[str, str]  # deployment -> fingerprint it must serve
    expected: dict[str, str]  # deployment -> fingerprint the state recorded when the command started
    reason: str

    @property
    def finish_hint(self) -> str:
        return "run `nerspec apply` (it finishes the interrupted " + self.command + ")"

    def describe(self) -> str:
        moves = ", ".join(f"{d} -> {fp[:12]}" for d, fp in sorted(self.switches.items()))
        return f"interrupted {self.command} of {self.project} ({moves}); {self.finish_hint}"


def _dir(paths: StatePaths) -> Path:
    return paths.root / DIRNAME


def begin(paths: StatePaths, command: str, project: str, switches: dict[str, str], expected: dict[str, str],
          reason: str) -> Intent:
    intent = Intent(uuid.uuid4().hex, command, project, dict(switches), dict(expected), reason)
    atomic.write_text(_dir(paths) / f"{intent.id}.json", json.dumps(intent.__dict__, indent=2) + "\n")
    return intent


def end(paths: StatePaths, intent: Intent) -> None:
    (_dir(paths) / f"{intent.id}.json").unlink(missing_ok=True)


def pending(paths: StatePaths, project: str | None = None) -> list[Intent]:
    folder = _dir(paths)
    if not folder.is_dir():
        return []
    found = []
    for file in sorted(folder.glob("*.json")):
        if file.name.startswith("."):
            continue  # an atomic write's temporary
        try:
            raw = json.loads(safeio.read_text(file))
            intent = Intent(**raw)
        except (OSError, ValueError, TypeError):
            continue
        if project is None or intent.project == project:
            found.append(intent)
    return found


def live(intent: Intent, recorded: dict[str, str]) -> bool:
    """Still to be finished: the state has neither recorded it yet nor moved on since (``recorded``: deployment ->
    fingerprint the state records now)."""
    if all(recorded.get(d) == fp for d, fp in intent.switches.items()):
        return False  # killed after the state recorded it: only the intent file was left
    return all(recorded.get(d) == intent.expected.get(d) for d in intent.switches)


def unfinished(paths: StatePaths, project: str, recorded: dict[str, str]) -> dict[str, tuple[str, Intent]]:
    """deployment -> (fingerprint it must serve, intent) for every live intent of ``project`` (plan names them)."""
    out: dict[str, tuple[str, Intent]] = {}
    for intent in pending(paths, project):
        if live(intent, recorded):
            out.update({d: (fp, intent) for d, fp in intent.switches.items()})
    return out
