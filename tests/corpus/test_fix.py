"""``validate --fix-whitespace`` on hostile sources: it changes only what it trims, in the source's own encoding,
and reads no file outside the project."""

from __future__ import annotations

import json
from pathlib import Path

from nerspec.corpus.fix import fix_whitespace
from nerspec.manifest.load import load_project

MANIFEST = ("apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: d}\nspec:\n  entities: [{name: Person}]\n"
            "  data: [{name: d, format: FORMAT, path: PATH}]\n")


def _project(root: Path, fmt: str, path: str, encoding: str = "") -> Path:
    source = f"{path}, encoding: {encoding}" if encoding else path
    (root / "nerspec.yaml").write_text(MANIFEST.replace("FORMAT", fmt).replace("PATH", source), encoding="utf-8")
    return root


def test_offsets_that_are_not_integers_are_left_for_validate_to_name(tmp_path: Path) -> None:
    records = ['{"id": "x", "text": "Alice went", "spans": [[0.5, 5.7, "Person"]]}',
               '{"id": "y", "text": " Bob went", "spans": [["0", "4", "Person"]]}']
    (tmp_path / "d.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    # was: int() made them [0, 5] and [1, 4], so a file the readers refuse became valid with other offsets
    assert fix_whitespace(load_project(_project(tmp_path, "jsonl", "d.jsonl"))) == {}
    assert (tmp_path / "d.jsonl").read_text(encoding="utf-8") == "\n".join(records) + "\n"


def test_a_source_in_another_encoding_is_fixed_and_written_back_in_it(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_bytes('{"id": "x", "text": "Zo\u00eb went", "spans": [[0, 4, "Person"]]}\n'.encode("latin-1"))
    project = load_project(_project(tmp_path, "jsonl", "d.jsonl", "latin-1"))
    assert list(fix_whitespace(project).values()) == [1]  # was: "not valid UTF-8 ... set the `encoding:`" (it was set)
    assert (tmp_path / "d.jsonl").read_bytes() == b'{"id": "x", "text": "Zo\xeb went", "spans": [[0, 3, "Person"]]}\n'


def test_azure_locations_outside_the_project_or_no_file_name_are_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(" Eve", encoding="utf-8")
    project_dir = tmp_path / "p"
    project_dir.mkdir()
    label = {"category": "Person", "offset": 0, "length": 4}
    documents = [{"location": location, "entities": [{"labels": [dict(label)]}]}
                 for location in (str(outside), "../outside.txt", "a\0b.txt", "\ud800.txt", "link.txt")]
    (project_dir / "link.txt").symlink_to(outside)
    labels = json.dumps({"assets": {"projectKind": "CustomEntityRecognition", "documents": documents}})
    (project_dir / "labels.json").write_text(labels, encoding="utf-8")
    # was: the outside file was read and its spans "fixed" in labels.json; a NUL or a lone surrogate was exit 70
    assert fix_whitespace(load_project(_project(project_dir, "azure", "labels.json"))) == {}
    assert (project_dir / "labels.json").read_text(encoding="utf-8") == labels
