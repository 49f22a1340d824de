"""Whether a deployment pointer may be trusted: the one check ``serve``, ``predict`` and ``plan`` share.

A pointer file is only a hint. It is served only when the model it names is the model the state recorded:

- its ``model_dir`` is the artifact directory of its own fingerprint (``<state>/models/<fingerprint>``),
- the artifact's ``meta.json`` carries that fingerprint,
- the state (when it has a record of the deployment) recorded that fingerprint, and
- every file of the artifact has the sha256 recorded when the model was stored (hashed in full: size and mtime
  can be kept by a tool that rewrites a file).

Anything else is ``WrongModel``: the caller refuses that deployment (``serve`` answers an error for it and
``/readyz`` reports why) instead of serving other weights under the recorded fingerprint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.errors import DeployError
from nerspec.model_meta import find_model_meta
from nerspec.paths import StatePaths

if TYPE_CHECKING:
    from nerspec.state.store import Store


class WrongModel(DeployError):
    """The pointer names a model that is not (or no longer) the one the state recorded."""

    def __init__(self, message: str, state_disagrees: bool = False) -> None:
        super().__init__(message)
        self.state_disagrees = state_disagrees  # only the state's record differs (cheap to look at again)


def pointer_model_dir(paths: StatePaths, pointer: Mapping[str, object]) -> Path:
    """The directory a pointer names; relative paths are relative to the state root (a moved state keeps working)."""
    named = pointer.get("model_dir")
    if not named:
        return paths.models / str(pointer.get("fingerprint"))
    path = Path(str(named))
    return path if path.is_absolute() else paths.root / path


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return False


def check_pointer(paths: StatePaths, pointer: Mapping[str, object]) -> list[str]:
    """Problems of the pointer itself (without the state): its directory and its artifact's own fingerprint."""
    fingerprint = pointer.get("fingerprint")
    if pointer.get("corrupt") or not fingerprint or not isinstance(fingerprint, str):
        return ["the pointer file is corrupt"]
    problems = []
    named = pointer_model_dir(paths, pointer)
    expected = paths.models / fingerprint
    # A model lives under its own fingerprint in this machine's model directory (the artifact store's verified
    # copy included): a pointer naming any other directory (a copy elsewhere, same fingerprint) is never trusted.
    if not _same(named, expected):
        problems.append(f"the pointer names model_dir {named}, not the artifact of {fingerprint[:12]} ({expected})")
    meta = find_model_meta(named)  # a FIFO is refused, never waited on
    if meta is None:
        return problems  # a missing or corrupt artifact is reported by whoever loads it
    claimed = meta.fingerprint
    if claimed and claimed != fingerprint:
        problems.append(f"the artifact {fingerprint[:12]} says it is model {str(claimed)[:12]} (meta.json)")
    return problems


def changed_files(artifact: Path, recorded: dict[str, str]) -> list[str]:
    """Files of an artifact whose full sha256 differs from the recorded one (or that are gone)."""
    from nerspec.safeio import sha256_file

    changed = []
    for rel, sha in sorted(recorded.items()):
        try:
            if sha256_file(artifact / rel) != sha:
                changed.append(rel)
        except OSError:
            changed.append(rel)
    return changed


def verify(
    paths: StatePaths, project: str, deployment: str, pointer: Mapping[str, object], store: Store | None, *,
    switching: bool = False,
) -> Path:
    """The artifact directory ``pointer`` may be served from; ``WrongModel`` naming every reason otherwise.

    ``switching``: the pointer is a candidate about to replace the recorded one, so only its files are checked.
    """
    problems = check_pointer(paths, pointer)
    fingerprint = str(pointer.get("fingerprint") or "")
    disagrees = False
    if store is not None and fingerprint:
        recorded = None if switching else store.deployments(project).get(deployment)
        if recorded is not None and recorded.fingerprint != fingerprint:
            disagrees = not problems
            problems.append(
                f"the pointer serves {fingerprint[:12]} but the state recorded {recorded.fingerprint[:12]}"
            )
        model = store.get_model(fingerprint) if not disagrees else None  # no hashing before that is settled
        if model is not None and model.artifact_files:
            changed = changed_files(pointer_model_dir(paths, pointer), model.artifact_files)
            if changed:
                shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
                problems.append(f"files of model {fingerprint[:12]} do not match their recorded hashes: {shown}")
    if problems:
        raise WrongModel(
            f"refusing to serve {project}/{deployment}: " + "; ".join(problems)
            + " (changed outside nerspec: `nerspec plan` shows the drift, `nerspec apply` repairs it)",
            state_disagrees=disagrees,
        )
    return pointer_model_dir(paths, pointer)


def verify_recorded(store: Store, project: str, deployment: str, fingerprint: str, model_dir: Path) -> Path:
    """``model_dir`` holds exactly the model the state recorded under ``fingerprint`` (meta.json and the full
    sha256 of every file); ``WrongModel`` naming every reason otherwise."""
    problems = []
    model = store.get_model(fingerprint)
    meta = find_model_meta(model_dir)
    claimed = meta.fingerprint if meta is not None else None
    if meta is None:
        problems.append(f"model {fingerprint[:12]} is missing or incomplete in {model_dir}")
    elif claimed and claimed != fingerprint:
        problems.append(f"the artifact {fingerprint[:12]} says it is model {str(claimed)[:12]} (meta.json)")
    if model is None:
        problems.append(f"the state has no record of model {fingerprint[:12]}")
    elif meta is not None and model.artifact_files:
        changed = changed_files(model_dir, model.artifact_files)
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            problems.append(f"files of model {fingerprint[:12]} do not match their recorded hashes: {shown}")
    if problems:
        raise WrongModel(
            f"refusing to serve {project}/{deployment}: " + "; ".join(problems)
            + " (changed outside nerspec: `nerspec plan` shows the drift, `nerspec apply` repairs it)")
    return model_dir


def open_state(paths: StatePaths) -> Store | None:
    """The recorded state, read-only in spirit: None when there is none (a server fed only by uploads)."""
    if not Path(paths.db).is_file():
        return None
    from nerspec.state import open_store

    return open_store(paths, create=False)
