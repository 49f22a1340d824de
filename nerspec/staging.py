"""New models in a run: the one staging layer (train into a staged directory, complete it, rename it into place),
recording a complete artifact (publishing it first to a shared artifact store), and removing the staging
directories of killed runs. Crash safety comes from ordering: an artifact appears by one rename of a complete
staged directory, and the state records a model only after its artifact exists."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import atomic, safeio
from nerspec.errors import StateError
from nerspec.model_meta import ModelMeta, find_model_meta
from nerspec.plan import short
from nerspec.state.crashpoints import pause
from nerspec.state.store import ModelRecord, utc_now

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.corpus.split import SplitResult
    from nerspec.fingerprints.data import DataFingerprint
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths
    from nerspec.run_parts import RunContext
    from nerspec.state.sql import JsonObject


def remove_stale_partials(paths: StatePaths, lock_taken: float) -> None:
    """Remove staging directories of killed runs. Called only while holding the lock, so no apply is writing
    one; but ``nerspec train`` stages into the same store without the lock, so only directories in which nothing
    changed since we took the lock are stale (a live training keeps writing checkpoints into its own)."""
    if not paths.models.is_dir():
        return
    from nerspec.owner import foreign, foreign_owner_gone, owner_alive

    for leftover in paths.models.glob(".*.partial"):
        if foreign(leftover.name):  # another host's or container's: its pid means nothing here; its heartbeat does
            if foreign_owner_gone(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
            continue
        alive = owner_alive(leftover.name)
        if alive is None:  # no owner record: only untouched since we took the lock is stale
            newest = _newest_mtime(leftover)
            alive = newest is None or newest >= lock_taken
        if not alive:
            shutil.rmtree(leftover, ignore_errors=True)


def _newest_mtime(root: Path) -> float | None:
    """The latest mtime in a directory tree; None when it changes under us (someone is still writing it)."""
    try:
        newest = root.lstat().st_mtime
        for folder, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                newest = max(newest, (Path(folder) / name).lstat().st_mtime)
    except FileNotFoundError:
        return None
    return newest


def train_staged(ctx: RunContext, project: LoadedProject, corpus: Corpus, split: SplitResult, fp: str) -> None:
    """Train ``fp`` into the one staged directory apply owns, complete it, rename it into place, record it."""
    from nerspec.deploy import local
    from nerspec.fingerprints.data import data_fingerprint

    final = local.artifact_dir(ctx.paths, fp)
    if final.exists() and not local.is_complete(final):
        raise StateError(f"{final} exists but is incomplete; move it away and run apply again")
    if final.exists():
        # Damaged outside nerspec (the plan said so): keep it for inspection, train a fresh one.
        final.rename(final.with_name(f".{fp}.damaged-{int(time.time())}"))
        ctx.store.forget_model(fp)
    data_fp = data_fingerprint(project, ctx.paths.cache)
    started = time.monotonic()
    with atomic.staged_dir(final) as staged:
        pause("train")
        ctx.parts.trainer(project, corpus, split, staged, fp, data_fp, paths=ctx.paths)
        complete_artifact(project, corpus, staged, fp, data_fp, time.monotonic() - started)
        pause("artifact")
    ctx.progress(f"{project.name}:   trained {short(fp)} in {time.monotonic() - started:.1f}s -> {final}")
    record_model(ctx, project, corpus, fp, data_fp)


def complete_artifact(
    project: LoadedProject, corpus: Corpus, staged: Path, fp: str, data_fp: DataFingerprint, seconds: float
) -> None:
    """Fill in what the contract asks of an artifact when the trainer did not write it."""
    from nerspec.fingerprints.documents import document_hashes
    from nerspec.fingerprints.model import versions

    if not (staged / "manifest.json").exists():
        atomic.write_text(staged / "manifest.json", json.dumps(project.manifest.model_dump(mode="json"), indent=2))
    if not (staged / "fingerprints.json").exists():
        payload = {"data_files": data_fp.files, "documents": document_hashes(corpus)}
        atomic.write_text(staged / "fingerprints.json", json.dumps(payload))
    if not (staged / "meta.json").exists():
        spec = project.manifest.spec
        meta = ModelMeta.new(  # these keys in this order: meta.json's bytes are part of the recorded hashes
            fingerprint=fp,
            project=project.name,
            kind=project.kind,
            labels=[label.name for label in spec.labels],
            language=project.manifest.metadata.language,
            multilabel=spec.multilabel,
            threshold=spec.training.threshold,
            created=utc_now(),
            training_seconds=round(seconds, 3),
            versions=versions(),
            data_fingerprint=data_fp.sha256,
            seed=spec.training.seed,
        )
        atomic.write_text(staged / "meta.json", json.dumps(meta.to_json(), indent=2))


def record_model(
    ctx: RunContext, project: LoadedProject, corpus: Corpus, fp: str, data_fp: DataFingerprint | None = None
) -> None:
    """Record a complete artifact; with an object store it is published first (files, then its manifest), so the
    state never names a model other machines cannot fetch. A kill in between leaves a published, unrecorded
    model that the next plan adopts ("reuse") instead of training it again."""
    from nerspec.artifacts.layout import file_hashes
    from nerspec.deploy import local
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.fingerprints.documents import document_hashes
    from nerspec.fingerprints.model import training_inputs, versions
    from nerspec.fingerprints.stat_cache import StatCache

    artifact = local.artifact_dir(ctx.paths, fp)
    store = ctx.targets.artifact_store
    cache = StatCache(ctx.paths.cache, scope="artifacts")
    if not local.is_complete(artifact) and store.remote:  # adopted from the shared store: bring it here
        artifact = store.fetch(fp, {}, cache)
    data_fp = data_fp or data_fingerprint(project, ctx.paths.cache)
    meta = find_model_meta(artifact) or ModelMeta()
    files = file_hashes(artifact, cache)
    cache.save()
    if store.remote:
        size = sum((artifact / rel).stat().st_size for rel in files)
        ctx.progress(f"{project.name}:   uploading {short(fp)} ({len(files)} files, {size / 1e6:.1f} MB) to "
                     f"{store.location(fp)}")
        started = time.monotonic()
        store.publish(fp, artifact, files)
        ctx.targets.forget_checks(fp)
        ctx.progress(f"{project.name}:   uploaded {short(fp)} in {time.monotonic() - started:.1f}s (manifest last)")
    ctx.store.record_model(
        ModelRecord(
            project=project.name,
            fingerprint=fp,
            created=meta.created or utc_now(),
            data_fingerprint=data_fp.sha256,
            model_dir=store.location(fp) if store.remote else str(artifact),
            training_inputs=training_inputs(project),
            versions=dict(meta.versions) or versions(),
            artifact_files=files,
        ),
        document_hashes=document_hashes(corpus),
    )
    from nerspec.corpus.split_record import record_sides

    # Right after the model: a kill in between loses nothing, as the same recorded sides reassign the same way.
    record_sides(ctx.store, project, ctx.parts.split_corpus(project, corpus))


def artifact_json(ctx: RunContext, record: ModelRecord, name: str) -> JsonObject | None:
    """A small JSON file of a recorded model: from the local copy, else straight from the artifact store."""
    from nerspec.artifacts.layout import local_dir

    found = _read_json(local_dir(ctx.paths, record.fingerprint, record.model_dir) / name)
    if found is None and "://" in record.model_dir:
        raw = ctx.targets.artifact_store.read_file(record.fingerprint, name)
        try:
            found = json.loads(raw) if raw is not None else None
        except ValueError:
            found = None
    return found


def _read_json(path: Path) -> JsonObject | None:
    try:
        return json.loads(safeio.read_text(path))
    except (OSError, ValueError):
        return None
