"""``nerspec evaluate PATH`` end to end: a real tiny model trained, then evaluated on its test split."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from nerspec.cli import cli

PEOPLE = ["Alice Smith", "Bob Jones", "Carla Diaz", "Deepak Rao", "Erin Walsh", "Farid Khan"]
CITIES = ["Paris", "Berlin", "Madrid", "Seattle", "Lagos", "Osaka"]
TEMPLATES = ["Yesterday {p} flew to {c}.", "{p} lives in {c}.", "We met {p} in {c}.", "In {c}, {p} opened a shop."]


def write_ner_project(root: Path, n: int = 50) -> Path:
    rng = random.Random(0)
    lines = []
    for i in range(n):
        p, c = rng.choice(PEOPLE), rng.choice(CITIES)
        text = rng.choice(TEMPLATES).format(p=p, c=c)
        spans = [{"start": text.index(v), "end": text.index(v) + len(v), "label": lab}
                 for v, lab in ((p, "PERSON"), (c, "CITY"))]
        lines.append(json.dumps({"id": f"d{i:03d}", "text": text, "spans": spans}))
    root.mkdir(parents=True)
    (root / "data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = {
        "apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": "tiny"},
        "spec": {"entities": [{"name": "PERSON"}, {"name": "CITY"}],
                 "data": [{"name": "main", "format": "jsonl", "path": "data.jsonl"}],
                 "split": {"policy": "random", "test_fraction": 0.3, "seed": 1},
                 "training": {"max_steps": 30, "eval_frequency": 10, "patience": 0}},
    }
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return root


@pytest.mark.slow
def test_train_then_evaluate(tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_projects
    from nerspec.paths import StatePaths
    from nerspec.train import train

    project_dir = write_ner_project(tmp_path / "proj")
    state = tmp_path / "state"
    (project,) = load_projects([project_dir])
    corpus = load_corpus(project)
    split = split_corpus(project, corpus)
    artifact = train(project, corpus, split, paths=StatePaths(state))
    runner = CliRunner()
    result = runner.invoke(cli, ["evaluate", str(project_dir), "--json", "--state", str(state), "--resamples", "100"])
    assert result.exit_code == 0, result.output
    evaluation = json.loads(result.output)
    assert evaluation["kind"] == "NERProject"
    assert evaluation["data"]["test"]["documents"] == len(split.test)
    assert evaluation["data"]["train"]["documents"] == len(split.train)
    assert len(evaluation["documents"]) == len(split.test)
    assert 0.0 <= evaluation["micro"]["f1"] <= 1.0
    explicit = runner.invoke(cli, ["evaluate", str(project_dir), "--model", str(artifact.path), "--json",
                                   "--state", str(state), "--resamples", "100"])
    assert explicit.exit_code == 0, explicit.output
    assert json.loads(explicit.output)["micro"] == evaluation["micro"]
    text = runner.invoke(cli, ["evaluate", str(project_dir), "--state", str(state), "--resamples", "100"])
    assert text.exit_code == 0 and "Per entity type" in text.output
    missing = runner.invoke(cli, ["evaluate", str(project_dir), "--state", str(tmp_path / "empty")])
    assert missing.exit_code == 1 and "no model trained" in missing.output
