"""Training: a project's manifest + corpus + split -> an immutable model artifact.

``train()`` is what the reconciler and ``nerspec train`` call. The kind seam is ``nerspec.kinds`` (handed to training);
the config is ``nerspec.train.config``; the run is ``nerspec.train.loop``; the artifact layout is
``nerspec.train.artifact``. Importing this package does not import spaCy.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.train.artifact import ModelArtifact, is_complete, read_artifact

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus
    from nerspec.corpus.split import SplitResult
    from nerspec.fingerprints.data import DataFingerprint
    from nerspec.manifest.load import LoadedProject
    from nerspec.model_meta import ModelMeta
    from nerspec.paths import StatePaths
    from nerspec.train.loop import ProgressCallback

def __getattr__(name: str) -> object:
    # ``nerspec.deploy.local`` (on plan's path) imports ``nerspec.train.artifact``, which runs this file: the
    # training loop and its config module load only when asked for.
    if name in ("Progress", "ProgressCallback"):
        from nerspec.train import loop

        return getattr(loop, name)
    raise AttributeError(name)


__all__ = ["ModelArtifact", "Progress", "ProgressCallback", "artifact_path", "fingerprint_of", "read_artifact", "train"]


def _data_fingerprint(project: LoadedProject, paths: StatePaths) -> DataFingerprint:
    from nerspec.fingerprints.data import data_fingerprint

    return data_fingerprint(project, paths.cache)


def fingerprint_of(project: LoadedProject, paths: StatePaths, data_fp: DataFingerprint | None = None) -> str:
    """The model fingerprint (``nerspec.fingerprints.model.model_fingerprint``) of the project's current inputs."""
    from nerspec.fingerprints.model import model_fingerprint

    return model_fingerprint(project, data_fp if data_fp is not None else _data_fingerprint(project, paths))


def artifact_path(paths: StatePaths, fingerprint: str, output_dir: Path | None = None) -> Path:
    """``<state>/models/<fingerprint>``, or ``<output_dir>/<fingerprint>`` when an output store is given."""
    return Path(output_dir if output_dir is not None else paths.models) / fingerprint


def train(
    project: LoadedProject,
    corpus: Corpus,
    split: SplitResult,
    *,
    paths: StatePaths,
    output_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    fingerprint: str | None = None,
) -> ModelArtifact:
    """Train on ``split.train`` (minus a dev carve for early stopping) and write the artifact.

    Raises ``TrainingError``; a ``KeyboardInterrupt`` propagates after the staging directory is removed,
    so no partial artifact is ever visible. If an artifact with the same fingerprint appears meanwhile
    (content-addressed: same inputs), that one is kept and returned.
    """
    from nerspec.atomic import staged_dir

    data_fp = _data_fingerprint(project, paths)
    fp = fingerprint or fingerprint_of(project, paths, data_fp)
    final = artifact_path(paths, fp, output_dir)
    with staged_dir(final) as staged:
        meta = train_into(staged, project, corpus, split, paths=paths, fingerprint=fp, data_fp=data_fp,
                          progress=progress)
    if is_complete(final):
        return read_artifact(final)
    return ModelArtifact(fingerprint=fp, path=final, meta=meta)


def train_into(
    staged: Path,
    project: LoadedProject,
    corpus: Corpus,
    split: SplitResult,
    *,
    paths: StatePaths,
    fingerprint: str,
    data_fp: DataFingerprint,
    progress: ProgressCallback | None = None,
) -> ModelMeta:
    """Train and write the complete artifact into ``staged``, a directory the caller staged (and renames into
    place): ``train`` stages its own; ``nerspec apply`` stages one with its crash points around it."""
    from nerspec.train.artifact import fill_staged
    from nerspec.train.calibrate import fit_calibration
    from nerspec.train.loop import carve_dev, run_training

    settings = project.manifest.spec.training
    train_docs, dev_docs = carve_dev(list(split.train), settings.dev_fraction, settings.seed)
    started = time.monotonic()
    weights = None
    if settings.pretrain is not None:
        from nerspec.train.config import default_config
        from nerspec.train.pretrain import pretrained_weights

        weights = pretrained_weights(project, default_config(project), paths)
    result = run_training(project, train_docs, dev_docs, staged / "_training", progress, init_tok2vec=weights)
    calibration = fit_calibration(project, result, dev_docs, train_docs, init_tok2vec=weights)
    return fill_staged(
        staged,
        project=project,
        corpus=corpus,
        result=result,
        fingerprint=fingerprint,
        data_fp=data_fp,
        training_seconds=time.monotonic() - started,
        calibration=calibration,
        train_side=list(split.train),
    )
