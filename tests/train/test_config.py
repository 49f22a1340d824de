"""The generated and the expert spaCy configs (no training: fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.errors import TrainingError
from nerspec.train import config as cfg

from .conftest import load_all


def test_ner_default_config_follows_manifest(make_project):
    root = make_project(training={"seed": 7, "max_steps": 123, "dropout": 0.25, "batch_size": 500, "patience": 9})
    project, _, _ = load_all(root)
    config = cfg.project_config(project)
    assert config["nlp"]["lang"] == "en"
    assert config["nlp"]["pipeline"] == ["tok2vec", "ner"]
    assert config["components"]["tok2vec"]["model"]["embed"]["include_static_vectors"] is False
    # The NER default stays spaCy's efficiency config (the textcat change does not touch it).
    assert config["components"]["tok2vec"]["model"]["embed"]["width"] == 96
    assert config["components"]["ner"]["model"]["@architectures"] == "spacy.TransitionBasedParser.v2"
    training = config["training"]
    assert (training["seed"], training["max_steps"], training["dropout"], training["patience"]) == (7, 123, 0.25, 9)
    assert training["eval_frequency"] == 10
    assert training["batcher"]["size"]["stop"] == 500
    assert config["corpora"]["train"]["@readers"] == "spacy.Corpus.v1"
    memory = cfg.with_memory_corpus(config, "k")
    assert memory["corpora"]["train"] == {"@readers": cfg.MEMORY_READER, "key": "k", "split": "train"}
    assert config["corpora"]["train"]["@readers"] == "spacy.Corpus.v1"  # the original is untouched
    # The text form parses back (it is what `python -m spacy train` reads in the benchmark).
    from thinc.api import Config

    assert Config().from_str(config.to_str())["training"]["max_steps"] == 123


@pytest.mark.parametrize("multilabel,factory,exclusive", [(False, "textcat", True), (True, "textcat_multilabel", False)])
def test_textcat_default_config(make_project, multilabel, factory, exclusive):
    project, _, _ = load_all(make_project("TextClassificationProject", multilabel=multilabel))
    config = cfg.project_config(project)
    assert config["nlp"]["pipeline"] == [factory]
    model = config["components"][factory]["model"]
    # A linear model over normalised word 1-3-grams (TF-IDF + logistic regression's recipe, trained by spaCy).
    assert model["@architectures"] == "nerspec.TextCatBOWNormalized.v1"
    assert model["exclusive_classes"] is exclusive
    assert model["ngram_size"] == 3
    assert config["initialize"]["components"][factory]["labels"] == ["finance", "food", "sports", "weather"]


def test_language_mapping(make_project, tmp_path):
    import yaml

    root = make_project()
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text())
    manifest["metadata"]["language"] = "en-us"
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest))
    project, _, _ = load_all(root)
    assert cfg.spacy_lang(project) == "en"
    manifest["metadata"]["language"] = "qq"
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest))
    project, _, _ = load_all(root)
    with pytest.raises(TrainingError, match="no language `qq`"):
        cfg.spacy_lang(project)
    manifest["metadata"]["multilingual"] = True
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest))
    project, _, _ = load_all(root)
    assert cfg.spacy_lang(project) == "xx"


def _expert(make_project, text: str) -> object:
    root = make_project(training={"config": "expert.cfg"}, extra_files={"expert.cfg": text})
    project, _, _ = load_all(root)
    return project


def test_expert_config_errors_are_named(make_project):
    # Loading the manifest already rejects a missing file; training still names it when the file goes
    # away between loading and training.
    project = _expert(make_project, "")
    (project.dir / "expert.cfg").unlink()  # type: ignore[attr-defined]
    with pytest.raises(TrainingError, match=r"training.config `expert.cfg`: no such file"):
        cfg.project_config(project)
    with pytest.raises(TrainingError, match=r"training.config `expert.cfg`: not a valid spaCy config"):
        cfg.project_config(_expert(make_project, "[nlp\nlang = en"))
    wrong = '[nlp]\nlang = "en"\npipeline = ["textcat"]\n\n[components]\n\n[components.textcat]\nfactory = "textcat"\n\n[training]\n'
    with pytest.raises(TrainingError, match=r"no component with factory ner or beam_ner"):
        cfg.project_config(_expert(make_project, wrong))
    german = '[nlp]\nlang = "de"\npipeline = ["ner"]\n\n[components]\n\n[components.ner]\nfactory = "ner"\n\n[training]\n'
    with pytest.raises(TrainingError, match=r'lang is "de"'):
        cfg.project_config(_expert(make_project, german))


def test_expert_config_keeps_its_values_unless_manifest_sets_them(make_project, tmp_path: Path):
    base_root = make_project()
    project, _, _ = load_all(base_root)
    text = cfg.default_config(project)
    text["training"]["dropout"] = 0.33
    text["training"]["max_steps"] = 999
    root = make_project(training={"config": "expert.cfg", "max_steps": 12}, extra_files={"expert.cfg": text.to_str()})
    expert_project, _, _ = load_all(root)
    config = cfg.project_config(expert_project)
    assert config["training"]["dropout"] == 0.33  # not set in the manifest: the expert's value
    assert config["training"]["max_steps"] == 12  # set explicitly in the manifest


def test_portable_config_has_no_nerspec_functions(make_project):
    project, _, _ = load_all(make_project())
    config = cfg.portable_config(cfg.with_memory_corpus(cfg.project_config(project), "k"))
    text = config.to_str()
    assert "nerspec." not in text


def test_schedule_scales_with_the_data_and_the_manifest_overrides_it(make_project):
    from nerspec.train.schedule import DataSize, schedule_for

    small, large = schedule_for("NERProject", DataSize(100, 3_000)), schedule_for("NERProject", DataSize(5_000, 600_000))
    assert small.max_steps < large.max_steps and small.eval_frequency <= large.eval_frequency
    assert small.batch_words < large.batch_words  # small data: an epoch still has several updates
    project, _, _ = load_all(make_project(training={"max_steps": None, "patience": None, "eval_frequency": None}))
    config = cfg.project_config(project, DataSize(5_000, 600_000))["training"]
    assert (config["max_steps"], config["patience"], config["eval_frequency"]) == (
        large.max_steps, large.patience, large.eval_frequency)
    project, _, _ = load_all(make_project(training={"max_steps": 77, "patience": 0}))
    config = cfg.project_config(project, DataSize(5_000, 600_000))["training"]
    assert (config["max_steps"], config["patience"]) == (77, 0)


def test_ner_trains_its_whole_budget_and_ends_on_an_evaluation():
    from nerspec.train.schedule import DataSize, schedule_for

    for size in (DataSize(100, 3_000), DataSize(1_700, 34_000), DataSize(5_000, 600_000), DataSize(10**6, 10**8)):
        schedule = schedule_for("NERProject", size)
        assert schedule.patience == 0  # no early stopping: the last weights are kept (docs/defaults.md)
        assert schedule.max_steps % schedule.eval_frequency == 0  # so the kept weights have a dev score
        assert schedule.max_steps <= 20_000
    assert schedule_for("TextClassificationProject", DataSize(1_700, 600_000)).patience > 0


def test_multi_label_classification_trains_on_smaller_batches():
    """Independent sigmoids need more, smaller updates than a softmax (BBC News, docs/defaults.md)."""
    from nerspec.kinds.textcat import MULTILABEL_BATCH_WORDS
    from nerspec.train.schedule import DataSize, schedule_for

    size = DataSize(1_750, 660_000)
    single = schedule_for("TextClassificationProject", size)
    multi = schedule_for("TextClassificationProject", size, multilabel=True)
    assert multi.batch_words == MULTILABEL_BATCH_WORDS < single.batch_words
    assert multi.max_steps > single.max_steps  # smaller batches: more steps (3 epochs against 5)
    # No early stopping on spaCy's dev F1 at raw 0.5 (it cannot move; issue 27): the budget, last weights kept.
    assert multi.patience == 0 and single.patience > 0
    assert schedule_for("NERProject", size, multilabel=True) == schedule_for("NERProject", size)


def test_normalised_bag_of_ngrams_is_length_invariant():
    import spacy

    from nerspec.train.architectures import normalized_ngrams

    nlp = spacy.blank("en")
    layer = normalized_ngrams(2)
    (keys, values, lengths), _ = layer([nlp("Rain in Oslo"), nlp("rain in oslo " * 50), nlp("")], False)
    # Lower-cased unigrams and bigrams; the repeated text adds one bigram ("oslo rain").
    assert [int(n) for n in lengths] == [5, 6, 0]
    first, second = values[:5], values[5:11]
    assert abs(float((first * first).sum()) - 1.0) < 1e-5 and abs(float((second * second).sum()) - 1.0) < 1e-5
