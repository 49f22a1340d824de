"""A tiny nested-entity corpus and the span-categorizer model trained on it once per session (`overlapping: true`).

Organisations named after a place ("Bank of Paris") hold the place inside them: every such document has an ORG
span with a LOC span nested in it, and the persons around them are flat.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.trained_models import FIRST, LAST, _project, _train, deploy

PLACES = ["Paris", "Berlin", "Madrid", "Seattle", "Lagos", "Osaka", "Lima", "Oslo"]
ORG_PATTERNS = ["Bank of {c}", "University of {c}", "{c} Museum", "{c} Chamber of Commerce"]
NESTED_TEMPLATES = [
    "{p} works at the {o} since May.",
    "The {o} hired {p} last year.",
    "{p} visited the {o} on Friday.",
    "Yesterday the {o} thanked {p} for the gift.",
]


def nested_record(rng: random.Random, i: int) -> dict[str, Any]:
    """One document with a person, an organisation and the place nested in the organisation."""
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    place = rng.choice(PLACES)
    org = rng.choice(ORG_PATTERNS).format(c=place)
    text = rng.choice(NESTED_TEMPLATES).format(p=person, o=org)
    org_start, person_start = text.index(org), text.index(person)
    place_start = org_start + org.index(place)
    spans = [
        {"start": person_start, "end": person_start + len(person), "label": "PERSON"},
        {"start": org_start, "end": org_start + len(org), "label": "ORG"},
        {"start": place_start, "end": place_start + len(place), "label": "LOC"},
    ]
    return {"id": f"n{i:03d}", "text": text, "spans": sorted(spans, key=lambda s: (s["start"], -s["end"]))}


def nested_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [nested_record(rng, i) for i in range(n)]


def nested_project(root: Path, records: list[dict[str, Any]], training: dict[str, Any]) -> Path:
    """A project of ``records`` declaring ``overlapping: true`` (the tiny-model manifest otherwise)."""
    import yaml

    _project(root, "NERProject", records, ["PERSON", "ORG", "LOC"], training)
    manifest = yaml.safe_load((root / "nerspec.yaml").read_text())
    manifest["spec"] = {"entities": manifest["spec"]["entities"], "overlapping": True,
                        **{k: v for k, v in manifest["spec"].items() if k != "entities"}}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


# Few steps: the ORG/LOC nesting is regular enough that the model learns it in a few dozen updates.
TINY_TRAINING = {"max_steps": 60, "eval_frequency": 20, "patience": 0, "seed": 1, "batch_size": 1000}


@pytest.fixture(scope="session")
def spans_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    """(project dir, state dir, artifact): a span categorizer trained a little, deployed as `production`."""
    base = tmp_path_factory.mktemp("spans")
    root = nested_project(base / "nested", nested_records(80), TINY_TRAINING)
    artifact = _train(root, base / "state")
    from nerspec.paths import StatePaths

    deploy(StatePaths(base / "state"), "nested", "production", artifact.fingerprint)
    return root, base / "state", artifact
