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
    assert "❌ 2 of 3 gates failed · will not deploy" in lines[summary]
    assert "**0.805** (🔴 -0.016)" in lines[summary]


def test_changes_are_marked_in_both_directions() -> None:
    text = render(load_fixture("ner_baseline"), "md")
    assert "**0.820** (🟢 +0.016)" in text  # micro F1 improved
    assert "0.806 (🔴 -0.015)" in text  # macro precision regressed
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
    assert len(svgs) == 4  # F1 and data distribution for each of the two projects
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
