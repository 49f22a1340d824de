"""Real spaCy training on tiny projects (a few seconds each)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nerspec.errors import TrainingError
from nerspec.train import Progress, train

from .conftest import load_all

pytestmark = pytest.mark.slow


def _visible(models: Path) -> list[str]:
    return sorted(os.listdir(models)) if models.exists() else []


def test_ner_artifact_contents_and_progress(make_project, state):
    project, corpus, split = load_all(make_project())
    seen: list[Progress] = []
    artifact = train(project, corpus, split, paths=state, progress=seen.append)

    assert artifact.path == state.models / artifact.fingerprint
    assert _visible(state.models) == [artifact.fingerprint]  # no staging leftovers
    assert sorted(os.listdir(artifact.path)) == sorted(
        ["model", "meta.json", "manifest.json", "fingerprints.json", "metrics.json", "vocabulary.json"]
    )
    meta = json.loads((artifact.path / "meta.json").read_text())
    assert meta == artifact.meta.to_json()  # what training returned is what it wrote
    for key in ("fingerprint", "project", "kind", "labels", "language", "multilabel", "threshold", "created",
                "training_seconds", "versions", "data_fingerprint", "seed"):
        assert key in meta, key
    assert meta["kind"] == "NERProject" and meta["labels"] == ["PERSON", "CITY"]
    assert set(meta["versions"]) == {"nerspec", "spacy", "python"}
    from nerspec.fingerprints.data import data_fingerprint
    from nerspec.fingerprints.model import model_fingerprint

    assert artifact.fingerprint == model_fingerprint(project, data_fingerprint(project, None))
    manifest = json.loads((artifact.path / "manifest.json").read_text())
    assert manifest == project.manifest.model_dump(mode="json")
    fingerprints = json.loads((artifact.path / "fingerprints.json").read_text())
    assert set(fingerprints["documents"]) == {d.id for d in corpus}
    assert fingerprints["data"]["sha256"] == meta["data_fingerprint"]
    metrics = json.loads((artifact.path / "metrics.json").read_text())
    assert 0.0 <= metrics["score"] <= 1.0 and "ents_f" in metrics["dev"]
    assert metrics["dev_documents"] > 0 and metrics["dev_documents"] + metrics["train_documents"] == len(split.train)

    # Progress: every step, increasing, with an ETA; the dev score at the evaluation steps.
    steps = [p.step for p in seen]
    assert steps == list(range(len(steps))) and steps[-1] == 40
    assert all(p.eta is not None and p.eta >= 0 for p in seen)
    assert [p.step for p in seen if p.evaluated] == [0, 10, 20, 30, 40]

    # The pipeline loads with plain spaCy in any process (no nerspec registrations in its config).
    import spacy

    nlp = spacy.load(artifact.pipeline_dir)
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert "nerspec." not in (artifact.pipeline_dir / "config.cfg").read_text()


def test_same_seed_same_data_same_scores(make_project, tmp_path):
    root = make_project(training={"max_steps": 20, "eval_frequency": 5})
    project, corpus, split = load_all(root)
    from nerspec.paths import StatePaths

    first = train(project, corpus, split, paths=StatePaths(tmp_path / "s1"))
    second = train(project, corpus, split, paths=StatePaths(tmp_path / "s2"))
    assert first.fingerprint == second.fingerprint
    m1, m2 = first.metrics, second.metrics
    assert m1["checkpoints"] == m2["checkpoints"]
    assert m1["dev"] == m2["dev"]


@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt])
def test_failure_mid_training_leaves_no_artifact(make_project, state, exc_type):
    project, corpus, split = load_all(make_project())

    def explode(p: Progress) -> None:
        if p.step == 12:  # after the first checkpoints were saved into the staging directory
            raise exc_type("boom")

    with pytest.raises(exc_type):
        train(project, corpus, split, paths=state, progress=explode)
    assert _visible(state.models) == []


@pytest.mark.parametrize("multilabel", [False, True])
def test_textcat_end_to_end(make_project, state, multilabel):
    # 60 steps: the default ensemble's tok2vec branch needs more updates than a bag of words did (at 30
    # steps the multilabel model still ranked finance above sports; 50 was the least that passed).
    root = make_project("TextClassificationProject", n=80, multilabel=multilabel,
                        training={"max_steps": 60, "eval_frequency": 10})
    project, corpus, split = load_all(root)
    artifact = train(project, corpus, split, paths=state)
    assert artifact.meta.multilabel is multilabel
    assert artifact.metrics["score"] > 0.5

    from nerspec.predict import load

    predictor = load(artifact.path)
    assert predictor.result_key == "classes"
    texts = ["The coach said the team scored a late goal in the match.",
             "Investors sold shares as the stock market price fell at the bank."]
    first, second = predictor.predict(texts)
    assert first[0].category == "sports" and second[0].category == "finance"
    for result in (first, second):
        assert all(0.0 <= c.confidence <= 1.0 for c in result)
        if not multilabel:
            assert len(result) == 1
        else:
            assert all(c.confidence >= predictor.threshold for c in result)


def test_single_label_document_without_class_is_a_training_error(make_project, state):
    root = make_project("TextClassificationProject", n=40)
    data = root / "data.jsonl"
    lines = data.read_text().splitlines()
    record = json.loads(lines[0])
    record["labels"] = []
    data.write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    project, corpus, split = load_all(root)
    split.train.insert(0, next(d for d in corpus if d.id == record["id"]))
    with pytest.raises(TrainingError, match=f"document `{record['id']}`"):
        train(project, corpus, split, paths=state)
    assert _visible(state.models) == []


def test_expert_config_trains(make_project, state):
    from nerspec.train import config as cfg

    base, _, _ = load_all(make_project())
    expert = cfg.default_config(base)
    expert["components"]["ner"]["model"]["hidden_width"] = 32
    root = make_project(training={"config": "expert.cfg", "max_steps": 10, "eval_frequency": 5},
                        extra_files={"expert.cfg": expert.to_str()})
    project, corpus, split = load_all(root)
    artifact = train(project, corpus, split, paths=state)
    saved = (artifact.pipeline_dir / "config.cfg").read_text()
    assert "hidden_width = 32" in saved and artifact.meta.expert_config == "expert.cfg"
    assert artifact.metrics["steps"] == 11


def test_output_dir_replaces_the_store(make_project, state, tmp_path):
    root = make_project(training={"max_steps": 5, "eval_frequency": 5})
    project, corpus, split = load_all(root)
    artifact = train(project, corpus, split, paths=state, output_dir=tmp_path / "out")
    assert artifact.path.parent == tmp_path / "out" and not state.models.exists()


def test_train_command_refuses_data_errors(make_project, state):
    from click.testing import CliRunner

    from nerspec.cli import cli

    root = make_project("NERProject", n=30)
    data = root / "data.jsonl"
    lines = data.read_text().splitlines()
    record = json.loads(lines[2])
    record["spans"].append({"start": 5, "end": len(record["text"]) + 10, "label": "CITY"})  # past the end
    data.write_text("\n".join([lines[0], lines[1], json.dumps(record), *lines[3:]]) + "\n")
    result = CliRunner().invoke(cli, ["train", str(root), "--state", str(state.root)])
    assert result.exit_code == 1, result.output
    assert record["id"] in result.output and "outside" in result.output
    assert _visible(state.models) == []


def test_without_early_stopping_the_last_weights_are_kept_and_with_it_the_best(make_project, state):
    for patience, kept in ((0, "last"), (1000, "best")):
        training = {"max_steps": 40, "eval_frequency": 10, "patience": patience, "dropout": 0.5}
        project, corpus, split = load_all(make_project(training=training))
        artifact = train(project, corpus, split, paths=state)
        metrics = json.loads((artifact.path / "metrics.json").read_text())
        checkpoints = [(c["score"], c["step"]) for c in metrics["checkpoints"]]
        assert [step for _, step in checkpoints] == [0, 10, 20, 30, 40]
        # spaCy saves model-best on ties too, so the best is the latest of the highest scores.
        want = checkpoints[-1] if kept == "last" else max(checkpoints)
        assert (metrics["score"], metrics["best_step"]) == want, kept
