"""``python -m nerspec.demo``'s report step: Markdown and HTML beside the run result, rendering bugs surface."""

from __future__ import annotations

from typing import Any

import pytest

from nerspec import demo


def test_reports_written_beside_the_run_result(tiny: Any, state: Any, run_apply: Any) -> None:
    result = run_apply()
    md, html = demo._reports(state, result)
    assert md == state.reports / "last-run.md" and html == state.reports / "last-run.html"
    assert "tiny" in md.read_text() and html.read_text().lstrip().lower().startswith("<!doctype html")


def test_a_rendering_bug_is_not_swallowed(tiny: Any, state: Any, run_apply: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    # `nerspec.report` re-exports the function `render`, which shadows the submodule as an attribute.
    render_module = importlib.import_module("nerspec.report.render")

    result = run_apply()

    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise KeyError("a template bug")

    monkeypatch.setattr(render_module, "render", broken)
    with pytest.raises(KeyError, match="a template bug"):
        demo._reports(state, result)
