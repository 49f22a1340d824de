"""``nerspec.extract(...)``: plan partitions, skip the finished ones, run the rest on an engine, write the summary.

Core code: it never prints. Progress (documents, docs/s, ETA) goes to the current ``nerspec.progress`` reporter,
which the command layer installs: an updating line on a terminal, periodic plain lines in CI, nothing when quiet
or when called as a library.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import progress
from nerspec.errors import NerspecError
from nerspec.extract.engines import get_engine
from nerspec.extract.job import Job
from nerspec.extract.outputs import (
    PartitionResult,
    Settings,
    checked_output,
    finished,
    owned,
    remove_stale,
    write_summary,
    writing,
)
from nerspec.extract.partitions import DEFAULT_MAX_CHARS, DEFAULT_PARTITION_SIZE, plan_partitions
from nerspec.predict_scoring import uncalibrated_note
from nerspec.progress import Task
from nerspec.timestamps import utc_timestamp

if TYPE_CHECKING:
    from nerspec.artifacts.layout import ModelArtifact as Artifact
    from nerspec.extract.partitions import Partition
    from nerspec.paths import StateArg

STRING_INDEX_TYPES = ("UnicodeCodePoint", "Utf16CodeUnit", "TextElement_v8")


@dataclass
class ExtractSummary:
    fingerprint: str
    project: str
    engine: str
    output: str
    partitions: int
    partitions_run: int
    partitions_skipped: int
    documents: int  # records written, this run and earlier ones
    errors: int
    documents_run: int  # documents analyzed by this run
    seconds: float
    documents_per_second: float
    failures: dict[str, int] = field(default_factory=dict)  # reason -> count
    error_examples: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the scores, e.g. a beam that serves them raw

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


class _Events:
    """What engines report, turned into the progress task's documents, docs/s and ETA.

    Engines may report documents from another thread (the local engine's queue reader), hence the lock.
    """

    def __init__(self, bar: Task, total: int, done: int) -> None:
        self.bar = bar
        self.total = total
        self.done = done
        self.analyzed = 0
        self.started = time.monotonic()
        self.results: list[PartitionResult] = []
        self._lock = threading.Lock()

    def documents(self, count: int) -> None:
        with self._lock:
            self.done += count
            self.analyzed += count
            elapsed = time.monotonic() - self.started
            rate = self.analyzed / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else None
            self.bar.update(self.done, status=f"{rate:,.0f} docs/s", eta=eta)

    def partition(self, result: PartitionResult) -> None:
        self.results.append(result)


def extract(
    path: str | Path,
    *,
    input: str | Path,  # noqa: A002 - the CLI option's name
    output: str | Path,
    deployment: str = "production",
    state: StateArg = None,
    engine: str = "local",
    partition_size: int = DEFAULT_PARTITION_SIZE,
    workers: int | None = None,
    batch_size: int = 64,
    string_index_type: str = "UnicodeCodePoint",
    text_column: str = "text",
    id_column: str = "id",
    max_chars: int = DEFAULT_MAX_CHARS,
    beam_width: int | None = None,
    ray_address: str | None = None,
) -> ExtractSummary:
    """Analyze every document of ``input`` with the model of ``path`` (project + deployment, or an artifact).

    Writes one output per partition into ``output`` (see ``nerspec.extract.outputs``); partitions finished by
    an earlier run with the same model and settings are skipped. Returns the summary also written to
    ``output/_summary.json``.
    """
    from nerspec.kinds import kind_of
    from nerspec.predict import resolve
    from nerspec.train.artifact import read_artifact

    if string_index_type not in STRING_INDEX_TYPES:
        raise NerspecError(f"--string-index-type must be one of {', '.join(STRING_INDEX_TYPES)}")
    if batch_size < 1 or (workers is not None and workers < 1) or max_chars < 1:
        raise NerspecError("batch size, workers and max chars must be at least 1")
    artifact = read_artifact(resolve(path, deployment, state))
    out_dir = checked_output(Path(output))
    partitions = plan_partitions(input, partition_size, text_column=text_column, id_column=id_column,
                                 exclude=out_dir)
    key = kind_of(str(artifact.meta.kind)).result_key
    settings = Settings(artifact.fingerprint, key, string_index_type, beam_width, max_chars)
    with writing(out_dir), owned(out_dir, (p.id for p in partitions)):
        remove_stale(out_dir, {p.id for p in partitions})
        done = {p.id: r for p in partitions if (r := finished(out_dir, p, settings)) is not None}
        pending = [p for p in partitions if p.id not in done]
        done_docs = sum(r.records + r.errors + r.blank for r in done.values())
        total = done_docs + sum(p.count for p in pending)
        job = Job(artifact.path, out_dir, settings, workers, batch_size, ray_address)
        started = time.perf_counter()
        with progress.task("extract documents", total=total) as bar:
            if done_docs:
                bar.update(done_docs, status=f"{done_docs:,} done before")
            events = _Events(bar, total, done_docs)
            get_engine(engine).run(job, pending, events)
        seconds = time.perf_counter() - started
        notes = [note for note in [uncalibrated_note(artifact.meta, beam_width)] if note]
        summary = _summarize(artifact, engine, out_dir, partitions, list(done.values()), events.results, seconds,
                             notes)
        by_project = Path(path).resolve() not in (artifact.path.resolve(), (artifact.path / "model").resolve())
        write_summary(out_dir, {**summary.to_json(), "finished": utc_timestamp(),
                                "deployment": deployment if by_project else None,
                                "settings": settings.as_dict(), "input": str(input)})
    return summary


def _summarize(artifact: Artifact, engine: str, out_dir: Path, partitions: list[Partition], skipped: list[PartitionResult],
               ran: list[PartitionResult], seconds: float, notes: list[str]) -> ExtractSummary:
    everything = skipped + ran
    failures: dict[str, int] = {}
    for result in everything:
        for reason, count in result.reasons.items():
            failures[reason] = failures.get(reason, 0) + count
    examples = [e for r in everything for e in r.first_errors][:10]
    documents_run = sum(r.records + r.errors for r in ran)
    return ExtractSummary(
        fingerprint=artifact.fingerprint,
        project=str(artifact.meta.project),
        engine=engine,
        output=str(out_dir),
        partitions=len(partitions),
        partitions_run=len(ran),
        partitions_skipped=len(skipped),
        documents=sum(r.records for r in everything),
        errors=sum(r.errors for r in everything),
        documents_run=documents_run,
        seconds=round(seconds, 3),
        documents_per_second=round(documents_run / seconds, 1) if seconds > 0 else 0.0,
        failures=failures,
        error_examples=examples,
        notes=notes,
    )
