"""Tiny NER and classification projects written into tmp_path (manifest + jsonl), for real training."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

PEOPLE = ["Alice Smith", "Bob Jones", "Carla Diaz", "Deepak Rao", "Erin Walsh", "Farid Khan", "Grace Lee", "Hugo Martin"]
CITIES = ["Paris", "Berlin", "Madrid", "Seattle", "Lagos", "Osaka", "Lima", "Oslo"]
TEMPLATES = [
    "Yesterday {p} flew to {c} for a meeting.",
    "{p} lives in {c} with two cats.",
    "We met {p} at the airport in {c}.",
    "The report from {c} was written by {p}.",
    "In {c}, {p} opened a small bakery.",
    "{p} said the weather in {c} was cold.",
]
TOPICS = {
    "sports": ["match", "goal", "team", "coach", "league", "score", "player", "season"],
    "finance": ["stock", "market", "bank", "shares", "profit", "investor", "loan", "price"],
    "weather": ["rain", "storm", "sunny", "forecast", "wind", "snow", "cloudy", "heat"],
    "food": ["recipe", "bread", "cheese", "dinner", "soup", "bakery", "spicy", "menu"],
}
FILLER = ["the", "a", "today", "new", "report", "people", "said", "very", "city", "and", "with", "after"]


def ner_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        person, city, template = rng.choice(PEOPLE), rng.choice(CITIES), rng.choice(TEMPLATES)
        text = template.format(p=person, c=city)
        spans = []
        for value, label in ((person, "PERSON"), (city, "CITY")):
            start = text.index(value)
            spans.append({"start": start, "end": start + len(value), "label": label})
        records.append({"id": f"d{i:03d}", "text": text, "spans": sorted(spans, key=lambda s: s["start"])})
    return records


def textcat_records(n: int, multilabel: bool, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    names = sorted(TOPICS)
    records = []
    for i in range(n):
        labels = [names[i % len(names)]]
        if multilabel and rng.random() < 0.4:
            labels.append(rng.choice([c for c in names if c != labels[0]]))
        words = [rng.choice(FILLER) for _ in range(6)]
        for label in labels:
            words += rng.sample(TOPICS[label], 3)
        rng.shuffle(words)
        records.append({"id": f"t{i:03d}", "text": " ".join(words).capitalize() + ".", "labels": sorted(labels)})
    return records


def write_project(
    root: Path,
    kind: str,
    records: list[dict[str, Any]],
    labels: list[str],
    *,
    name: str = "tiny",
    training: dict[str, Any] | None = None,
    multilabel: bool = False,
    extra_files: dict[str, str] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    spec: dict[str, Any] = {
        "data": [{"name": "main", "format": "jsonl", "path": "data.jsonl"}],
        "split": {"policy": "random", "test_fraction": 0.2, "seed": 1},
        "training": {"max_steps": 40, "eval_frequency": 10, "patience": 0, **(training or {})},
    }
    if kind == "NERProject":
        spec["entities"] = [{"name": label} for label in labels]
    else:
        spec["classes"] = [{"name": label} for label in labels]
        spec["multilabel"] = multilabel
    manifest = {"apiVersion": "nerspec/v1", "kind": kind, "metadata": {"name": name, "language": "en"}, "spec": spec}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    for rel, text in (extra_files or {}).items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(kind: str = "NERProject", n: int = 60, multilabel: bool = False, **kwargs: Any) -> Path:
        root = tmp_path / f"project{next(counter)}"
        if kind == "NERProject":
            return write_project(root, kind, ner_records(n), ["PERSON", "CITY"], **kwargs)
        return write_project(root, kind, textcat_records(n, multilabel), sorted(TOPICS), multilabel=multilabel, **kwargs)

    return make


def load_all(project_dir: Path) -> tuple[Any, Any, Any]:
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_projects

    (project,) = load_projects([project_dir])
    corpus = load_corpus(project)
    return project, corpus, split_corpus(project, corpus)


@pytest.fixture
def state(tmp_path: Path) -> Any:
    from nerspec.paths import StatePaths

    return StatePaths(tmp_path / "state")
