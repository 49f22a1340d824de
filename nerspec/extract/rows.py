"""A partition of ``nerspec extract``'s input (``nerspec.extract.partitions``) read back as rows.

Reading never raises for a bad record: every physical line, file or row yields exactly one ``Row``, either
with a text or with the reason it cannot be analyzed (missing text, invalid JSON, invalid UTF-8, over the
size limit). Blank jsonl lines yield a row with ``skip=True``, so a partition always yields ``count`` rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from nerspec import safeio, values
from nerspec.extract.partitions import DEFAULT_MAX_CHARS, Partition
from nerspec.strict_json import loads


@dataclass
class Row:
    """One document of a partition: ``text`` to analyze, or the ``error`` that keeps it out."""

    index: int
    id: str
    location: str
    text: str | None = None
    error: str | None = None
    skip: bool = False
    language: str | None = None  # a jsonl record's own `language`, as `nerspec predict` reads it


def read_rows(partition: Partition, max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Row]:
    """Exactly ``partition.count`` rows; bad records become rows with an ``error``, never an exception."""
    reader = {"jsonl": _read_jsonl, "txt": _read_txt, "parquet": _read_parquet}[partition.kind]
    for row in reader(partition, max_chars):
        if row.error is None and not row.skip and _unencodable(row.id):  # a file name that is not UTF-8
            row.error, row.text = "invalid id: the file name is not valid UTF-8", None
        if row.text is not None and row.error is None:
            row.error = text_problem(row.text, max_chars)
            if row.error is not None:
                row.text = None
        yield row


def _unencodable(text: str) -> bool:
    try:
        values.text(text, "id")
    except ValueError:
        return True
    return False


def text_problem(text: str, max_chars: int) -> str | None:
    """Why a text cannot be analyzed, or None."""
    if not text.strip():
        return "missing text: the text is empty"
    if len(text) > max_chars:
        return f"over the size limit: {len(text)} characters (limit {max_chars}, --max-chars)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "invalid UTF-8: the text contains an unpaired surrogate"
    return None


def _line_limit(max_chars: int) -> int:
    """Bytes a jsonl line may take for a text of ``max_chars``: 12 per character (an astral character written
    as two ``\\uXXXX`` escapes) plus room for the id and keys. Longer lines are not read into memory."""
    return 12 * max_chars + 65_536


_BOM = b"\xef\xbb\xbf"


def _read_jsonl(partition: Partition, max_chars: int) -> Iterator[Row]:
    rel = partition.files[0]
    path = Path(partition.root) / rel
    limit = _line_limit(max_chars)
    with open(path, "rb") as handle:
        handle.seek(partition.start)
        remaining = partition.end - partition.start
        for number in range(partition.first_line, partition.first_line + partition.count):
            location = f"{rel}:{number}"
            raw = handle.readline(min(remaining, limit)) if remaining > 0 else b""
            remaining -= len(raw)
            if len(raw) >= limit and not raw.endswith(b"\n"):
                remaining -= _skip_line(handle, remaining)
                yield Row(number - partition.first_line, location, location,
                          error=f"over the size limit: the line is longer than {limit} bytes (--max-chars)")
                continue
            if number == 1:  # an editor's byte order mark is not JSON
                raw = raw.removeprefix(_BOM)
            yield _jsonl_row(number - partition.first_line, location, raw)


def _skip_line(handle: IO[bytes], remaining: int) -> int:
    """Read and drop the rest of a line in bounded chunks; the number of bytes skipped."""
    skipped = 0
    while remaining - skipped > 0:
        chunk = handle.readline(min(1 << 20, remaining - skipped))
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            break
    return skipped


def _jsonl_row(index: int, location: str, raw: bytes) -> Row:
    fallback = location
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Row(index, fallback, location, error=f"invalid UTF-8 at byte {exc.start} of the line")
    if not line.strip():
        return Row(index, fallback, location, skip=True)
    try:
        record = loads(line)  # bounded numbers; too deep is a decode error, not a RecursionError
    except ValueError as exc:
        return Row(index, fallback, location, error=f"invalid JSON: {exc}")
    if not isinstance(record, dict):
        return Row(index, fallback, location, error="expected an object with `id` and `text`")
    try:
        doc_id = values.document_id(record["id"]) if record.get("id") is not None else fallback
        values.text(doc_id, "id")
    except ValueError as exc:  # an id that cannot be written back (a list, "", "\ud800") is the record's error
        return Row(index, fallback, location, error=f"invalid id: {exc}")
    text = record.get("text")
    if text is None:
        return Row(index, doc_id, location, error="missing text: no `text` field")
    if not isinstance(text, str):
        return Row(index, doc_id, location, error=f"`text` must be a string, not {type(text).__name__}")
    language = record.get("language")
    if language is not None and not isinstance(language, str):
        return Row(index, doc_id, location, error="`language` must be a string such as `de`")
    try:
        values.text(language or "", "language")
    except ValueError as exc:
        return Row(index, doc_id, location, error=f"invalid language: {exc}")
    return Row(index, doc_id, location, text=text, language=language or None)


def _read_txt(partition: Partition, max_chars: int) -> Iterator[Row]:
    for index, rel in enumerate(partition.files):
        try:
            path = Path(partition.root) / rel
            if path.stat().st_size > 4 * max_chars:  # more than max_chars however it decodes: don't read it
                yield Row(index, rel, rel, error=f"over the size limit: {path.stat().st_size} bytes "
                                                 f"(limit {max_chars} characters, --max-chars)")
                continue
            raw = safeio.read_bytes(path)
        except OSError as exc:
            yield Row(index, rel, rel, error=f"unreadable: {exc.strerror or exc}")
            continue
        try:
            text = raw.removeprefix(_BOM).decode("utf-8")  # a byte order mark is not part of the text
        except UnicodeDecodeError as exc:
            yield Row(index, rel, rel, error=f"invalid UTF-8 at byte {exc.start}")
            continue
        yield Row(index, rel, rel, text=text)


def _read_parquet(partition: Partition, max_chars: int) -> Iterator[Row]:
    import pyarrow.parquet as pq

    rel = partition.files[0]
    handle = pq.ParquetFile(Path(partition.root) / rel)
    columns = [partition.text_column] + ([partition.id_column] if partition.id_column else [])
    # Only the row groups that overlap the range are read, so a partition costs its own rows, not the file.
    groups, first_row, row = [], None, 0
    for number in range(handle.metadata.num_row_groups):
        n = handle.metadata.row_group(number).num_rows
        if row < partition.end and row + n > partition.start:
            groups.append(number)
            first_row = row if first_row is None else first_row
        row += n
    table = handle.read_row_groups(groups, columns=columns) if groups else None
    if table is None:
        return
    table = table.slice(partition.start - (first_row or 0), partition.count)
    texts = table.column(partition.text_column).to_pylist()
    ids = table.column(partition.id_column).to_pylist() if partition.id_column else [None] * len(texts)
    for index, (doc_id, text) in enumerate(zip(ids, texts)):
        location = f"{rel}:row {partition.start + index}"
        try:  # as a jsonl id: a struct or a float (nan) is the row's error, not its Python text as the id
            key = values.text(values.document_id(doc_id), "id") if doc_id is not None else location
        except ValueError as exc:
            yield Row(index, location, location, error=f"invalid id: {exc}")
            continue
        if text is None:
            yield Row(index, key, location, error="missing text: null")
        elif isinstance(text, bytes):
            try:
                yield Row(index, key, location, text=text.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield Row(index, key, location, error=f"invalid UTF-8 at byte {exc.start}")
        elif not isinstance(text, str):
            yield Row(index, key, location, error=f"text must be a string, not {type(text).__name__}")
        else:
            yield Row(index, key, location, text=text)
