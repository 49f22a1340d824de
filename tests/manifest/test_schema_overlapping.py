"""`spec.overlapping`: an NER project's opt-in to overlapping and nested entities; refused, located, elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.errors import ManifestError
from nerspec.manifest.load import load_project

NER = """apiVersion: nerspec/v1
kind: NERProject
metadata: {name: nested}
spec:
  entities: [{name: ORG}, {name: LOC}]
  overlapping: true
  data: [{name: d, format: jsonl, path: data.jsonl}]
"""

CLASSIFICATION = """apiVersion: nerspec/v1
kind: TextClassificationProject
metadata: {name: topics}
spec:
  classes: [{name: A}, {name: B}]
  overlapping: true
  data: [{name: d, format: folders, path: data}]
"""


def test_ner_project_declares_overlapping(tmp_path: Path) -> None:
    (tmp_path / "nerspec.yaml").write_text(NER, encoding="utf-8")
    assert load_project(tmp_path).manifest.spec.overlapping is True
    (tmp_path / "nerspec.yaml").write_text(NER.replace("  overlapping: true\n", ""), encoding="utf-8")
    assert load_project(tmp_path).manifest.spec.overlapping is False


def test_overlapping_on_a_classification_project_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "nerspec.yaml").write_text(CLASSIFICATION, encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_project(tmp_path)
    assert [str(p).split(": ", 1)[1] for p in info.value.problems] == [
        "spec.overlapping: `overlapping` is a NERProject setting (entity spans that overlap or nest); "
        "a classification project's classes are not spans"]
    assert (info.value.problems[0].line, info.value.problems[0].col) == (6, 3)


def test_overlapping_must_be_a_boolean(tmp_path: Path) -> None:
    (tmp_path / "nerspec.yaml").write_text(NER.replace("overlapping: true", "overlapping: 'yes'"), encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_project(tmp_path)
    assert [p.where for p in info.value.problems] == ["spec.overlapping"]


def test_overlapping_changes_the_model_fingerprint_inputs_only_when_on(tmp_path: Path) -> None:
    from nerspec.fingerprints.model import training_inputs

    (tmp_path / "nerspec.yaml").write_text(NER, encoding="utf-8")
    assert training_inputs(load_project(tmp_path))["overlapping"] is True
    (tmp_path / "nerspec.yaml").write_text(NER.replace("  overlapping: true\n", ""), encoding="utf-8")
    assert "overlapping" not in training_inputs(load_project(tmp_path))
