"""`training.pretrain`: spaCy pretraining on the project's unlabeled sources, cached by content hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nerspec.errors import ManifestError
from nerspec.fingerprints.model import training_inputs
from nerspec.manifest.load import load_projects
from nerspec.train import train
from tests.train.conftest import load_all, ner_records


def _with_pool(root: Path, texts: list[str], pretrain: dict | None = None) -> Path:
    (root / "raw.jsonl").write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text())
    manifest["spec"]["data"].append({"name": "pool", "format": "jsonl", "path": "raw.jsonl", "unlabeled": True})
    manifest["spec"]["training"]["pretrain"] = pretrain if pretrain is not None else {"epochs": 1}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


RAW = [r["text"] for r in ner_records(40, seed=5)]


def test_pretrains_once_and_starts_training_from_the_weights(make_project, state) -> None:
    import spacy

    root = _with_pool(make_project("NERProject", training={"max_steps": 10}), RAW)
    project, corpus, split = load_all(root)
    assert all(doc.source != "pool" for doc in corpus)  # raw text never trains as labeled data
    artifact = train(project, corpus, split, paths=state)
    [cached] = (state.cache / "pretrain").iterdir()
    weights = cached / "tok2vec.bin"
    assert weights.is_file()
    config = spacy.load(artifact.path / "model").config
    assert config["initialize"]["init_tok2vec"] == str(weights)
    # A training-only change retrains but does not pretrain again.
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text())
    manifest["spec"]["training"]["max_steps"] = 12
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    mtime = weights.stat().st_mtime_ns
    project, corpus, split = load_all(root)
    train(project, corpus, split, paths=state)
    assert [p.name for p in (state.cache / "pretrain").iterdir()] == [cached.name]
    assert weights.stat().st_mtime_ns == mtime


def test_textcat_gets_a_tok2vec_to_pretrain(make_project, state) -> None:
    import spacy

    root = _with_pool(make_project("TextClassificationProject", training={"max_steps": 10}), RAW)
    project, corpus, split = load_all(root)
    artifact = train(project, corpus, split, paths=state)
    assert spacy.load(artifact.path / "model").pipe_names == ["tok2vec", "textcat"]


def test_changing_the_raw_text_changes_the_model_fingerprint(make_project) -> None:
    root = _with_pool(make_project("NERProject"), RAW)
    before = training_inputs(load_all(root)[0])["pretrain_data"]
    (root / "raw.jsonl").write_text(json.dumps({"id": "x", "text": "Something else entirely."}) + "\n")
    assert training_inputs(load_all(root)[0])["pretrain_data"] != before


def test_pretrain_needs_an_unlabeled_source(make_project) -> None:
    root = make_project("NERProject", training={"pretrain": {"sources": ["main"]}})
    with pytest.raises(ManifestError) as info:
        load_projects([root])
    [problem] = info.value.problems
    assert problem.where == "spec.training.pretrain.sources[0]" and "`main` is not a data source with `unlabeled: true`" in problem.message


def test_pretrain_and_base_are_exclusive(make_project) -> None:
    root = _with_pool(make_project("NERProject", training={"base": "en_core_web_sm"}), RAW)
    with pytest.raises(ManifestError) as info:
        load_projects([root])
    assert any("`pretrain` and `base` both initialise the tok2vec" in p.message for p in info.value.problems)
