"""``training.pretrain``: spaCy pretraining of the ``tok2vec`` on the project's own raw text, before training.

The raw text is every data source declared ``unlabeled: true`` (the pools of the labeling loop), or the ones
``training.pretrain.sources`` names. spaCy's pretraining (``spacy.training.pretrain``, the characters objective:
predict each word's first and last 4 characters from its context) writes tok2vec weights; training then starts
from them (``[initialize] init_tok2vec``). Those weights are cached under ``<state>/cache/pretrain/<key>/``,
keyed by a hash of the raw text files, the pretraining settings, the tok2vec architecture, the language, the seed
and the spaCy version: the same inputs never pretrain twice, like models never train twice. Text
classification, whose default has no tok2vec, gets one (``ProjectKind.listening``) when pretraining is on.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.errors import TrainingError
from nerspec.fingerprints.model import raw_text_digest, source_indices

if TYPE_CHECKING:
    from thinc.api import Config

    from nerspec.kinds.base import ConfigBlock
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths

WEIGHTS = "tok2vec.bin"
PRETRAIN_RECIPE = 1  # bump when the pretraining section below changes


def raw_texts(project: LoadedProject, cache_dir: Path | None = None) -> list[str]:
    from nerspec.corpus.load import load_source

    texts = [doc.text for index in source_indices(project) for doc in load_source(project, index, cache_dir)]
    texts = [text for text in texts if text.strip()]
    if not texts:
        raise TrainingError(f"project `{project.name}`: the unlabeled sources to pretrain on have no text")
    return texts


def pretraining_section(epochs: int) -> ConfigBlock:
    """spaCy's default ``[pretraining]`` (characters objective), on the tok2vec component."""
    return {
        "max_epochs": epochs,
        "dropout": 0.2,
        "n_save_every": None,
        "n_save_epoch": None,
        "component": "tok2vec",
        "layer": "",
        "corpus": "corpora.pretrain",
        "batcher": {"@batchers": "spacy.batch_by_words.v1", "size": 3000, "discard_oversize": False,
                    "tolerance": 0.2, "get_length": None},
        "objective": {"@architectures": "spacy.PretrainCharacters.v1", "maxout_pieces": 3, "hidden_size": 300,
                      "n_characters": 4},
        "optimizer": {"@optimizers": "Adam.v1", "beta1": 0.9, "beta2": 0.999, "L2_is_weight_decay": True,
                      "L2": 0.01, "grad_clip": 1.0, "use_averages": True, "eps": 1e-8, "learn_rate": 0.001},
    }


def cache_key(project: LoadedProject, config: Config) -> str:
    from nerspec.fingerprints.model import versions

    pretrain = project.manifest.spec.training.pretrain
    assert pretrain is not None
    payload = {
        "recipe": PRETRAIN_RECIPE,
        "data": raw_text_digest(project),
        "settings": pretrain.model_dump(mode="json"),
        "tok2vec": config["components"]["tok2vec"],
        "lang": config["nlp"]["lang"],
        "seed": project.manifest.spec.training.seed,
        "spacy": versions()["spacy"],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def pretrained_weights(project: LoadedProject, config: Config, paths: StatePaths) -> Path:
    """The tok2vec weights pretrained for ``config`` on the project's raw text (computed once per content)."""
    from thinc.api import Config as ThincConfig

    from nerspec.atomic import staged_dir

    final = paths.cache / "pretrain" / cache_key(project, config)
    if (final / WEIGHTS).is_file():
        return final / WEIGHTS
    texts = raw_texts(project, paths.cache)
    from spacy.training.pretrain import pretrain

    with staged_dir(final) as staged:
        work = staged / "_work"
        work.mkdir()
        corpus = work / "raw.jsonl"
        corpus.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
        run = ThincConfig(config)
        run["corpora"] = dict(run["corpora"])
        run["corpora"]["pretrain"] = {"@readers": "spacy.JsonlCorpus.v1", "path": str(corpus), "min_length": 0,
                                      "max_length": 0, "limit": 0}
        run["pretraining"] = pretraining_section(project.manifest.spec.training.pretrain.epochs)  # type: ignore[union-attr]
        try:
            pretrain(run, work, silent=True)
        except (ValueError, KeyError, TypeError) as exc:
            raise TrainingError(f"pretraining failed: {exc}") from None
        shutil.move(str(work / "model-last.bin"), str(staged / WEIGHTS))
        shutil.rmtree(work)
    return final / WEIGHTS
