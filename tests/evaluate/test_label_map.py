"""A model trained before a merge is scored under the current names (the report's comparison)."""

from __future__ import annotations

from pathlib import Path

from nerspec.corpus.model import Document, Span
from nerspec.evaluate.run import map_previous_names
from nerspec.manifest.load import load_project
from nerspec.report.view import _label_map_text


def test_merged_types_are_scored_as_the_new_one(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"id": "1", "text": "Ann and Bob", "spans": []}\n')
    (tmp_path / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: p}\nspec:\n"
        "  entities: [{name: Party, renamed_from: [BorrowerName, GuarantorName]}, {name: Amount}]\n"
        "  data: [{name: d, format: jsonl, path: d.jsonl}]\n"
    )
    project = load_project(tmp_path)
    pred = [Document("1", "Ann and Bob", [Span(0, 3, "BorrowerName"), Span(8, 11, "GuarantorName")])]
    mapped = map_previous_names(project, pred, None)
    assert [s.label for s in pred[0].spans] == ["Party", "Party"]
    assert mapped == {"BorrowerName": "Party", "GuarantorName": "Party"}
    assert _label_map_text(mapped) == "BorrowerName, GuarantorName -> Party"
    current = [Document("1", "Ann and Bob", [Span(0, 3, "Party")])]
    assert map_previous_names(project, current, None) == {}  # the candidate already predicts current names
