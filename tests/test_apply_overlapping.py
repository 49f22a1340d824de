"""A nested-entity project (`overlapping: true`) through `apply` with real training: evaluated by the strict and
partial scorers, calibrated per span, gated, deployed; an impossible gate keeps it from production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nerspec.apply import RunParts, apply, execute
from nerspec.deploy import local
from nerspec.errors import GateFailed
from nerspec.manifest.load import load_projects
from nerspec.paths import StatePaths
from tests.nested_models import TINY_TRAINING, nested_project, nested_records

pytest.importorskip("spacy")
pytestmark = pytest.mark.slow


def _manifest(root: Path, **spec: Any) -> None:
    path = root / "nerspec.yaml"
    manifest = yaml.safe_load(path.read_text())
    manifest["spec"].update(spec)
    path.write_text(yaml.safe_dump(manifest, sort_keys=False))


def test_a_nested_project_applies_end_to_end(tmp_path: Path) -> None:
    root = nested_project(tmp_path / "nested", nested_records(100), {**TINY_TRAINING, "dev_fraction": 0.3})
    _manifest(root, gates={"micro_f1": {"min": 0.5}, "per_entity": {"LOC": {"f1": {"min": 0.5}}}})
    state = StatePaths(tmp_path / "state")
    result = apply(load_projects([root]), state, parts=RunParts())["projects"][0]

    evaluation = result["evaluation"]
    assert evaluation["kind"] == "NERProject"
    # Nested LOC inside ORG is found: the flat NER default could only ever return one of the two.
    assert evaluation["per_entity"]["LOC"]["f1"] > 0.5 and evaluation["per_entity"]["ORG"]["f1"] > 0.5
    assert evaluation["micro"]["f1"] > 0.5
    assert evaluation["partial"]["partial"]["f1"] >= evaluation["partial"]["strict"]["f1"] > 0.5
    # Calibration per span: fitted on the dev carve (30 documents, 90 spans) and measured on the test split.
    assert evaluation["calibration"]["method"] in ("platt", "isotonic")
    assert evaluation["calibration"]["items"] > 0 and evaluation["calibration"]["fitted_items"] > 0
    assert result["gates"]["passed"] is True
    deployed = local.read_pointer(state, "nested", "production")
    assert deployed is not None

    # A gate nobody passes: one training step, perfect scores demanded; production keeps the first model.
    _manifest(root, training={**TINY_TRAINING, "max_steps": 1, "eval_frequency": 1},
              gates={"micro_f1": {"min": 1.0}, "per_entity": {"*": {"f1": {"min": 1.0}}}})
    run = execute(load_projects([root]), state, parts=RunParts())
    with pytest.raises(GateFailed):
        run.raise_for_failures()
    assert run.data["projects"][0]["gates"]["passed"] is False
    assert local.read_pointer(state, "nested", "production") == deployed
