"""Snapshot tests of the reports. Every snapshot under test_render/ was read and checked by hand."""

from __future__ import annotations

import json

import pytest

from nerspec.report import GITHUB_COMMENT_LIMIT, MARKER, ReportError, build_view, render
from tests.report.runs import load_fixture, many_types_run

FIXTURES = ["ner_baseline", "ner_no_baseline", "ner_failed_gates", "textcat"]


@pytest.mark.parametrize("name", FIXTURES)
def test_markdown_snapshot(name: str, file_regression) -> None:
    text = render(load_fixture(name), "md")
    assert len(text) < GITHUB_COMMENT_LIMIT
    file_regression.check(text, basename=f"{name}_md", extension=".md")


@pytest.mark.parametrize("name", ["ner_baseline", "ner_failed_gates", "textcat"])
def test_html_snapshot(name: str, file_regression) -> None:
    file_regression.check(render(load_fixture(name), "html"), basename=f"{name}_html", extension=".html")


@pytest.mark.parametrize("name", ["ner_failed_gates", "textcat"])
def test_json_snapshot(name: str, data_regression) -> None:
    text = render(load_fixture(name), "json")
    view = json.loads(text)
    assert view == build_view(load_fixture(name))
    data_regression.check(view, basename=f"{name}_json")


def test_many_types_are_truncated_under_the_comment_limit(file_regression) -> None:
    run = many_types_run(400)
    full = render(run, "html")
    text = render(run, "md", artifact="HTML report artifact")
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert "more entity types not shown here; see the HTML report artifact" in text
    # The failing per-type gate is what a reviewer must see, so it survives truncation.
    assert "| ENTITY\\_TYPE\\_003 |" in text
    # The HTML artifact keeps every type.
    assert all(f"ENTITY_TYPE_{i:03d}" in full for i in range(400))
    file_regression.check(text, basename="many_types_md", extension=".md")


def test_verdict_and_key_numbers_come_first() -> None:
    lines = render(load_fixture("ner_failed_gates"), "md").splitlines()
    assert lines[0] == MARKER
    assert lines[1].startswith("# ❌ nerspec: gates failed in 1 of 1 project")
    summary = next(i for i, line in enumerate(lines) if line.startswith("| **news-entities**"))
    assert summary < 8
    assert "❌ 2 of 3 gates failed · would NOT deploy on merge" in lines[summary]
    assert "**0.805** (🔴 -0.016)" in lines[summary]


def test_changes_are_marked_in_both_directions() -> None:
    text = render(load_fixture("ner_baseline"), "md")
    assert "**0.820** (🟢 +0.016)" in text  # micro F1 improved
    assert "0.807 (🔴 -0.015)" in text  # macro precision regressed (0.8065: half-up, as the terminal rounds)
    assert "0.853 (±0.000)" in text  # LOC recall unchanged
    assert "| **PRODUCT** | · | **4** (🔴 `+1`) |" in text  # more PRODUCT->ORG confusions is worse


def test_without_baseline_there_are_no_deltas() -> None:
    text = render(load_fixture("ner_no_baseline"), "md")
    assert "no deployed model to compare with" in text
    assert "🟢" not in text.split("## ", 1)[1].split("### Confusion")[0]
    view = build_view(load_fixture("ner_no_baseline"))
    assert all(m["delta"] is None and m["trend"] == "new" for m in view["projects"][0]["overall"])


def test_classification_kinds() -> None:
    view = build_view(load_fixture("textcat"))
    single, multi = view["projects"]
    assert single["label_noun"] == "class" and single["confusion"] is not None
    assert "$none" not in single["confusion"]["labels"]  # never predicted in single-label classification
    assert multi["multilabel"] and multi["confusion"] is None and multi["threshold"] == 0.5
    assert multi["errors"]["rows"][0]["gold"] == "complaint, refund, urgent"


def test_several_projects_get_one_section_each() -> None:
    text = render(load_fixture("textcat"), "md")
    assert text.count("\n## ") == 2


def test_unknown_kind_and_format_are_clear_errors() -> None:
    run = load_fixture("ner_baseline")
    run["projects"][0]["kind"] = "SpeechProject"
    with pytest.raises(ReportError, match="unknown project kind 'SpeechProject'"):
        render(run, "md")
    with pytest.raises(ReportError, match="unknown report format"):
        render(load_fixture("ner_baseline"), "pdf")  # type: ignore[arg-type]
    with pytest.raises(ReportError, match="not a run result"):
        render({"projects": None}, "md")


def test_empty_run_renders() -> None:
    assert "nothing was evaluated" in render({"version": 1, "created": "", "mode": "apply", "projects": []}, "md")


def test_html_charts_are_well_formed_svg() -> None:
    import re
    import xml.etree.ElementTree as ET

    html = render(load_fixture("textcat"), "html")
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    # F1 and data distribution for each of the two projects, and the reliability diagram of the calibrated one
    assert len(svgs) == 5
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.find("{http://www.w3.org/2000/svg}title") is not None


def test_pull_request_verdict_says_what_merging_would_do() -> None:
    # apply --no-deploy never deploys; the verdict answers "would the merge deploy?" from gates and plan.
    passed = render(load_fixture("textcat"), "md")
    assert ("✅ gates passed · would deploy on merge: `production` `09e8d7c6b5a4` → `51d0c3a9e8f7`"
            in passed)
    assert "✅ no gates · nothing to deploy on merge" in passed  # mail-tags: no deploy action planned
    assert "will not deploy" not in passed and "--no-deploy" not in passed.split("mode `apply --no-deploy`")[1]
    first = render(load_fixture("ner_no_baseline"), "md")
    assert "would deploy on merge: `production` `none` → `3f9c2a7d1e5b`" in first
    failed = render(load_fixture("ner_failed_gates"), "md")
    assert "**❌ 2 of 3 gates failed · would NOT deploy on merge**" in failed
    html = render(load_fixture("textcat"), "html")
    assert ("would deploy on merge: <code>production</code> <code>09e8d7c6b5a4</code> → <code>51d0c3a9e8f7</code>"
            in html)


def test_merge_verdict_only_for_pull_request_runs() -> None:
    run = load_fixture("textcat")
    run["mode"] = "apply"
    view = build_view(run)
    assert all(p["verdict"]["merge"] is None for p in view["projects"])
    assert "on merge" not in render(run, "md")
    view = build_view(load_fixture("ner_failed_gates"))["projects"][0]["verdict"]["merge"]
    assert view == {"deploy": False, "gates_failed": True, "deployments": [
        {"deployment": "production", "from": "8b1e4c0f7a2d9e63c5b1f0a4", "to": "c0ffee1234567890abcd"}]}


def test_skipped_regression_gate_is_shown_as_skipped() -> None:
    text = render(load_fixture("ner_no_baseline"), "md")
    row = next(line for line in text.splitlines() if line.startswith("| regression.micro\\_f1 |"))
    assert row == ("| regression.micro\\_f1 | micro\\_f1 | max drop 0.010 | — | "
                   "⏭️ skipped: no model deployed in \\`production\\` yet |")
    assert "✅ pass" not in row and "fail" not in row
    # Not evaluated, so not counted as a passed gate.
    verdict = build_view(load_fixture("ner_no_baseline"))["projects"][0]["verdict"]
    assert (verdict["gates_total"], verdict["gates_failed"], verdict["gates_skipped"]) == (3, 0, 1)
    assert "| 3/3 (+1 skipped) |" in text
    html = render(load_fixture("ner_no_baseline"), "html")
    assert '<td class="muted">skipped<br>' in html


def test_gate_rows_explain_themselves() -> None:
    gates = {g["name"]: g for g in build_view(load_fixture("ner_failed_gates"))["projects"][0]["gates"]}
    regression = gates["regression.micro_f1"]
    # The allowed drop is a threshold on the change, never printed next to the raw score as if ">= 0.005".
    assert (regression["requirement"], regression["shown"]) == ("max drop 0.005", "-0.016 (0.820 → 0.805)")
    assert (regression["kind"], regression["status"], regression["delta"]) == ("regression", "fail", -0.0156)
    absolute = gates["micro_f1"]
    assert (absolute["requirement"], absolute["shown"], absolute["status"]) == ("min 0.800", "0.805", "pass")
    text = render(load_fixture("ner_failed_gates"), "md")
    assert "| regression.micro\\_f1 | micro\\_f1 | max drop 0.005 | -0.016 (0.820 → 0.805) | ❌ **fail**:" in text
    assert "| micro\\_f1 | micro\\_f1 | min 0.800 | 0.805 | ✅ pass |" in text
    assert "the value is the change against the deployed model" in text
    gained = build_view(load_fixture("ner_baseline"))["projects"][0]["gates"][-1]
    assert gained["shown"] == "+0.016 (0.805 → 0.820)"


def test_what_changed_lists_newly_wrong_first_escaped_and_capped() -> None:
    md = render(load_fixture("ner_baseline"), "md")
    section = md.split("### What changed, document by document")[1].split("### Per entity type")[0]
    assert "Against `production`: 2 test documents newly wrong, 2 newly right." in section
    rows = [line for line in section.splitlines() if line.startswith("| `doc")]
    assert [r.split("|")[2].strip() for r in rows] == ["🔴 newly wrong", "🔴 newly wrong", "🟢 newly right"]
    assert "<b>" not in section and "&lt;b&gt;Jane&lt;/b&gt; \\| @\u200bteam" in section
    assert "1 more changed document not shown here" in section
    html = render(load_fixture("ner_baseline"), "html")
    assert "&lt;b&gt;Jane&lt;/b&gt;" in html and "<b>Jane" not in html


def test_calibration_section_and_reliability_chart() -> None:
    md = render(load_fixture("ner_baseline"), "md")
    assert "Expected calibration error (ECE) 0.031 (deployed model: 0.087) over 214 predicted entities" in md
    assert 'x-axis ["0.2-0.3", "0.5-0.6", "0.7-0.8", "0.9-1.0"]' in md
    # how far to trust the map itself: 72 dev predictions pin the mean accuracy to about +-0.5/sqrt(72)
    assert "calibrated by isotonic regression on 72 predictions from the dev carve, which pin the mean accuracy " \
           "down to about ±0.06." in md
    html = render(load_fixture("ner_baseline"), "html")
    assert "<title>Reliability: accuracy per confidence bin</title>" in html
    assert "0.9–1: 188 items, accuracy 0.973, confidence 0.962" in html


def test_per_language_scores_and_merged_types_are_shown() -> None:
    run = load_fixture("ner_baseline")
    project = run["projects"][0]
    row = {"documents": 4, "support": 9, "micro": {"precision": 0.9, "recall": 0.8, "f1": 0.847, "tp": 8, "fp": 1, "fn": 2},
           "macro": {"precision": 0.9, "recall": 0.8, "f1": 0.84}, "per_label": {"PER": {"f1": 0.9, "support": 5}}}
    project["evaluation"]["per_language"] = {"de": row, "ru": {**row, "documents": 2}}
    project["baseline"]["evaluation"]["per_language"] = {"de": {**row, "micro": {**row["micro"], "f1": 0.8}}}
    project["baseline"]["evaluation"]["label_map"] = {"BorrowerName": "Party", "GuarantorName": "Party"}
    text = render(run, "md")
    assert "### Per language" in text
    assert "| de | 4 | 9 |" in text and "**0.847** (🟢 +0.047)" in text and "PER 0.900" in text
    assert "| ru | 2 | 9 |" in text
    assert "its types counted as BorrowerName, GuarantorName -&gt; Party" in text or \
        "its types counted as BorrowerName, GuarantorName -> Party" in text
    html = render(run, "html")
    assert "<h3>Per language</h3>" in html and "<td>ru</td>" in html


def test_an_overlapping_projects_confusion_matrix_says_how_spans_pair() -> None:
    from nerspec.metrics.confusion import BEST_OVERLAP, PAIRING_NOTES

    run = load_fixture("ner_baseline")
    run["projects"][0]["evaluation"]["confusion_matrix"]["pairing"] = BEST_OVERLAP
    note = PAIRING_NOTES[BEST_OVERLAP]
    assert note.startswith("Entities may overlap in this project: spans of other types pair by best overlap")
    markdown, html = render(run, "md"), render(run, "html")
    matrix = markdown.split("### Confusion matrix", 1)[1].split("</details>", 1)[0]
    assert f"\n{note}\n" in matrix
    assert f'<p class="muted">{note}</p>' in html
    assert build_view(run)["projects"][0]["confusion"]["pairing_note"] == note
    assert note not in render(load_fixture("ner_baseline"), "md")  # a flat project's report is unchanged
