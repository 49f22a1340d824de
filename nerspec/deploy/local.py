"""The local registry: ``<state>/registry/<project>/<deployment>.json`` points at an immutable model directory.

Switching a deployment is one atomic file replace, so a server watching the registry (or a crash at any
moment) sees the old pointer or the new one, never a mix; a pointer only ever names a complete artifact
(``meta.json`` is written last inside the staged artifact directory, and the directory appears by rename).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import atomic
from nerspec.artifacts.layout import is_complete  # the artifact layout has one owner
from nerspec.errors import DeployError
from nerspec.paths import StatePaths
from nerspec.safeio import read_bytes
from nerspec.state.store import utc_now

if TYPE_CHECKING:
    from nerspec.deploy.other_states import OtherStates
    from nerspec.state.store import Store

Pointer = dict[str, object]  # a pointer file's JSON: project, deployment, fingerprint, model_dir, deployed_at

__all__ = ["artifact_dir", "is_complete", "list_pointers", "point", "pointer_path", "read_pointer", "remove",
           "stray_pointers"]


def pointer_path(paths: StatePaths, project: str, deployment: str) -> Path:
    return paths.registry / project / f"{deployment}.json"


def artifact_dir(paths: StatePaths, fingerprint: str) -> Path:
    return paths.models / fingerprint


def read_pointer(paths: StatePaths, project: str, deployment: str) -> Pointer | None:
    try:
        raw = json.loads(read_bytes(pointer_path(paths, project, deployment)))  # a FIFO: NotRegularFile, no hang
    except FileNotFoundError:
        return None
    except ValueError:
        return {"project": project, "deployment": deployment, "fingerprint": None, "corrupt": True}
    return raw if isinstance(raw, dict) else {"fingerprint": None, "corrupt": True}


def fingerprint_of(pointer: Pointer | None) -> str | None:
    """The fingerprint a pointer names (None: no pointer, or a corrupt one)."""
    found = pointer.get("fingerprint") if pointer else None
    return None if found is None else str(found)


def point(paths: StatePaths, project: str, deployment: str, fingerprint: str) -> None:
    artifact = artifact_dir(paths, fingerprint)
    if not is_complete(artifact):
        raise DeployError(f"cannot deploy {project}/{deployment}: model {fingerprint} is missing or incomplete")
    from nerspec.state.crashpoints import pause  # test-only crash point

    pause("deploy")
    pointer = {
        "project": project,
        "deployment": deployment,
        "fingerprint": fingerprint,
        "model_dir": os.path.relpath(artifact, paths.root),  # relative: a moved state dir keeps working
        "deployed_at": utc_now(),
    }
    atomic.write_text(pointer_path(paths, project, deployment), json.dumps(pointer, indent=2) + "\n")


def remove(paths: StatePaths, project: str, deployment: str) -> None:
    path = pointer_path(paths, project, deployment)
    path.unlink(missing_ok=True)
    try:
        os.rmdir(path.parent)  # only when it was the project's last deployment
    except OSError:
        pass


def stray_pointers(paths: StatePaths, store: Store, planned: set[str]) -> list[str]:
    """Pointer files of projects outside ``planned`` for deployments the state never recorded (no record, no
    history). Written outside nerspec and never served, unless another state on this machine deployed them (the
    local state beside a shared one: ``make demo``); then the line says so and does not ask to remove them.
    ``plan`` names them (the planned projects' own are removals)."""
    from nerspec.deploy.other_states import OtherStates

    root = paths.registry
    if not root.is_dir():
        return []
    found = []
    others = OtherStates.of(paths)
    try:
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir() or folder.name in planned:
                continue
            found.extend(_strays(paths, store, folder.name, others))
    finally:
        others.close()
    return found


def _strays(paths: StatePaths, store: Store, project: str, others: OtherStates) -> list[str]:
    recorded = store.deployments(project)
    found = []
    for deployment, pointer in list_pointers(paths, project).items():
        if deployment in recorded or store.history(project, deployment):
            continue
        where = pointer_path(paths, project, deployment)
        origin = others.deployment_recorded_by(project, deployment, fingerprint_of(pointer))
        if origin:
            found.append(f"{where}: deployed by the state {origin} on this machine, which this state "
                         f"({paths.describe()}) does not record; left alone (that state still serves it)")
        else:
            found.append(f"{where}: a pointer the state never recorded (written outside nerspec); it is never "
                         "served; remove it")
    return found


def list_pointers(paths: StatePaths, project: str) -> dict[str, Pointer]:
    folder = paths.registry / project
    if not folder.is_dir():
        return {}
    out: dict[str, Pointer] = {}
    for file in sorted(folder.glob("*.json")):
        pointer = read_pointer(paths, project, file.stem)
        if pointer is not None:
            out[file.stem] = pointer
    return out
