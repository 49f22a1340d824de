"""`nerspec report` end to end on fixture run results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from nerspec.cli import cli
from tests.report.runs import FIXTURES


def test_renders_last_run_from_the_state_dir(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    shutil.copy(FIXTURES / "textcat.json", tmp_path / "reports" / "last-run.json")
    result = CliRunner().invoke(cli, ["report", "--state", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("<!-- nerspec-report -->\n# ✅ nerspec: all gates passed")


def test_format_from_output_suffix_and_path_filter(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    args = ["report", "projects/mail-tags", "--input", str(FIXTURES / "textcat.json"), "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert [p["name"] for p in json.loads(out.read_text())["projects"]] == ["mail-tags"]


def test_missing_run_result_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--state", str(tmp_path)])
    assert result.exit_code == 1
    assert "no run result at" in result.output and "nerspec apply" in result.output


def test_a_last_run_that_is_not_an_object_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "last-run.json").write_text("[1, 2]\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", "--state", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "not a run result" in result.output


def test_github_pr_posts_markdown_and_writes_the_summary(tmp_path: Path, monkeypatch) -> None:
    import nerspec.report.github as github

    posted = {}

    def fake_post(markdown: str, pr: str) -> github.CommentResult:
        posted.update(markdown=markdown, pr=pr)
        return github.CommentResult("created", 1, "https://github.test/c/1")

    monkeypatch.setattr(github, "post_report", fake_post)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    html = tmp_path / "report.html"
    args = ["report", "--input", str(FIXTURES / "ner_failed_gates.json"), "--github-pr", "auto", "-o", str(html)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert posted["pr"] == "auto" and posted["markdown"].startswith("<!-- nerspec-report -->")
    assert (tmp_path / "summary.md").read_text() == posted["markdown"]


def test_report_to_a_directory_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "-o", str(tmp_path), "--state", str(tmp_path / "state")])
    assert result.exit_code == 1 and "is a directory" in result.output and "Traceback" not in result.output
