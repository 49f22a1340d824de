"""Inputs of ``nerspec extract`` cut into partitions, and reading a partition back as rows.

A partition is a small, picklable description of a slice of the input (a byte range of a jsonl file, a
row range of a Parquet file, or a group of ``.txt`` files), so any process (a local worker, a Ray task)
can read it without the driver shipping the texts. Its ``id`` is stable for the same inputs and partition
size, and its ``digest`` (paths, sizes, mtimes, ranges) tells a resumed run whether the finished output
still describes the same input.

Reading never raises for a bad record: every physical line, file or row yields exactly one ``Row``, either
with a text or with the reason it cannot be analyzed (missing text, invalid JSON, invalid UTF-8, over the
size limit). Blank jsonl lines yield a row with ``skip=True``, so a partition always yields ``count`` rows.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from nerspec import values
from nerspec.errors import NerspecError
from nerspec.strict_json import loads

JSONL_SUFFIXES = (".jsonl", ".ndjson")
TXT_SUFFIXES = (".txt",)
PARQUET_SUFFIXES = (".parquet", ".pq")
DEFAULT_PARTITION_SIZE = 1000
DEFAULT_MAX_CHARS = 125_000  # the reference API's per-document limit (``nerspec.serve.limits.MAX_CHARACTERS``)


class InputError(NerspecError):
    """The input of an extraction cannot be listed or planned (the job does not start)."""


@dataclass(frozen=True)
class Partition:
    """A slice of the input. ``kind``: jsonl (bytes start..end of one file), parquet (rows start..end), txt."""

    id: str
    kind: str
    root: str  # the input directory that ids and relative paths are relative to
    files: tuple[str, ...]  # relative paths
    start: int = 0
    end: int = 0
    count: int = 0  # rows this partition yields (lines, rows or files)
    first_line: int = 1
    stats: tuple[tuple[int, int], ...] = ()  # (size, mtime_ns) per file, for the digest
    text_column: str = "text"
    id_column: str = "id"

    @property
    def output_suffix(self) -> str:
        return ".parquet" if self.kind == "parquet" else ".jsonl"

    @property
    def digest(self) -> str:
        raw = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Partition:
        data = json.loads(raw)
        data["files"] = tuple(data["files"])
        data["stats"] = tuple(tuple(s) for s in data["stats"])
        return cls(**data)


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



def list_inputs(spec: str | Path, exclude: Path | None = None) -> tuple[Path, list[Path]]:
    """(root, files): a directory (recursively, known suffixes, no hidden files), a glob, or one file."""
    text = str(spec)
    known = JSONL_SUFFIXES + TXT_SUFFIXES + PARQUET_SUFFIXES
    if any(ch in text for ch in "*?["):
        root = _glob_root(text)
        files = [Path(p) for p in glob.glob(text, recursive=True)]
    else:
        path = Path(text)
        if not path.exists():
            raise InputError(f"{text}: no such file or directory")
        if path.is_file():
            root, files = path.parent, [path]
        else:
            root = path
            files = [p for p in path.rglob("*") if p.suffix.lower() in known]
    excluded = exclude.resolve() if exclude is not None else None
    chosen = []
    for file in files:
        rel = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
        if any(part.startswith(".") for part in rel.parts) or not file.is_file():
            continue
        if excluded is not None and file.resolve().is_relative_to(excluded):
            continue  # never read our own outputs back as inputs
        if file.suffix.lower() not in known:
            raise InputError(f"{file}: unsupported input (expected {', '.join(known)})")
        chosen.append(file)
    if not chosen:
        raise InputError(f"{text}: no input files (.jsonl, .txt or .parquet)")
    return root, sorted(chosen)


def _glob_root(pattern: str) -> Path:
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")



def plan_partitions(
    spec: str | Path,
    size: int = DEFAULT_PARTITION_SIZE,
    *,
    text_column: str = "text",
    id_column: str = "id",
    exclude: Path | None = None,
) -> list[Partition]:
    """Every partition of the input, in a stable order (by file, then by position)."""
    if size < 1:
        raise InputError("the partition size must be at least 1")
    root, files = list_inputs(spec, exclude)
    partitions: list[Partition] = []
    txt: list[Path] = []
    for file in files:
        suffix = file.suffix.lower()
        if suffix in TXT_SUFFIXES:
            txt.append(file)
        elif suffix in JSONL_SUFFIXES:
            partitions.extend(_jsonl_partitions(root, file, size))
        else:
            partitions.extend(_parquet_partitions(root, file, size, text_column, id_column))
    for number, start in enumerate(range(0, len(txt), size)):
        group = txt[start : start + size]
        partitions.append(Partition(
            id=f"txt-{number:05d}", kind="txt", root=str(root), files=tuple(_rel(root, f) for f in group),
            count=len(group), stats=tuple(_stat(f) for f in group),
        ))
    seen: dict[str, Partition] = {}
    for partition in partitions:
        other = seen.setdefault(partition.id, partition)
        if other is not partition:
            raise InputError(f"{other.files[0]} and {partition.files[0]} map to the same partition id {partition.id}")
    return partitions


def _rel(root: Path, file: Path) -> str:
    return file.relative_to(root).as_posix() if file.is_relative_to(root) else file.name


def _stat(file: Path) -> tuple[int, int]:
    st = file.stat()
    return (st.st_size, st.st_mtime_ns)


def _slug(relpath: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", relpath).strip("._") or "input"


def _jsonl_partitions(root: Path, file: Path, size: int) -> Iterator[Partition]:
    """Byte ranges of ``size`` lines each, found by one pass counting newlines (no JSON parsing)."""
    rel, stat = _rel(root, file), _stat(file)
    starts = [0]
    lines = 0
    offset = 0
    with open(file, "rb") as handle:
        for line in handle:
            offset += len(line)
            lines += 1
            if lines % size == 0:
                starts.append(offset)
    if starts[-1] != offset or offset == 0:
        starts.append(offset)
    for number in range(len(starts) - 1):
        first = number * size
        yield Partition(
            id=f"{_slug(rel)}-{number:05d}", kind="jsonl", root=str(root), files=(rel,),
            start=starts[number], end=starts[number + 1], count=min(size, lines - first),
            first_line=first + 1, stats=(stat,),
        )


def _parquet_partitions(root: Path, file: Path, size: int, text_column: str, id_column: str) -> Iterator[Partition]:
    import pyarrow.parquet as pq

    rel, stat = _rel(root, file), _stat(file)
    try:
        meta = pq.ParquetFile(file)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid/OSError for a damaged file
        raise InputError(f"{file}: not a readable Parquet file: {exc}") from None
    names = meta.schema_arrow.names
    if text_column not in names:
        raise InputError(f"{file}: no column `{text_column}` (columns: {', '.join(names)}); use --text-column")
    rows = meta.metadata.num_rows
    for number, start in enumerate(range(0, max(rows, 1), size)):
        yield Partition(
            id=f"{_slug(rel)}-{number:05d}", kind="parquet", root=str(root), files=(rel,),
            start=start, end=min(rows, start + size), count=max(0, min(rows, start + size) - start),
            stats=(stat,), text_column=text_column, id_column=id_column if id_column in names else "",
        )



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
            raw = path.read_bytes()
        except OSError as exc:
            yield Row(index, rel, rel, error=f"unreadable: {exc.strerror or exc}")
            continue
        try:
            text = raw.decode("utf-8")
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
        key = str(doc_id) if doc_id is not None else location
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


def input_digest_ok(partition: Partition) -> bool:
    """Whether the files still have the sizes and mtimes the partition was planned with."""
    try:
        return all(_stat(Path(partition.root) / rel) == tuple(stat)
                   for rel, stat in zip(partition.files, partition.stats))
    except OSError:
        return False


__all__ = ["Partition", "Row", "InputError", "plan_partitions", "read_rows", "list_inputs", "text_problem",
           "DEFAULT_PARTITION_SIZE", "DEFAULT_MAX_CHARS"]
