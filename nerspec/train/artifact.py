"""The immutable model artifact ``<store>/<fingerprint>/`` (``docs/architecture.md``, "Fingerprints and artifacts").

Layout: ``model/`` (the spaCy pipeline, loadable with plain ``spacy.load``), ``manifest.json``,
``fingerprints.json``, ``metrics.json`` and ``meta.json``. Everything is written into a staging
directory (``nerspec.atomic.staged_dir``) and fsynced; ``meta.json`` comes last, and the directory
appears under its final name by one rename, so a reader sees a complete artifact or none.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import atomic

# The layout, ModelArtifact, is_complete and read_artifact live in nerspec.artifacts.layout (the one owner of the
# artifact contract); this module writes artifacts and re-exports those names for its callers.
from nerspec.artifacts.layout import (
    FINGERPRINTS,
    MANIFEST,
    META,
    METRICS,
    PIPELINE_DIR,
    VOCABULARY,
    ModelArtifact,
    is_complete,
    read_artifact,
)
from nerspec.model_meta import ModelMeta
from nerspec.timestamps import utc_timestamp

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus, Document
    from nerspec.fingerprints.data import DataFingerprint
    from nerspec.manifest.load import LoadedProject
    from nerspec.state.sql import JsonObject
    from nerspec.train.loop import TrainResult

__all__ = ["FINGERPRINTS", "MANIFEST", "META", "METRICS", "PIPELINE_DIR", "ModelArtifact", "fill_staged", "is_complete",
           "read_artifact"]


def _dump(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _make_portable(model_dir: Path) -> None:
    """Give the saved pipeline spaCy's standard reader and logger (nerspec's exist only while training)."""
    from thinc.api import Config

    from nerspec.train.config import portable_config

    path = model_dir / "config.cfg"
    config = Config().from_disk(path, interpolate=False)
    atomic.write_text(path, portable_config(config).to_str())


def fill_staged(
    staged: Path,
    *,
    project: LoadedProject,
    corpus: Corpus,
    result: TrainResult,
    fingerprint: str,
    data_fp: DataFingerprint,
    training_seconds: float,
    calibration: JsonObject | None = None,
    train_side: list[Document] | None = None,
) -> ModelMeta:
    """Turn a staging directory holding spaCy's output into an artifact; returns its ``meta.json`` record."""
    from nerspec.fingerprints.documents import document_hashes
    from nerspec.fingerprints.model import versions
    from nerspec.languages import project_languages

    model = staged / PIPELINE_DIR
    os.rename(result.model_dir, model)
    training_dir = result.model_dir.parent
    if training_dir != staged and training_dir.is_relative_to(staged):
        shutil.rmtree(training_dir, ignore_errors=True)
    _make_portable(model)
    manifest = project.manifest
    spec = manifest.spec
    atomic.write_text(staged / MANIFEST, _dump(manifest.model_dump(mode="json")))
    atomic.write_text(
        staged / FINGERPRINTS,
        _dump({"model": fingerprint, "data": data_fp.to_json(), "documents": document_hashes(corpus)}),
    )
    atomic.write_text(staged / METRICS, _dump(_metrics(result)))
    if train_side is not None:  # the words training saw: production monitoring's unseen-word share
        _write_vocabulary(staged, train_side)
    # The keys in this order, and only these: meta.json's bytes are part of the artifact's recorded hashes.
    meta = ModelMeta.new(
        fingerprint=fingerprint,
        project=manifest.metadata.name,
        kind=manifest.kind,
        labels=[label.name for label in spec.labels],
        language=manifest.metadata.language,
        # Every language the model was trained for (metadata.language first); serve warns outside them.
        languages=project_languages(manifest.metadata.language, corpus.languages()),
        multilingual=manifest.metadata.multilingual,
        multilabel=spec.multilabel,
        threshold=spec.training.threshold,
        created=utc_timestamp(),
        training_seconds=round(training_seconds, 3),
        versions=versions(),
        data_fingerprint=data_fp.sha256,
        seed=spec.training.seed,
        gpu=result.gpu,
        expert_config=spec.training.config,
        # nerspec.calibration: raw confidence -> probability, fitted on the dev carve (absent: raw scores)
        calibration=calibration,
        # Entities may overlap: a span categorizer (``nerspec.kinds.artifact_kind``); absent for flat NER.
        **({"overlapping": True} if spec.overlapping else {}),
    )
    atomic.fsync_tree(model)
    atomic.write_text(staged / META, _dump(meta.to_json()))  # last: its presence marks a complete artifact
    return meta


def _metrics(result: TrainResult) -> JsonObject:
    """``metrics.json``: the dev scores of the training run and how it stopped."""
    return {
        "dev": result.scores,
        "score": result.score,
        "best_step": result.best_step,
        "steps": result.steps,
        "stopped": "max_steps" if result.max_steps and result.steps > result.max_steps else "patience",
        "checkpoints": [{"step": step, "score": score} for score, step in result.checkpoints],
        "train_documents": result.train_documents,
        "dev_documents": result.dev_documents,
        "dev_source": result.dev_source,
    }


def _write_vocabulary(staged: Path, train_side: list[Document]) -> None:
    """The words training saw (production monitoring's unseen-word share)."""
    from nerspec import vocabulary

    atomic.write_text(staged / VOCABULARY, json.dumps(
        {"version": vocabulary.VERSION, "words": vocabulary.build(d.text for d in train_side)},
        ensure_ascii=False) + "\n")
