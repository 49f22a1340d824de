"""Where stratified split version 4's history lives: the sides recorded in the state with the models trained on them.

The command edge (plan, apply, evaluate, train, the data commands) reads them from the store and attaches them to
the project (``with_recorded_splits``), so ``plan`` stays a pure function of manifest, observed state and
fingerprints; apply records the sides of every model it trains (``record_sides``). Sides are kept per split
setting (``split_key``: version, test fraction, seed): a new setting starts a fresh assignment, reproducible from
the data alone, and going back to an old setting finds its sides again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.corpus.split import SplitResult
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.state.store import Store

RECORDED_VERSIONS = (4,)  # the split versions whose assignment depends on recorded sides


def split_key(project: LoadedProject) -> str | None:
    """The split setting sides are recorded under; None when the project's split records nothing."""
    from nerspec.corpus.split import effective_version

    split = project.manifest.spec.split
    version = effective_version(split.policy, split.version)
    if split.policy != "stratified" or version not in RECORDED_VERSIONS:
        return None
    text = json.dumps(["stratified", version, split.test_fraction, split.seed])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def with_recorded_splits(projects: list[LoadedProject], store: Store) -> list[LoadedProject]:
    """The projects with the sides the state recorded for their split attached (observed state)."""
    out = []
    for project in projects:
        key = split_key(project)
        recorded = store.recorded_split(project.name, key) if key is not None else None
        out.append(dataclasses.replace(project, recorded_split=recorded))
    return out


def with_recorded_split(project: LoadedProject, paths: StatePaths) -> LoadedProject:
    """One project with its recorded sides, for read-only commands (no state yet: nothing recorded)."""
    if split_key(project) is None:
        return project
    from nerspec.state import open_store

    store = open_store(paths, create=False)
    try:
        return with_recorded_splits([project], store)[0]
    finally:
        store.close()


def record_sides(store: Store, project: LoadedProject, split: SplitResult) -> None:
    """Record the sides a model was trained on (only documents not yet recorded are added)."""
    key = split_key(project)
    if key is None:
        return
    sides = {d.id: False for d in split.train} | {d.id: True for d in split.test}
    store.record_split(project.name, key, sides)
