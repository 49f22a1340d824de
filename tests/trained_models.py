"""Trained tiny models shared by the prediction tests (one training per session and kind)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

FIRST = ["Alice", "Bob", "Carla", "Deepak", "Erin", "Farid", "Grace", "Hugo", "Ines", "Jonas"]
LAST = ["Smith", "Jones", "Diaz", "Rao", "Walsh", "Khan", "Lee", "Martin", "Novak", "Okafor"]
CITIES = ["Paris", "Berlin", "Madrid", "Seattle", "Lagos", "Osaka", "Lima", "Oslo", "Quito", "Hanoi"]
TEMPLATES = [
    "Yesterday {p} flew to {c} for a meeting.",
    "{p} lives in {c} with two cats.",
    "We met {p} at the airport in {c}.",
    "The report from {c} was written by {p}.",
    "In {c}, {p} opened a small bakery.",
    "{p} said the weather in {c} was cold.",
]
# Unseen phrasings for held-out texts: the model is unsure on some of them, which is what scores must show.
HELD_OUT = [
    "After lunch {p} drove from {c} to the coast.",
    "Rumours in {c} say {p} resigned.",
    "{c} welcomed {p} warmly on Tuesday.",
    "Ask {p} about the trains in {c}.",
]


def ner_record(rng: random.Random, i: int, templates: list[str]) -> dict[str, Any]:
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    city = rng.choice(CITIES)
    text = rng.choice(templates).format(p=person, c=city)
    spans = []
    for value, label in ((person, "PERSON"), (city, "CITY")):
        start = text.index(value)
        spans.append({"start": start, "end": start + len(value), "label": label})
    return {"id": f"d{i:03d}", "text": text, "spans": sorted(spans, key=lambda s: s["start"])}


def held_out(n: int, seed: int = 99) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [ner_record(rng, i, HELD_OUT + TEMPLATES) for i in range(n)]


def _project(root: Path, kind: str, records: list[dict[str, Any]], labels: list[str], training: dict[str, Any]) -> Path:
    root.mkdir(parents=True)
    (root / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    key = "entities" if kind == "NERProject" else "classes"
    manifest = {
        "apiVersion": "nerspec/v1",
        "kind": kind,
        "metadata": {"name": root.name},
        "spec": {
            key: [{"name": label} for label in labels],
            "data": [{"name": "main", "format": "jsonl", "path": "data.jsonl"}],
            "training": training,
            "deployments": [{"name": "production"}],
        },
    }
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def deploy(paths: Any, project: str, deployment: str, fingerprint: str) -> None:
    """What `nerspec apply` leaves for a local deployment: the model and the deployment recorded in the state (the
    truth a server serves), and the pointer file (this machine's cache of it)."""
    from nerspec.artifacts.layout import file_hashes
    from nerspec.deploy import local
    from nerspec.fingerprints.stat_cache import StatCache
    from nerspec.state import DeploymentRecord, ModelRecord, open_store

    store = open_store(paths)
    try:
        artifact = paths.models / fingerprint
        if store.get_model(fingerprint) is None and (artifact / "meta.json").is_file():
            store.record_model(ModelRecord(project, fingerprint, "2024-01-01", "0", f"models/{fingerprint}",
                                           artifact_files=file_hashes(artifact, StatCache(paths.cache))))
        if (artifact / "meta.json").is_file():
            local.point(paths, project, deployment, fingerprint)
        store.set_deployment(DeploymentRecord(project, deployment, fingerprint, {"type": "local"}, "2024-01-01"),
                             action="deploy", actor="test", reason="test")
    finally:
        store.close()


def _train(root: Path, state: Path) -> Any:
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_projects
    from nerspec.paths import StatePaths
    from nerspec.train import train

    (project,) = load_projects([root])
    corpus = load_corpus(project)
    return train(project, corpus, split_corpus(project, corpus), paths=StatePaths(state))


@pytest.fixture(scope="session")
def ner_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    """(project dir, state dir, artifact): an NER model trained a little, deployed as `production`.

    Pinned schedule (30 steps, batches up to 1,000 words): the model must stay imperfect for the confidence tests.
    """
    base = tmp_path_factory.mktemp("ner")
    rng = random.Random(0)
    records = [ner_record(rng, i, TEMPLATES) for i in range(80)]
    root = _project(base / "people", "NERProject", records, ["PERSON", "CITY"],
                    {"max_steps": 30, "eval_frequency": 10, "patience": 0, "seed": 1, "batch_size": 1000})
    artifact = _train(root, base / "state")
    from nerspec.paths import StatePaths

    deploy(StatePaths(base / "state"), "people", "production", artifact.fingerprint)
    return root, base / "state", artifact


@pytest.fixture(scope="session")
def textcat_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    base = tmp_path_factory.mktemp("tc")
    rng = random.Random(1)
    topics = {"sports": ["match", "goal", "team", "coach"], "finance": ["stock", "bank", "shares", "profit"]}
    records = []
    for i in range(60):
        label = sorted(topics)[i % 2]
        words = rng.sample(topics[label], 3) + [rng.choice(["the", "a", "today", "news"]) for _ in range(4)]
        rng.shuffle(words)
        records.append({"id": f"t{i}", "text": " ".join(words), "labels": [label]})
    root = _project(base / "topics", "TextClassificationProject", records, sorted(topics),
                    {"max_steps": 20, "eval_frequency": 10, "patience": 0})
    return root, base / "state", _train(root, base / "state")


def calibrated_copy(artifact: Any, tmp_path: Path) -> Path:
    """The fixture artifact (whose dev carve is too small to fit a map) with a fitted map on greedy action scores."""
    import shutil

    copy = tmp_path / artifact.path.name
    shutil.copytree(artifact.path, copy)
    meta = json.loads((copy / "meta.json").read_text())
    meta["calibration"] = {"method": "platt", "a": 0.5, "b": -0.2, "fitted_on": "dev", "items": 40, "beam_width": 1,
                           "scores": "actions"}
    (copy / "meta.json").write_text(json.dumps(meta))
    return copy
