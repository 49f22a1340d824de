"""The model fingerprint: the hash of everything that changes a trained model, and nothing else.

A model retrains exactly when its fingerprint changes: the training inputs of the manifest, the data fingerprint
(``nerspec.fingerprints.data``), the training recipe and the nerspec/spaCy/Python versions. The observations it
rests on live beside it in ``nerspec.fingerprints`` (stat cache, data fingerprint, document hashes).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

from nerspec.corpus import split as split_module
from nerspec.corpus.digest import CONTENT_VERSION
from nerspec.fingerprints.data import DataFingerprint, source_fingerprint
from nerspec.fingerprints.stat_cache import StatCache
from nerspec.safeio import sha256_file
from nerspec.version import __version__

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject


class LabelInput(TypedDict):
    name: str
    renamed_from: str | list[str] | None

# Bump when the spaCy configs nerspec generates by default (nerspec/kinds/, nerspec/train/config.py) change: the
# generated config is not hashed itself because that would import spaCy on every `plan`.
TRAINING_RECIPE = 9  # 3: artifacts carry a confidence calibration; 4: schedule scaled to the data, normalised bag-of-n-grams textcat, NER levers; 5: NER confidence from action scores, cross-fitted calibration without a dev carve, multi-label batches; 6: NER trains its budget and keeps the last weights, Platt calibration below 1,000 dev items; 7: multi-label trains its budget (no early stop), per-class calibrated decisions; 8: NER budget sub-linear beyond 37,000 words, at most 20 evaluations; 9: the cross-fitted calibration holds copies of a text out together


def versions() -> dict[str, str]:
    """nerspec, spaCy and Python versions, without importing spaCy (``plan`` must start fast)."""
    spacy_version = _dist_info_version("spacy")
    if spacy_version is None:  # an egg, a zip or an unusual layout: ask importlib.metadata (slower to import)
        from importlib import metadata

        try:
            spacy_version = metadata.version("spacy")
        except metadata.PackageNotFoundError:
            spacy_version = "none"
    return {
        "nerspec": __version__,
        "spacy": spacy_version,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}",
    }


def _dist_info_version(name: str) -> str | None:
    """The version in the first ``<name>-<version>.dist-info`` along ``sys.path`` (importlib.metadata's order)."""
    prefix, suffix = f"{name}-", ".dist-info"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for found in names:
            if found.startswith(prefix) and found.endswith(suffix):
                version = found[len(prefix) : -len(suffix)]
                if "-" not in version:  # not ``spacy-legacy-...``
                    return version
    return None


def label_inputs(project: LoadedProject) -> list[LabelInput]:
    """The labels as the fingerprint records them (name and previous names), in the manifest's order."""
    return [{"name": label.name, "renamed_from": label.renamed_from} for label in project.manifest.spec.labels]


def training_inputs(project: LoadedProject) -> dict[str, object]:
    """The manifest fields that change a trained model (and nothing else: descriptions, gates, deployments don't)."""
    manifest = project.manifest
    spec = manifest.spec
    inputs: dict[str, object] = {
        "kind": manifest.kind,
        "language": manifest.metadata.language,
        "labels": label_inputs(project),
        "split": spec.split.model_dump(mode="json"),
        "training": spec.training.model_dump(mode="json"),
        "multilabel": spec.multilabel,
        "split_version": split_module.effective_version(spec.split.policy, spec.split.version),
        "dev_carve_version": split_module.DEV_CARVE_VERSION,
        "content_version": CONTENT_VERSION,
    }
    if spec.overlapping:  # another model (a span categorizer); absent when off, so flat fingerprints stay
        inputs["overlapping"] = True
    if spec.training.base is not None:
        # Upgrading the base package changes the starting weights: the model must retrain.
        inputs["base_version"] = installed_version(spec.training.base) or "missing"
    if spec.training.pretrain is not None:
        # The raw text pretrained on shapes the starting weights. Per source for `plan`'s reasons only: the
        # combined digest is what the fingerprint hashes.
        inputs["pretrain_data"] = raw_text_digest(project)
        inputs["pretrain_sources"] = raw_text_source_digests(project)
    if spec.training.config is not None:
        # The expert config's content trains the model, not its path.
        config = project.dir / spec.training.config
        inputs["training_config_sha256"] = sha256_file(config) if config.is_file() else "missing"
    return inputs


def model_fingerprint(
    project: LoadedProject, data_fp: DataFingerprint | str, version_info: dict[str, str] | None = None
) -> str:
    data_sha = data_fp.sha256 if isinstance(data_fp, DataFingerprint) else data_fp
    inputs = training_inputs(project)
    # The split and dev-carve versions are shown by plan; what they decide (the assignment) is hashed instead,
    # inside the data digest and ``dev``: a version bump retrains only projects whose assignment changed.
    # Per-source pretraining digests are for plan's reasons; ``pretrain_data`` already covers them.
    for key in ("split_version", "dev_carve_version", "pretrain_sources"):
        inputs.pop(key, None)
    payload = {
        "inputs": inputs,
        "data": data_sha,
        "dev": data_fp.dev if isinstance(data_fp, DataFingerprint) else "",
        "training_recipe": TRAINING_RECIPE,
        "versions": version_info if version_info is not None else versions(),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def installed_version(package: str) -> str | None:
    """The installed distribution version of a pipeline package, without importing it or spaCy (for fingerprints)."""
    from importlib import metadata

    for name in (package, package.replace("_", "-")):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def source_indices(project: LoadedProject) -> list[int]:
    """Indices of the data sources pretraining reads."""
    pretrain = project.manifest.spec.training.pretrain
    wanted = None if pretrain is None or pretrain.sources is None else set(pretrain.sources)
    return [
        i
        for i, source in enumerate(project.manifest.spec.data)
        if source.unlabeled and (wanted is None or source.name in wanted)
    ]


def raw_text_digest(project: LoadedProject) -> str:
    """sha256 over the raw-text sources' files (names, paths and contents; URL sources by their pin)."""
    digest = hashlib.sha256()
    for line in _source_lines(project).values():
        digest.update(line.encode())
    return digest.hexdigest()


def raw_text_source_digests(project: LoadedProject) -> dict[str, str]:
    """Each raw-text source's own digest, so that `plan` can name the sources whose text changed."""
    return {name: hashlib.sha256(line.encode()).hexdigest()[:16] for name, line in _source_lines(project).items()}


def _source_lines(project: LoadedProject) -> dict[str, str]:
    cache = StatCache(None)
    prefix = str(project.dir.resolve()) + os.sep
    lines = {}
    for index in source_indices(project):
        source = project.manifest.spec.data[index]
        if source.path is None:
            lines[source.name] = f"{source.name}\0url\0{source.sha256}\n"
            continue
        root = project.dir.resolve() / source.path
        source_digest = source_fingerprint(source.format, root, prefix, cache)[1] if root.exists() else "missing"
        lines[source.name] = f"{source.name}\0{source.format}\0{source.encoding}\0{source_digest}\n"
    return lines


def recorded_training_inputs(manifest: Mapping[str, object]) -> dict[str, object]:
    """What plan compares (``training_inputs``), from an artifact's validated ``manifest.json``; empty for a
    manifest of an older layout (plan then explains less, nothing else depends on it)."""
    if not manifest:
        return {}
    try:
        from pathlib import Path

        from nerspec.manifest.load import LoadedProject
        from nerspec.manifest.schema import PROJECT_MODELS, TextClassificationProject
        from nerspec.manifest.yamlpos import Positions

        model = PROJECT_MODELS.get(str(manifest.get("kind")), TextClassificationProject)
        project = LoadedProject(model.model_validate(manifest), Path("nerspec.yaml"), Positions())
        return training_inputs(project)
    except Exception:
        return {}
