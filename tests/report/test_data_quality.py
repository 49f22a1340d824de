"""The report's data-quality sections: likely label errors of changed documents, agreement beside the model's F1."""

from __future__ import annotations

from nerspec.report import render
from tests.report.runs import load_fixture


def _run_with_data_quality() -> dict:
    run = load_fixture("ner_baseline")
    project = run["projects"][0]
    project["label_errors"] = {
        "documents": "changed", "folds": 5, "fingerprint": "abc", "total": 3,
        "findings": [
            {"id": "doc-7", "start": 15, "end": 21, "text": "Vienna", "label": None, "suggested": "LOC",
             "kind": "missing", "score": 0.97, "context": "Heidi moved to [Vienna] in 1997.", "message": "m"},
            {"id": "doc-9", "start": 0, "end": 4, "text": "Acme", "label": "PER", "suggested": "ORG",
             "kind": "wrong_type", "score": 0.91, "context": "[Acme] | lends", "message": "m"},
        ],
    }
    project["agreement"] = {"f1": 0.812, "pairs": [{"a": "x", "b": "y"}], "per_label": {}, "documents": [{"id": "d"}]}
    return run


def test_markdown_lists_label_errors_with_context_and_agreement_beside_model_f1() -> None:
    md = render(_run_with_data_quality(), "md")
    assert "Likely label errors (2 of 3 in documents this change added or relabeled; 5-fold cross-fit)" in md
    assert "| `doc-7` | missing |  | LOC | 0.970 | Heidi moved to \\[Vienna\\] in 1997. |" in md
    assert "\\|" in md  # a pipe in the context cannot break the table
    micro_f1 = load_fixture("ner_baseline")["projects"][0]["evaluation"]["micro"]["f1"]
    assert "strict span F1 **0.812**" in md and f"the model's micro F1 is **{micro_f1:.3f}**" in md


def test_html_has_both_sections_and_runs_without_them_are_unchanged() -> None:
    html = render(_run_with_data_quality(), "html")
    assert "<h3>Likely label errors</h3>" in html and "<h3>Annotator agreement</h3>" in html
    plain = render(load_fixture("ner_baseline"), "md")
    assert "Likely label errors" not in plain and "Annotator agreement" not in plain
