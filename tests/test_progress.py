"""nerspec.progress: plain lines when not on a terminal, nothing when quiet, live lines (rich) on a terminal."""

from __future__ import annotations

import io
import time

from nerspec import progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_reporter_prints_periodic_lines_and_a_closing_line() -> None:
    out = io.StringIO()
    with progress.use(progress.PlainReporter(out, interval=0.0)):
        with progress.task("loans: evaluate", total=4) as bar:
            for _ in range(4):
                bar.update(advance=1, status="batch ok")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("loans: evaluate  1/4 (25%)  batch ok  0:00 elapsed  ETA")
    assert lines[-1].startswith("loans: evaluate  4/4 (100%)") and lines[-1].endswith("done")


def test_plain_reporter_is_silent_for_work_shorter_than_the_interval() -> None:
    out = io.StringIO()
    with progress.use(progress.PlainReporter(out, interval=30.0)):
        for _ in progress.track(range(1000), "quick", 1000):
            pass
    assert out.getvalue() == ""


def test_quiet_and_no_reporter_print_nothing(capsys) -> None:
    for _ in progress.track(range(3), "library use"):
        pass
    assert isinstance(progress.reporter_for(FakeTerminal(), quiet=True), progress.NullReporter)
    assert capsys.readouterr() == ("", "")


def test_reporter_choice_follows_the_stream() -> None:
    assert isinstance(progress.reporter_for(io.StringIO()), progress.PlainReporter)
    assert isinstance(progress.reporter_for(FakeTerminal()), progress.RichReporter)


def test_rich_reporter_draws_on_a_terminal_and_clears_when_done() -> None:
    term = FakeTerminal()
    reporter = progress.RichReporter(term)
    with progress.use(reporter):
        with progress.task("train", total=10) as bar:
            bar.update(5, status="loss 1.00", eta=3.0)
            time.sleep(0.3)
    assert "train" in term.getvalue() and "loss 1.00" in term.getvalue()
    assert reporter.open == 0


def test_track_below_min_total_opens_no_task() -> None:
    out = io.StringIO()
    with progress.use(progress.PlainReporter(out, interval=0.0)):
        assert list(progress.track([1, 2], "read", min_total=10)) == [1, 2]
    assert out.getvalue() == ""
