"""The extraction progress adapter: plain periodic lines off a terminal, a rich bar on one, nothing when quiet."""

from __future__ import annotations

import io

import pytest

from nerspec.commands import extract as command


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_off_a_terminal_report_documents_rate_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "PLAIN_INTERVAL_S", 0.0)
    stream = io.StringIO()
    progress = command.ExtractProgress(stream)
    progress.start(100, 40)
    progress.documents(10)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "resuming: 40 documents already extracted"
    assert lines[1].startswith("extracting: 50/100 documents, ") and "docs/s, ETA" in lines[1]


def test_quiet_prints_nothing_and_a_terminal_gets_a_live_bar() -> None:
    quiet = io.StringIO()
    progress = command.ExtractProgress(quiet, quiet=True)
    progress.start(10, 0)
    progress.documents(10)
    progress.close()
    assert quiet.getvalue() == ""
    tty = _Tty()
    bar = command.ExtractProgress(tty)
    bar.start(10, 0)
    bar.documents(10)
    bar.close()
    assert "extracting" in tty.getvalue() and "10/10" in tty.getvalue()
