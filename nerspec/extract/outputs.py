"""What ``nerspec extract`` writes: one output and errors file per partition, a marker per finished partition,
and the job summary, all atomically (``nerspec.atomic``).

Per partition ``P`` of the output directory:

- ``P.jsonl`` (or ``P.parquet`` for Parquet input): one record per analyzed document. A jsonl record is the line
  ``nerspec predict`` writes for the same text (``{"id": ..., "entities": [...]}`` or ``"classes"``) with the
  model's fingerprint appended as a last key: ``{"id": ..., "entities": [...], "modelFingerprint": ...}``.
  Parquet has the columns ``id``, ``entities`` (or ``classes``: that same JSON text), ``warnings`` (JSON or null)
  and ``modelFingerprint``.
- ``P.errors.jsonl``: ``{"id", "location", "reason"}`` per record that could not be analyzed (only when any).
- ``_parts/P.json``: the marker, written last. A partition counts as finished only when its marker names the
  same model fingerprint, settings and input digest, and the output file still has the recorded sha256.

``_summary.json`` records the fingerprint, counts, failures and throughput of the last run.

One run writes a directory at a time: ``owned`` holds ``_lock`` with ``flock`` (the kernel lets go when the
process dies, SIGKILL included), so the temporary files a killed run left behind can be removed safely.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nerspec import atomic, safeio
from nerspec.errors import NerspecError
from nerspec.extract.partitions import Partition

MARKERS = "_parts"
SUMMARY = "_summary.json"
ERRORS_SUFFIX = ".errors.jsonl"
LOCK = "_lock"


@dataclass(frozen=True)
class Settings:
    """Everything that changes the bytes of an output: a marker with other settings is not finished."""

    fingerprint: str
    result_key: str
    string_index_type: str = "UnicodeCodePoint"
    beam_width: int | None = None
    max_chars: int = 125_000

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class PartitionResult:
    partition: str
    records: int
    errors: int
    blank: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    first_errors: list[dict[str, str]] = field(default_factory=list)


def jsonl_line(doc_id: str, payload: str, fingerprint: str) -> str:
    """``nerspec predict``'s record for the text, plus ``modelFingerprint``.

    ``payload`` is the record's JSON after ``id`` (``"entities": [...]`` and, for a language the model was not
    trained for, ``, "warnings": [...]``), produced once by ``nerspec.extract.work.Analyzer``.
    """
    head = json.dumps(doc_id, ensure_ascii=False)
    return f'{{"id": {head}, {payload}, "modelFingerprint": "{fingerprint}"}}\n'


def _dumps(value: object, indent: int | None = None) -> str:
    """JSON as UTF-8 text; a file name that is not UTF-8 (a surrogate-escaped byte in an error record's id or
    location) is written as a ``\\udcXX`` escape rather than failing the whole run."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, indent=indent)
    return text


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _encode(partition: Partition, records: list[tuple[str, str]], settings: Settings) -> bytes:
    if partition.output_suffix == ".jsonl":
        fp = settings.fingerprint
        return "".join(jsonl_line(doc_id, payload, fp) for doc_id, payload in records).encode("utf-8")
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    key = settings.result_key
    parsed = [json.loads("{" + payload + "}") for _, payload in records]
    table = pa.table({
        "id": pa.array([r[0] for r in records], type=pa.string()),
        key: pa.array([json.dumps(p[key], ensure_ascii=False) for p in parsed], type=pa.string()),
        "warnings": pa.array([json.dumps(p["warnings"], ensure_ascii=False) if "warnings" in p else None
                              for p in parsed], type=pa.string()),
        "modelFingerprint": pa.array([settings.fingerprint] * len(records), type=pa.string()),
    })
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@dataclass(frozen=True)
class Encoded:
    """A partition's files as bytes, ready to write: made where the work ran (a Ray actor), written by the driver."""

    partition: str
    output: bytes
    errors: str  # the errors file's text; empty when every record was analyzed
    result: PartitionResult


def encode(
    partition: Partition,
    records: list[tuple[str, str]],
    errors: list[dict[str, str]],
    settings: Settings,
    *,
    blank: int = 0,
    seconds: float = 0.0,
) -> Encoded:
    """The bytes of the partition's output and errors file, and its result (what ``commit`` writes)."""
    reasons: dict[str, int] = {}
    for error in errors:
        reason = error["reason"].split(":")[0]
        reasons[reason] = reasons.get(reason, 0) + 1
    result = PartitionResult(partition.id, len(records), len(errors), blank, round(seconds, 3), reasons, errors[:5])
    text = "".join(_dumps(e) + "\n" for e in errors)
    return Encoded(partition.id, _encode(partition, records, settings), text, result)


def write(out_dir: Path, partition: Partition, encoded: Encoded, settings: Settings) -> PartitionResult:
    """Write the partition's errors, output and (last) marker, each atomically."""
    errors_path = out_dir / f"{partition.id}{ERRORS_SUFFIX}"
    if encoded.errors:
        atomic.write_text(errors_path, encoded.errors)
    else:
        errors_path.unlink(missing_ok=True)  # left by an earlier run of other settings
    output = f"{partition.id}{partition.output_suffix}"
    atomic.write_bytes(out_dir / output, encoded.output)
    marker = {
        "partition": partition.id,
        "digest": partition.digest,
        "settings": settings.as_dict(),
        "output": output,
        "output_sha256": _sha256(encoded.output),
        "errors_file": errors_path.name if encoded.errors else None,
        "result": asdict(encoded.result),
    }
    atomic.write_text(out_dir / MARKERS / f"{partition.id}.json", json.dumps(marker, indent=1) + "\n")
    return encoded.result


def commit(
    out_dir: Path,
    partition: Partition,
    records: list[tuple[str, str]],
    errors: list[dict[str, str]],
    settings: Settings,
    *,
    blank: int = 0,
    seconds: float = 0.0,
) -> PartitionResult:
    """Encode and write the partition's files (``encode`` then ``write``)."""
    return write(out_dir, partition, encode(partition, records, errors, settings, blank=blank, seconds=seconds),
                 settings)


def finished(out_dir: Path, partition: Partition, settings: Settings) -> PartitionResult | None:
    """The recorded result when ``partition`` is done with exactly these settings and input, else None."""
    marker = read_marker(out_dir, partition.id)
    if marker is None or marker.get("digest") != partition.digest or marker.get("settings") != settings.as_dict():
        return None
    try:
        data = safeio.read_bytes(out_dir / str(marker["output"]))
    except (OSError, KeyError):
        return None
    if _sha256(data) != marker.get("output_sha256"):
        return None
    return _recorded_result(marker.get("result"))


def _recorded_result(recorded: object) -> PartitionResult | None:
    """A marker's result when every field has its type (a hand-edited one reruns the partition: it was exit 70)."""
    try:
        result = PartitionResult(**recorded) if isinstance(recorded, dict) else None
    except TypeError:
        return None
    if result is None:
        return None
    counts = (result.records, result.errors, result.blank)
    typed = (isinstance(result.partition, str) and all(type(n) is int for n in counts)
             and type(result.seconds) in (int, float) and isinstance(result.reasons, dict)
             and all(isinstance(k, str) and type(v) is int for k, v in result.reasons.items())
             and isinstance(result.first_errors, list) and all(isinstance(e, dict) for e in result.first_errors))
    return result if typed else None


def read_marker(out_dir: Path, partition_id: str) -> dict[str, object] | None:
    try:
        marker = json.loads(safeio.read_text(out_dir / MARKERS / f"{partition_id}.json"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def remove_stale(out_dir: Path, keep: set[str]) -> list[str]:
    """Delete the outputs of partitions that are no longer in the plan (other inputs or partition size).

    Only files a marker of ours names are removed, so nothing else in the directory is touched.
    """
    removed: list[str] = []
    markers = out_dir / MARKERS
    if not markers.is_dir():
        return removed
    for file in sorted(markers.glob("*.json")):
        if file.stem in keep:
            continue
        marker = read_marker(out_dir, file.stem) or {}
        for name in (marker.get("output"), marker.get("errors_file")):
            if isinstance(name, str) and "/" not in name and name.startswith(file.stem):
                (out_dir / name).unlink(missing_ok=True)
        file.unlink(missing_ok=True)
        removed.append(file.stem)
    return removed


def write_summary(out_dir: Path, summary: Mapping[str, object]) -> None:
    atomic.write_text(out_dir / SUMMARY, _dumps(summary, indent=2) + "\n")


@contextmanager
def owned(out_dir: Path, partition_ids: Iterable[str]) -> Iterator[None]:
    """Hold ``out_dir`` for this run and remove the temporary files of a run that was killed mid-write.

    ``flock`` rather than a lock file with a pid: the kernel releases it with the process, so a SIGKILLed
    run never leaves a stale lock, and while we hold it no other run can be writing a temporary file here.
    """
    import fcntl

    out_dir.mkdir(parents=True, exist_ok=True)
    checked_output(out_dir)  # again, now that it exists: it may have been swapped for a link meanwhile
    fd = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NerspecError(
                f"{out_dir}: another `nerspec extract` is writing this output directory; wait for it to finish "
                "or choose another --output"
            ) from None
        _remove_temporary(out_dir, set(partition_ids))
        yield
    finally:
        os.close(fd)


def checked_output(out_dir: Path) -> Path:
    """``out_dir``, refused when it or a folder nerspec writes inside it is a symbolic link (an output linked to
    ``/etc`` wrote nerspec's files there), or when it is something other than a directory."""
    for path in (out_dir, out_dir / MARKERS):
        if path.is_symlink():
            raise NerspecError(f"{path}: the output directory is a symbolic link; give the real directory as --output")
    if out_dir.exists() and not out_dir.is_dir():
        raise NerspecError(f"{out_dir}: the output exists and is not a directory")
    return out_dir


@contextmanager
def writing(out_dir: Path) -> Iterator[None]:
    """An output that cannot be written (read-only, full, ``/proc``, permissions) ends the run with its reason and
    exit 1, however deep the write failed (a worker's error comes back through its future)."""
    try:
        yield
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or exc.__class__.__name__
        raise NerspecError(f"cannot write the output {out_dir}: {where}{reason}") from None


def _remove_temporary(out_dir: Path, partition_ids: set[str]) -> None:
    """``nerspec.atomic``'s ``.<name>.<random>.tmp`` files of our own outputs, markers and summary."""
    ours = (*partition_ids, SUMMARY)
    for folder in (out_dir, out_dir / MARKERS):
        if not folder.is_dir():
            continue
        for file in folder.glob(".*.tmp"):
            if folder != out_dir or file.name[1:].startswith(ours):
                file.unlink(missing_ok=True)
