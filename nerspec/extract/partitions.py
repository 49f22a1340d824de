"""Inputs of ``nerspec extract`` cut into partitions.

A partition is a small, picklable description of a slice of the input (a byte range of a jsonl file, a
row range of a Parquet file, or a group of ``.txt`` files), so any process (a local worker, a Ray task)
can read it without the driver shipping the texts. Its ``id`` is stable for the same inputs and partition
size, and its ``digest`` (paths, sizes, mtimes, ranges) tells a resumed run whether the finished output
still describes the same input.

Reading a partition back as rows: ``nerspec.extract.rows``.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from nerspec.errors import NerspecError

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


def list_inputs(spec: str | Path, exclude: Path | None = None) -> tuple[Path, list[Path]]:
    """(root, files): a directory (recursively, known suffixes, no hidden files), a glob, or one file."""
    text = str(spec)
    if not text.strip():  # Path("") is the working directory: everything under it, other runs' outputs included
        raise InputError("--input is empty: give a directory, a glob or a file")
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
    if excluded is not None and root.resolve().is_relative_to(excluded):
        raise InputError(f"{text}: inside the output directory {exclude}; give an --output outside the input")
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


def input_digest_ok(partition: Partition) -> bool:
    """Whether the files still have the sizes and mtimes the partition was planned with."""
    try:
        return all(_stat(Path(partition.root) / rel) == tuple(stat)
                   for rel, stat in zip(partition.files, partition.stats))
    except OSError:
        return False


__all__ = ["Partition", "InputError", "plan_partitions", "list_inputs", "DEFAULT_PARTITION_SIZE", "DEFAULT_MAX_CHARS"]
