"""Evaluation reports: Markdown for pull requests, standalone HTML, JSON; and the sticky GitHub comment.

Importing this package is cheap; jinja2 and httpx are imported by the functions that need them.
"""

from __future__ import annotations

from nerspec.escape import MARKER
from nerspec.report.render import FORMATS, GITHUB_COMMENT_LIMIT, ReportError, build_view, render

__all__ = ["FORMATS", "GITHUB_COMMENT_LIMIT", "MARKER", "ReportError", "build_view", "render"]
