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


def test_the_training_line_fits_80_columns_with_its_counts_and_times_whole(monkeypatch) -> None:
    """On an 80-column terminal only the description and the status give way (ellipsis), never the numbers."""
    monkeypatch.setenv("COLUMNS", "80")
    term = FakeTerminal()
    bar = progress._rich_progress(term)
    assert bar.console.width == 80
    task = bar.add_task("loan-agreements: train", total=600, status="loss 6444.97  dev 0.183 (best 0.183 @ 100)",
                        eta=82.0)
    bar.update(task, completed=108)
    with bar.console.capture() as captured:
        bar.console.print(bar.get_renderable())
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m", "", captured.get())  # colours do not take columns
    (line,) = [line for line in plain.splitlines() if line.strip()]
    assert len(line.rstrip()) <= 80
    assert "108/600" in line and "0:00:00" in line and line.rstrip().endswith("ETA 1:22"), line
