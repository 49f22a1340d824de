"""The manifest's YAML reader (``nerspec.manifest.yamlpos``): merge keys override as YAML says, duplicates are errors."""

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
  data:
    - &labeled {name: one, format: jsonl, path: one.jsonl}
    - {<<: *labeled, name: two, path: two.jsonl}
  training: &training {max_steps: 10, seed: 1}
  deployments: [{name: production}]
"""


def test_a_key_written_beside_a_merge_key_overrides_the_merged_one(tmp_path: Path) -> None:
    (tmp_path / "nerspec.yaml").write_text(MANIFEST, encoding="utf-8")
    spec = load_project(tmp_path).manifest.spec  # was: "duplicate key `name` (first defined at line 7)"
    assert [(s.name, s.format, s.path) for s in spec.data] == [("one", "jsonl", "one.jsonl"), ("two", "jsonl", "two.jsonl")]
    assert load_project(tmp_path).positions.of_value(("spec", "data", 1, "name"))[0] == 8


def test_a_key_written_twice_beside_a_merge_key_is_still_a_duplicate(tmp_path: Path) -> None:
    text = MANIFEST.replace("name: two, path: two.jsonl", "name: two, path: two.jsonl, name: three")
    (tmp_path / "nerspec.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_project(tmp_path)
    assert [(p.line, p.message) for p in caught.value.problems] == [(8, "duplicate key `name` (first defined at line 8)")]


def test_merge_keys_that_would_expand_past_the_bound_are_refused_before_expanding() -> None:
    """Each level merges the previous one nine times: 10 x 9^6 keys counted with repeats. PyYAML releases that
    copy every merged pair built that list (minutes, gigabytes) before the bound on values was ever checked."""
    from nerspec.manifest.yamlpos import MAX_NODES, YamlProblem, load_with_positions

    inner = "&l0 {" + ", ".join(f"k{i}: {i}" for i in range(10)) + "}"
    for level in range(1, 7):
        inner = f"&l{level} {{<<: [{inner}, " + ", ".join([f"*l{level - 1}"] * 8) + "]}"
    with pytest.raises(YamlProblem, match=f"merge keys .* more than {MAX_NODES} keys"):
        load_with_positions(f"top:\n  <<: {inner}\n")
    merged = load_with_positions("base: &b {x: 1, y: 2}\nboth: {<<: [*b, *b], z: 3}\n")[0]
    assert merged["both"] == {"x": 1, "y": 2, "z": 3}
