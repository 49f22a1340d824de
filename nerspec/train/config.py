"""The spaCy training config of a project: generated from the manifest, or an expert's file checked and adapted.

The corpus is handed to spaCy in memory: ``[corpora.train]`` and ``[corpora.dev]`` name the reader
``nerspec.MemoryCorpus.v1`` with a session key, and the reader yields ``Example``s built from the
already-loaded documents. spaCy's own ``Corpus`` reader deserializes DocBin files and tokenizes
each text into the same kind of ``Example``; reading from memory skips writing and reading those files,
so ``nerspec train`` does no more work than ``python -m spacy train`` on the same config (the
benchmark ``bench/train_overhead.py`` measures it). Saved pipelines get spaCy's standard reader and
logger back (``portable_config``), so ``spacy.load`` works on them in any process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.model import Document
from nerspec.errors import TrainingError
from nerspec.kinds import ProjectKind, project_kind
from nerspec.train.memory import MEMORY_READER, PROGRESS_LOGGER
from nerspec.train.schedule import BATCH_COMPOUND, DataSize, schedule_for

if TYPE_CHECKING:
    from thinc.api import Config

    from nerspec.kinds.base import ConfigBlock
    from nerspec.manifest.load import LoadedProject
    from nerspec.manifest.schema import Training
    from nerspec.train.schedule import Schedule

# Manifest `training:` field -> its place in spaCy's `[training]` section (expert configs keep their own
# values unless the manifest sets the field explicitly).
_TRAINING_FIELDS = {
    "seed": ("seed",),
    "max_steps": ("max_steps",),
    "patience": ("patience",),
    "eval_frequency": ("eval_frequency",),
    "dropout": ("dropout",),
    "batch_size": ("batcher", "size", "stop"),
}


def spacy_lang(project: LoadedProject) -> str:
    """The spaCy language code of the project: ``en-us`` -> ``en``; multilingual projects use ``xx``."""
    metadata = project.manifest.metadata
    if metadata.multilingual:
        return "xx"
    code = metadata.language.lower().replace("_", "-").split("-")[0]
    from spacy.util import get_lang_class

    try:
        get_lang_class(code)
    except Exception:
        raise TrainingError(
            f"spaCy has no language `{code}` (metadata.language `{metadata.language}`); set "
            "`metadata.multilingual: true` for the language-neutral tokenizer, or give `training.config`"
        ) from None
    return code


def labels_of(project: LoadedProject) -> list[str]:
    return [label.name for label in project.manifest.spec.labels]


def multilabel_of(project: LoadedProject) -> bool:
    return bool(getattr(project.manifest.spec, "multilabel", False))


def memory_corpora(key: str) -> ConfigBlock:
    return {
        "train": {"@readers": MEMORY_READER, "key": key, "split": "train"},
        "dev": {"@readers": MEMORY_READER, "key": key, "split": "dev"},
    }


def file_corpora(train: str | Path | None = None, dev: str | Path | None = None) -> ConfigBlock:
    """spaCy's DocBin reader (for ``python -m spacy train`` and for saved pipelines)."""

    def reader(path: str | Path | None) -> ConfigBlock:
        return {
            "@readers": "spacy.Corpus.v1",
            "path": None if path is None else str(path),
            "max_length": 0,
            "gold_preproc": False,
            "limit": 0,
            "augmenter": None,
        }

    return {"train": reader(train), "dev": reader(dev)}


CONSOLE_LOGGER = {"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": False}


def default_config(project: LoadedProject, size: DataSize | None = None) -> Config:
    """The generated config (CPU-efficient, no vectors) with the manifest's training settings; what the manifest
    leaves unset follows the schedule scaled to ``size``, the training data (``nerspec.train.schedule``)."""
    from thinc.api import Config

    impl = project_kind(project)
    training = project.manifest.spec.training
    labels, multilabel = labels_of(project), multilabel_of(project)
    longest_span = size.longest_span if size is not None else 0
    pipeline, components = impl.components(labels, multilabel, longest_span)
    data: ConfigBlock = {
        "paths": {"train": None, "dev": None, "vectors": None, "init_tok2vec": None},
        "system": {"gpu_allocator": None, "seed": training.seed},
        "nlp": {
            "lang": spacy_lang(project),
            "pipeline": pipeline,
            "batch_size": 1000,
            "disabled": [],
            "before_creation": None,
            "after_creation": None,
            "after_pipeline_creation": None,
            "tokenizer": {"@tokenizers": "spacy.Tokenizer.v1"},
            "vectors": {"@vectors": "spacy.Vectors.v1"},
        },
        "components": components,
        "corpora": file_corpora(),
        "training": _training_section(training, schedule_for(impl, size, multilabel)),
        "pretraining": {},
        "initialize": {
            "vectors": None,
            "init_tok2vec": None,
            "vocab_data": None,
            "lookups": None,
            "before_init": None,
            "after_init": None,
            "tokenizer": {},
            "components": impl.initialize(labels, multilabel),
        },
    }
    config = Config(data)
    if training.pretrain is not None:
        _with_own_tok2vec(config, impl, labels, multilabel)
    if training.base is not None:
        from nerspec.train.base import apply_base

        apply_base(config, project, longest_span)
    return config


def _training_section(training: Training, plan: Schedule) -> ConfigBlock:
    """spaCy's ``[training]``: the manifest's settings, else the schedule ``plan`` scaled to the data."""
    batch = training.batch_size or plan.batch_words
    return {
        "dev_corpus": "corpora.dev",
        "train_corpus": "corpora.train",
        "seed": training.seed,
        "gpu_allocator": None,
        "dropout": training.dropout,
        "accumulate_gradient": 1,
        "patience": training.patience if training.patience is not None else plan.patience,
        "max_epochs": 0,
        "max_steps": training.max_steps or plan.max_steps,
        "eval_frequency": training.eval_frequency or plan.eval_frequency,
        "frozen_components": [],
        "annotating_components": [],
        "before_to_disk": None,
        "before_update": None,
        "optimizer": {
            "@optimizers": "Adam.v1",
            "beta1": 0.9,
            "beta2": 0.999,
            "L2_is_weight_decay": True,
            "L2": 0.01,
            "grad_clip": 1.0,
            "use_averages": True,
            "eps": 1e-8,
            "learn_rate": plan.learn_rate,
        },
        "batcher": {
            "@batchers": "spacy.batch_by_words.v1",
            "discard_oversize": False,
            "tolerance": 0.2,
            "get_length": None,
            "size": {"@schedules": "compounding.v1", "start": min(plan.batch_start, batch), "stop": batch,
                     "compound": BATCH_COMPOUND, "t": 0.0},
        },
        "logger": dict(CONSOLE_LOGGER),
        "score_weights": {},
    }


# Width of the tok2vec a text classifier gets when it pretrains (NER's default already has one).
PRETRAIN_TOK2VEC_WIDTH = 96


def _with_own_tok2vec(config: Config, impl: ProjectKind, labels: list[str], multilabel: bool) -> None:
    """Give the pipeline a shared ``tok2vec`` component (what pretraining initialises) if it has none."""
    if "tok2vec" in config["components"]:
        return
    from nerspec.kinds.pipeline import tok2vec_block

    trained, listening = impl.listening(labels, multilabel, PRETRAIN_TOK2VEC_WIDTH)
    config["nlp"]["pipeline"] = ["tok2vec", *trained]
    config["components"] = {
        "tok2vec": {"factory": "tok2vec", "model": tok2vec_block(PRETRAIN_TOK2VEC_WIDTH, depth=4)},
        **listening,
    }


def with_init_tok2vec(config: Config, weights: Path) -> Config:
    """A copy of ``config`` whose tok2vec starts from pretrained ``weights`` (spaCy's ``init_tok2vec``)."""
    from thinc.api import Config

    from nerspec.train.pretrain import pretraining_section

    out = Config(config)
    out["paths"] = {**out["paths"], "init_tok2vec": str(weights)}
    out["initialize"] = {**out["initialize"], "init_tok2vec": str(weights)}
    out["pretraining"] = pretraining_section(1)
    return out


def expert_config(project: LoadedProject) -> Config:
    """The project's ``training.config`` file, checked against the manifest; errors name the file."""
    from thinc.api import Config

    training = project.manifest.spec.training
    assert training.config is not None
    path = (project.dir / training.config).resolve()
    shown = f"training.config `{training.config}`"
    if not path.is_file():
        raise TrainingError(f"{shown}: no such file ({path})")
    try:
        config = Config().from_disk(path, interpolate=False)
    except Exception as exc:
        raise TrainingError(f"{shown}: not a valid spaCy config: {exc}") from None
    impl = project_kind(project)
    labels, multilabel = labels_of(project), multilabel_of(project)
    problems, trained = _expert_problems(config, project, impl, multilabel)
    if problems:
        raise TrainingError(f"{shown}: " + "; ".join(problems))
    config.setdefault("paths", {})
    config.setdefault("initialize", {}).setdefault("components", {})
    factories = impl.factories(multilabel)
    for name, settings in impl.initialize(labels, multilabel).items():
        for component in trained if name in factories else [name]:
            config["initialize"]["components"].setdefault(component, dict(settings))
    _with_manifest_training(config, training)
    return config


def _expert_problems(config: Config, project: LoadedProject, impl: ProjectKind, multilabel: bool) -> tuple[list[str], list[str]]:
    """What an expert config lacks for this project, and the pipeline components the kind trains."""
    problems: list[str] = []
    nlp_section = config.get("nlp")
    if not isinstance(nlp_section, dict) or not isinstance(nlp_section.get("pipeline"), list):
        problems.append("missing [nlp] pipeline")
        pipeline: list[str] = []
    else:
        pipeline = nlp_section["pipeline"]
        lang = nlp_section.get("lang")
        want = spacy_lang(project)
        if lang != want:
            problems.append(f"[nlp] lang is {json.dumps(lang)} but the manifest's language means \"{want}\"")
    components = config.get("components") or {}
    factories = impl.factories(multilabel)
    trained = [name for name in pipeline if (components.get(name) or {}).get("factory") in factories]
    if not trained:
        problems.append(
            f"the pipeline {pipeline} has no component with factory {' or '.join(factories)} "
            f"(needed for a {project.kind}{' with multilabel: true' if multilabel else ''})"
        )
    for name in pipeline:
        if name not in components:
            problems.append(f"pipeline component `{name}` has no [components.{name}] section")
    if not isinstance(config.get("training"), dict):
        problems.append("missing [training] section")
    return problems, trained


def _with_manifest_training(config: Config, training: Training) -> None:
    """Only what the manifest states explicitly overrides the expert's file."""
    explicit = training.model_fields_set
    for manifest_field, where in _TRAINING_FIELDS.items():
        if manifest_field in explicit and getattr(training, manifest_field) is not None:
            section = config["training"]
            for part in where[:-1]:
                section = section.setdefault(part, {})
            section[where[-1]] = getattr(training, manifest_field)
    if "seed" in explicit:
        config.setdefault("system", {})["seed"] = training.seed
    config["training"]["seed"] = config["training"].get("seed", training.seed)
    config["training"].setdefault("gpu_allocator", None)
    config["training"]["train_corpus"] = "corpora.train"
    config["training"]["dev_corpus"] = "corpora.dev"


def project_config(project: LoadedProject, size: DataSize | None = None) -> Config:
    """The config that trains the project (generated or expert), reading spaCy's DocBin files by default;
    ``size`` (the training documents) scales the default schedule."""
    if project.manifest.spec.training.config is not None:
        config = expert_config(project)
    else:
        config = default_config(project, size)
    config["corpora"] = file_corpora()
    return config


def with_memory_corpus(config: Config, key: str) -> Config:
    """A copy of ``config`` that reads the session's documents from memory and reports progress to it."""
    from thinc.api import Config

    out = Config(config)
    out["corpora"] = memory_corpora(key)
    out["training"] = dict(out["training"])
    out["training"]["logger"] = {"@loggers": PROGRESS_LOGGER, "key": key}
    return out


def with_file_corpus(config: Config, train: str | Path, dev: str | Path) -> Config:
    from thinc.api import Config

    out = Config(config)
    out["corpora"] = file_corpora(train, dev)
    return out


def portable_config(config: Config) -> Config:
    """The config with spaCy's standard reader and logger: what a saved pipeline must carry."""
    from thinc.api import Config

    out = Config(config)
    out["corpora"] = file_corpora("${paths.train}", "${paths.dev}")
    out.setdefault("paths", {})
    out["paths"].setdefault("train", None)
    out["paths"].setdefault("dev", None)
    training = dict(out.get("training") or {})
    if (training.get("logger") or {}).get("@loggers") == PROGRESS_LOGGER:
        training["logger"] = dict(CONSOLE_LOGGER)
    out["training"] = training
    return out


def write_reference_docbin(
    project: LoadedProject, documents: Sequence[Document], path: Path, lang: str | None = None
) -> int:
    """Documents as a spaCy DocBin (the files ``python -m spacy train`` reads); returns how many were written."""
    import spacy
    from spacy.tokens import DocBin

    impl = project_kind(project)
    nlp = spacy.blank(lang or spacy_lang(project))
    labels, multilabel = labels_of(project), multilabel_of(project)
    docbin = DocBin(store_user_data=False)
    for document in documents:
        docbin.add(impl.reference(nlp, document, labels, multilabel))
    path.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(path)
    return len(docbin)
