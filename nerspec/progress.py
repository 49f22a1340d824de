"""Progress of long work (training, evaluation, data loading, bootstrap resampling, downloads).

Core code never prints: it opens a ``task`` on the *current reporter*, which the command layer installs once per
command (``nerspec.cli`` does it for every command, honouring the global ``--quiet``). Without one installed the
reporter is ``NullReporter`` and a task costs a few attribute look-ups, so library users and tests see nothing.

Three reporters:
- ``RichReporter`` (stderr is a terminal): one updating line per running task, drawn by ``rich.progress``
  (imported on the first task only: ``--help``, ``validate`` and ``plan`` never pay for it).
- ``PlainReporter`` (no terminal, e.g. CI logs): a plain line every ``NERSPEC_PROGRESS_INTERVAL`` seconds
  (default 30) while a task runs, and a closing line for any task that printed one. Short tasks print nothing.
- ``NullReporter``: ``--quiet``, and the default.

The current reporter lives in a ``ContextVar`` rather than being threaded through every signature: the work that
reports progress (a bootstrap inside an evaluation inside an apply) sits several calls below the command.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID
    from rich.progress import Task as RichTask
    from rich.text import Text

T = TypeVar("T")
INTERVAL_ENV = "NERSPEC_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 30.0


class Task(Protocol):
    def update(self, completed: float | None = None, *, advance: float = 0, status: str = "",
               eta: float | None = None) -> None: ...

    def close(self) -> None: ...


class Reporter(Protocol):
    def task(self, description: str, total: float | None = None) -> Task: ...


class _NullTask:
    def update(self, completed: float | None = None, *, advance: float = 0, status: str = "",
               eta: float | None = None) -> None:
        return None

    def close(self) -> None:
        return None


class NullReporter:
    """Reports nothing (``--quiet``; library use)."""

    def task(self, description: str, total: float | None = None) -> Task:
        return _NullTask()


def clock(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss``; ``--:--`` when unknown."""
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class _PlainTask:
    def __init__(self, reporter: PlainReporter, description: str, total: float | None) -> None:
        self.reporter = reporter
        self.description = description
        self.total = total
        self.completed = 0.0
        self.status = ""
        self.eta: float | None = None
        self.started = time.monotonic()
        self.last = self.started
        self.printed = False

    def update(self, completed: float | None = None, *, advance: float = 0, status: str = "",
               eta: float | None = None) -> None:
        self.completed = completed if completed is not None else self.completed + advance
        if status:
            self.status = status
        self.eta = eta
        now = time.monotonic()
        if now - self.last >= self.reporter.interval:
            self.last = now
            self.reporter.write(self.line(now))

    def line(self, now: float, done: bool = False) -> str:
        elapsed = now - self.started
        parts = [self.description]
        if self.total:
            share = min(1.0, self.completed / self.total)
            parts.append(f"{self.completed:.0f}/{self.total:.0f} ({share:.0%})")
        elif self.completed:
            parts.append(f"{self.completed:.0f}")
        if self.status:
            parts.append(self.status)
        parts.append(f"{clock(elapsed)} elapsed")
        if not done:
            eta = self.eta
            if eta is None and self.total and self.completed:
                eta = (self.total - self.completed) * elapsed / self.completed
            parts.append(f"ETA {clock(eta)}")
        else:
            parts.append("done")
        self.printed = True
        return "  ".join(parts)

    def close(self) -> None:
        if self.printed:
            self.reporter.write(self.line(time.monotonic(), done=True))


class PlainReporter:
    """Plain lines for logs: at most one per task every ``interval`` seconds."""

    def __init__(self, stream: IO[str] | None = None, interval: float | None = None) -> None:
        self.stream = stream
        self.interval = interval if interval is not None else _interval_from_env()

    def write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def task(self, description: str, total: float | None = None) -> Task:
        return _PlainTask(self, description, total)

    def announce(self, line: str) -> None:
        self.write(line)


def _interval_from_env() -> float:
    try:
        return max(0.0, float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


class _RichTask:
    def __init__(self, reporter: RichReporter, task_id: TaskID) -> None:
        self.reporter = reporter
        self.task_id = task_id

    def update(self, completed: float | None = None, *, advance: float = 0, status: str = "",
               eta: float | None = None) -> None:
        step = None if completed is not None else advance  # rich takes None for "not given"
        if status:
            self.reporter.bar.update(self.task_id, completed=completed, advance=step, eta=eta, status=status)
        else:
            self.reporter.bar.update(self.task_id, completed=completed, advance=step, eta=eta)

    def close(self) -> None:
        self.reporter.finish(self.task_id)


class RichReporter:
    """Updating lines on a terminal (``rich.progress``); the display runs while any task is open."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self._bar: Progress | None = None
        self.open = 0

    @property
    def bar(self) -> Progress:
        if self._bar is None:
            self._bar = _rich_progress(self.stream)
        return self._bar

    def task(self, description: str, total: float | None = None) -> Task:
        if self.open == 0:
            self.bar.start()
        self.open += 1
        return _RichTask(self, self.bar.add_task(description, total=total, status="", eta=None))

    def announce(self, line: str) -> None:
        if self.open:
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            (self.stream or sys.stderr).write(line + "\n")

    def finish(self, task_id: TaskID) -> None:
        self.bar.remove_task(task_id)
        self.open -= 1
        if self.open == 0:
            self.bar.stop()


def _rich_progress(stream: IO[str] | None) -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Column
    from rich.text import Text

    class Remaining(ProgressColumn):
        """The caller's own estimate when it has one (training stops early on patience), else rich's."""

        fallback = TimeRemainingColumn()

        def render(self, task: RichTask) -> Text:
            eta = task.fields.get("eta")
            if eta is None:
                return self.fallback.render(task)
            return Text(clock(eta), style="progress.remaining")

    console = Console(file=stream or sys.stderr)
    class Elastic(ProgressColumn):
        """A field that gives way on a narrow terminal: its column may shrink, its text ends in an ellipsis."""

        def __init__(self, field: str, most: int | None = None) -> None:
            super().__init__(table_column=Column(no_wrap=False, overflow="ellipsis", max_width=most))
            self.field = field

        def render(self, task: RichTask) -> Text:
            value = task.description if self.field == "description" else task.fields.get(self.field, "")
            return Text(str(value), no_wrap=True, overflow="ellipsis")

    # At 80 columns the step count, elapsed and remaining time stay whole: only the description and the status
    # (loss, dev score) give way; the bar is shorter on narrow terminals.
    def fixed() -> Column:
        return Column(no_wrap=True)

    return Progress(
        Elastic("description", 32),
        BarColumn(bar_width=24 if console.width >= 120 else 10, table_column=fixed()),
        MofNCompleteColumn(table_column=fixed()),
        Elastic("status"),
        TimeElapsedColumn(table_column=fixed()),
        TextColumn("ETA", table_column=fixed()),
        Remaining(table_column=fixed()),
        console=console,
        transient=True,
        refresh_per_second=8,
    )


def reporter_for(stream: IO[str] | None = None, quiet: bool = False) -> Reporter:
    """The reporter a command should install: nothing with ``quiet``, live lines on a terminal, plain lines else."""
    if quiet:
        return NullReporter()
    target = stream or sys.stderr
    if bool(getattr(target, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb":
        return RichReporter(stream)
    return PlainReporter(stream)


# NullReporter holds no state, so one instance shared as the default is safe.
_current: ContextVar[Reporter] = ContextVar("nerspec_progress_reporter", default=NullReporter())  # noqa: B039


def current() -> Reporter:
    return _current.get()


@contextmanager
def use(reporter: Reporter) -> Iterator[Reporter]:
    """Install ``reporter`` for the work done inside the block (the command layer calls this)."""
    token = _current.set(reporter)
    try:
        yield reporter
    finally:
        _current.reset(token)


def announce(line: str, reporter: Reporter | None = None) -> None:
    """One line now, outside any task's rhythm (a stalled backend being retried); nothing when quiet."""
    say = getattr(reporter or _current.get(), "announce", None)
    if say is not None:
        say(line)


@contextmanager
def task(description: str, total: float | None = None) -> Iterator[Task]:
    """A task on the current reporter, closed when the block ends (also on errors)."""
    handle = _current.get().task(description, total)
    try:
        yield handle
    finally:
        handle.close()


def track(items: Iterable[T], description: str, total: int | None = None, min_total: int = 0) -> Iterator[T]:
    """Yield ``items`` while advancing a task; no task at all when ``total`` is below ``min_total``."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if min_total and (total is None or total < min_total):
        yield from items
        return
    with task(description, total) as handle:
        for item in items:
            yield item
            handle.update(advance=1)
