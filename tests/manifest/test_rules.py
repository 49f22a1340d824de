"""Data and config paths the manifest rules refuse with their location, before any file is opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.errors import ManifestError
from nerspec.manifest.load import load_project

MANIFEST = """apiVersion: nerspec/v1
kind: NERProject
metadata: {name: loans}
spec:
  entities: [{name: A}]
  data: [{name: d, format: jsonl, path: PATH}]
  training: {max_steps: 10}
"""


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ('"data/\\0docs.jsonl"', "`data/\\0docs.jsonl` contains a NUL character"),
        ("''", "the path is empty"),
        ("'" + "a" * 300 + "'", "has a name longer than 255 bytes"),
        ("'" + "a/" * 3000 + "x'", "is longer than 4096 bytes"),
    ],
    ids=["nul", "empty", "long name", "long path"],
)
def test_a_data_path_no_file_system_holds_is_a_located_error(tmp_path: Path, path: str, message: str) -> None:
    (tmp_path / "nerspec.yaml").write_text(MANIFEST.replace("PATH", path), encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_project(tmp_path)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1 and ":6:41: spec.data[0].path: " in problems[0] and message in problems[0], problems


def test_a_config_path_with_a_nul_is_a_located_error(tmp_path: Path) -> None:
    text = MANIFEST.replace("PATH", "d.jsonl").replace("max_steps: 10", 'max_steps: 10, config: "a\\0.cfg"')
    (tmp_path / "nerspec.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_project(tmp_path)
    assert [p.message for p in caught.value.problems] == ["`a\\0.cfg` contains a NUL character, which no file name can hold"]


def test_a_data_path_that_is_a_symbolic_link_loop_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "docs.jsonl").symlink_to("docs.jsonl")  # was exit 70: RuntimeError from Path.resolve
    (tmp_path / "nerspec.yaml").write_text(MANIFEST.replace("PATH", "data/docs.jsonl"), encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_project(tmp_path)
    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("spec.data[0].path", "`data/docs.jsonl` is a symbolic link loop")]


def test_a_smoke_check_requiring_an_undeclared_label_is_a_located_error(tmp_path: Path) -> None:
    smoke = ("  deployments:\n    - name: production\n      smoke:\n"
             "        - {text: Acme, entities: [{category: A}, {category: NOPE}]}\n"
             "        - {text: Acme, classes: [A]}\n")
    (tmp_path / "nerspec.yaml").write_text(MANIFEST.replace("PATH", "d.jsonl") + smoke, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:  # was valid: every deployment failed its smoke check, switched back
        load_project(tmp_path)
    assert [(p.line, p.where, p.message) for p in caught.value.problems] == [
        (11, "spec.deployments[0].smoke[0].entities[1].category", "unknown entity type `NOPE`; declared: `A`"),
        (12, "spec.deployments[0].smoke[1].classes", "a NERProject predicts entities, not classes; list them under "
                                                     "`entities`"),
    ]
