"""Extraction progress goes through ``nerspec.progress``: documents, docs/s and ETA; plain lines off a terminal,
an updating line on one, nothing with ``--quiet``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import nerspec
from nerspec import progress
from nerspec.cli import cli
from tests.extract.conftest import write_input

pytestmark = pytest.mark.slow


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_report_documents_rate_and_eta_counting_resumed_documents_as_done(
    ner_model: Any, tmp_path: Path
) -> None:
    project, state, _ = ner_model
    source = tmp_path / "docs.jsonl"
    records = write_input(source, n=20)  # 24 good records + 5 bad ones (a blank line among them)
    total = len(records) + 5
    lines = io.StringIO()
    with progress.use(progress.PlainReporter(lines, interval=0.0)):
        nerspec.extract(project, state=state, input=source, output=tmp_path / "out", partition_size=10, workers=1)
    first = lines.getvalue().splitlines()
    assert first[0].startswith("extract documents  ") and " docs/s  " in first[0] and "ETA " in first[0]
    assert first[-1].startswith(f"extract documents  {total}/{total} (100%)") and first[-1].endswith("done")
    # A rerun after one partition's marker is removed starts from what is already done.
    sorted((tmp_path / "out" / "_parts").glob("*.json"))[-1].unlink()
    lines = io.StringIO()
    with progress.use(progress.PlainReporter(lines, interval=0.0)):
        nerspec.extract(project, state=state, input=source, output=tmp_path / "out", partition_size=10, workers=1)
    again = lines.getvalue().splitlines()
    resumed = int(again[0].split()[2].split("/")[0])
    assert 0 < resumed < total and f"{resumed} done before" in again[0] and again[-1].startswith(f"extract documents  {total}/{total}")


def test_the_command_is_silent_with_quiet_and_shows_progress_otherwise(
    ner_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, state, _ = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=10, bad=False)
    monkeypatch.setenv(progress.INTERVAL_ENV, "0")
    base = ["extract", str(project), "--state", str(state), "--input", str(source), "--workers", "1"]
    quiet = CliRunner().invoke(cli, [*base, "--output", str(tmp_path / "a"), "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "" and quiet.stderr == ""
    shown = CliRunner().invoke(cli, [*base, "--output", str(tmp_path / "b")])
    assert shown.exit_code == 0, shown.output
    assert "extract documents  14/14 (100%)" in shown.stderr and "docs/s" in shown.stderr
    assert "14 records, 0 errors" in shown.stdout
    as_json = CliRunner().invoke(cli, [*base, "--output", str(tmp_path / "c"), "--json"])
    assert as_json.stderr == "" and json.loads(as_json.stdout)["documents"] == 14


def test_a_terminal_gets_an_updating_line(ner_model: Any, tmp_path: Path) -> None:
    project, state, _ = ner_model
    source = tmp_path / "docs.jsonl"
    write_input(source, n=10, bad=False)
    last: list[tuple[float, float | None, str]] = []

    class Recording(progress.RichReporter):  # the line's last state (a short run ends before a redraw)
        def finish(self, task_id: Any) -> None:
            task = next(t for t in self.bar.tasks if t.id == task_id)
            last.append((task.completed, task.total, task.fields["status"]))
            super().finish(task_id)

    tty = _Tty()
    with progress.use(Recording(tty)):
        nerspec.extract(project, state=state, input=source, output=tmp_path / "out", workers=1)
    assert "extract documents" in tty.getvalue()
    (completed, total, status), = last
    assert completed == total == 14 and status.endswith(" docs/s")
