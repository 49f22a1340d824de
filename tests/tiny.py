"""Tiny projects in tmp_path (jsonl data) and run parts with a fake trainer and evaluator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from nerspec.apply import RunParts
from nerspec.paths import StatePaths
from tests import fakes

PEOPLE = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj"]
CITIES = ["Paris", "Berlin", "Lisbon", "Oslo", "Rome", "Vienna", "Dublin", "Prague"]


def make_docs(n: int, start: int = 0, person_label: str = "PER") -> list[dict[str, Any]]:
    docs = []
    for i in range(start, start + n):
        person, city = PEOPLE[i % len(PEOPLE)], CITIES[(i * 3) % len(CITIES)]
        text = f"{person} moved to {city} in {1990 + i % 30}."
        spans = [[0, len(person), person_label], [len(person) + 9, len(person) + 9 + len(city), "LOC"]]
        docs.append({"id": f"d{i:04d}", "text": text, "spans": spans})
    return docs


def manifest(name: str = "tiny", **spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "entities": [{"name": "PER"}, {"name": "LOC"}],
        "data": [{"name": "main", "format": "jsonl", "path": "data/docs.jsonl"}],
        "training": {"max_steps": 30, "eval_frequency": 10, "patience": 0},
        "deployments": [{"name": "production"}],
    }
    base.update(spec)
    return {"apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": name}, "spec": base}


class TinyProject:
    def __init__(self, root: Path, name: str = "tiny") -> None:
        self.dir = root / "projects" / name
        (self.dir / "data").mkdir(parents=True)
        self.name = name

    def write_manifest(self, data: dict[str, Any]) -> None:
        (self.dir / "nerspec.yaml").write_text(yaml.safe_dump(data, sort_keys=False))

    def write_docs(self, docs: list[dict[str, Any]]) -> None:
        (self.dir / "data" / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))

    def load(self) -> list[Any]:
        from nerspec.manifest.load import load_projects

        return load_projects([self.dir])


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TinyProject:
    monkeypatch.chdir(tmp_path)  # manifest paths are shown relative to the working directory
    project = TinyProject(tmp_path)
    project.write_manifest(manifest())
    project.write_docs(make_docs(24))
    return project


@pytest.fixture
def state(tmp_path: Path) -> StatePaths:
    return StatePaths(tmp_path / "state")


@pytest.fixture
def parts() -> RunParts:
    return RunParts(trainer=fakes.train, evaluator=fakes.evaluate, load_corpus=fakes.load_corpus, split_corpus=fakes.split_corpus)


@pytest.fixture
def run_apply(tiny: TinyProject, state: StatePaths, parts: RunParts) -> Callable[..., dict[str, Any]]:
    from nerspec.apply import apply

    def run(**kwargs: Any) -> dict[str, Any]:
        return apply(tiny.load(), state, parts=parts, **kwargs)

    return run
