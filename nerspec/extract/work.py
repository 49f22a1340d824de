"""The analysis every engine runs: rows -> ``nerspec.predict`` (the one prediction path) -> record payloads.

``Analyzer`` loads the model once (per process or Ray actor) and turns rows into ``(id, payload)`` pairs, the
payload being the JSON of exactly what ``Predictor.pipe`` returns for the text, offsets converted to the
requested string index type as the API does. A batch that makes the model fail is retried document by
document, so one poisonous text becomes an error record instead of stopping the job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from nerspec.extract.outputs import Encoded, PartitionResult, Settings, encode, write
from nerspec.extract.partitions import Partition
from nerspec.extract.rows import Row, read_rows
from nerspec.predictions import Prediction, to_json


class Analyzer:
    def __init__(self, artifact_dir: Path, settings: Settings, batch_size: int = 64) -> None:
        from nerspec.predict import load

        if settings.beam_width is None:
            self.predictor = load(artifact_dir)
        else:
            self.predictor = load(artifact_dir, beam_width=settings.beam_width)
        self.settings = settings
        self.batch_size = batch_size
        self.ner = self.predictor.result_key == "entities"

    def analyze(self, rows: list[Row]) -> list[tuple[str | None, str | None]]:
        """Per row (all with a text), in order: (payload JSON, None) or (None, why the model failed)."""
        texts = [row.text or "" for row in rows]
        languages = [row.language for row in rows]
        try:
            results: list[Prediction | Exception] = list(self.predictor.pipe(texts, batch_size=self.batch_size, languages=languages))
        except Exception:  # a model failure on some text: find it, keep the others
            results = [self._one(text, language) for text, language in zip(texts, languages)]
        out: list[tuple[str | None, str | None]] = []
        for text, language, result in zip(texts, languages, results):
            if isinstance(result, Exception):
                out.append((None, f"prediction failed: {type(result).__name__}: {result}"))
            else:
                out.append((self._payload(text, language, result), None))
        return out

    def _one(self, text: str, language: str | None) -> Prediction | Exception:
        try:
            return self.predictor.predict([text], languages=[language])[0]
        except Exception as exc:
            return exc

    def _payload(self, text: str, language: str | None, result: Prediction) -> str:
        """The record's fields after ``id``, as ``nerspec predict`` writes them: the result, then any warnings."""
        if self.ner and self.settings.string_index_type != "UnicodeCodePoint":
            from nerspec.serve.units import convert_entities

            result = convert_entities(text, result, self.settings.string_index_type)
        tail = f'"{self.predictor.result_key}": {json.dumps(to_json(result), ensure_ascii=False)}'
        if language is not None and not self.predictor.covers(language):
            from nerspec.serve.limits import language_warning

            warnings = [language_warning(language, self.predictor.languages)]
            tail += f', "warnings": {json.dumps(warnings, ensure_ascii=False)}'
        return tail


def error_record(row: Row, reason: str | None = None) -> dict[str, str]:
    return {"id": row.id, "location": row.location, "reason": reason or row.error or "unknown"}


def analyze_partition(
    analyzer: Analyzer,
    partition: Partition,
    on_documents: Callable[[int], None] | None = None,
) -> Encoded:
    """Read and analyze one partition into the bytes of its files (every engine's unit of work)."""
    started = time.perf_counter()
    rows = list(read_rows(partition, analyzer.settings.max_chars))
    outcome: dict[int, tuple[str | None, str | None]] = {}
    good = [row for row in rows if not row.skip and row.error is None and row.text is not None]
    step = max(analyzer.batch_size * 4, 1)
    for start in range(0, len(good), step):
        chunk = good[start : start + step]
        outcome.update((row.index, got) for row, got in zip(chunk, analyzer.analyze(chunk)))
        if on_documents is not None:
            on_documents(len(chunk))
    if on_documents is not None and len(rows) > len(good):
        on_documents(len(rows) - len(good))  # blank lines and bad records: done too, for the progress total
    records: list[tuple[str, str]] = []
    errors: list[dict[str, str]] = []
    for row in rows:
        if row.skip:
            continue
        payload, reason = outcome.get(row.index, (None, None))
        if payload is not None:
            records.append((row.id, payload))
        else:
            errors.append(error_record(row, reason))
    return encode(partition, records, errors, analyzer.settings,
                  blank=sum(1 for row in rows if row.skip), seconds=time.perf_counter() - started)


def run_partition(
    analyzer: Analyzer,
    partition: Partition,
    out_dir: Path,
    on_documents: Callable[[int], None] | None = None,
) -> PartitionResult:
    """Read, analyze and commit one partition (the local engine's unit of work)."""
    return write(out_dir, partition, analyze_partition(analyzer, partition, on_documents), analyzer.settings)
