"""Helpers every format shares: reading files with located errors, display paths."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.model import Span
from nerspec.errors import DataError, Problem
from nerspec.values import MAX_OFFSET, document_id, nfc, offsets

# Sources with at least this many documents show a progress line while their files are read.
LOAD_PROGRESS_MIN = 10_000


def shown(path: Path) -> str:
    from nerspec.manifest.load import display_path

    return display_path(path)


def fail(path: Path, message: str, line: int = 0, col: int = 0, where: str = "") -> DataError:
    return DataError([Problem(shown(path), line, col, where, message)])


def _line_col(data: bytes, byte_offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, byte_offset) + 1
    col = byte_offset - (data.rfind(b"\n", 0, byte_offset) + 1) + 1
    return line, col


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file; a directory, device or FIFO is an error, never a hang."""
    from nerspec import safeio

    try:
        return safeio.read_bytes(path)
    except FileNotFoundError:
        raise fail(path, "no such file") from None
    except safeio.NotRegularFile as exc:
        raise fail(path, str(exc.args[0])) from None
    except MemoryError:
        raise fail(path, "too large to read into memory") from None
    except OSError as exc:
        raise fail(path, f"cannot read: {exc.strerror}") from None


# The manifest's `encoding:` of the data source being read (``None``: strict UTF-8). A context variable rather
# than a parameter of every format's ``read``: formats decode through ``decode`` and stay encoding-agnostic.
_ENCODING: ContextVar[str | None] = ContextVar("nerspec_source_encoding", default=None)


@contextmanager
def source_encoding(encoding: str | None) -> Iterator[None]:
    """Decode the files read inside this block with ``encoding`` (a Python codec name; ``None`` is UTF-8)."""
    token = _ENCODING.set(encoding)
    try:
        yield
    finally:
        _ENCODING.reset(token)


def source_encoding_of() -> str | None:
    """The encoding ``source_encoding`` set for the files being read (``None``: strict UTF-8)."""
    return _ENCODING.get()


def decode(path: Path, data: bytes) -> str:
    """Text in the source's encoding (strict UTF-8 by default); a leading BOM is dropped (editors on Windows
    add one; offsets never count it)."""
    encoding = _ENCODING.get()
    try:
        text = data.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        if encoding is None:
            message = (
                f"not valid UTF-8 at byte offset {exc.start}: {exc.reason} "
                "(set the data source's `encoding:`, e.g. `latin-1`, if the files are not UTF-8)"
            )
        else:
            message = f"not valid {encoding} at byte offset {exc.start}: {exc.reason}"
        raise fail(path, message, line, col) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: Path) -> str:
    return decode(path, read_bytes(path))


def load_json(path: Path) -> JsonValue:
    return parse_json(path).value


def parse_json(path: Path) -> Parsed:
    """The file's JSON (``nerspec.strict_json``: bounded numbers, duplicate keys listed); errors located."""
    from nerspec.strict_json import TOO_DEEP, parse

    data = read_bytes(path)
    text = decode(path, data)
    try:
        return parse(text)
    except json.JSONDecodeError as exc:
        if exc.msg == TOO_DEEP:
            raise fail(path, TOO_DEEP) from None
        byte = len(text[: exc.pos].encode("utf-8"))
        raise fail(path, f"invalid JSON at byte offset {byte}: {exc.msg}", exc.lineno, exc.colno) from None


# Problems one file reports before a reader stops: a file broken throughout says so in a screenful.
MAX_PROBLEMS = 50

# Bounds what one record may hold: a 45 MB line with 3,000,000 spans took minutes and gigabytes to check.
MAX_SPANS_PER_DOCUMENT = 10_000


def at(value: object, key: str | int) -> JsonValue:
    """``value[key]`` on a parsed JSON value whose shape is not checked yet: it fails as indexing does
    (``TypeError``, ``KeyError``, ``IndexError``), and the reader's one ``except`` locates that."""
    return value[key]  # type: ignore[index]


def shape_error(exc: Exception) -> str:
    """What ``at`` (or a converter) failing on a record of the wrong shape means, in the file's words rather
    than Python's (``list index out of range``, ``'NoneType' object is not subscriptable``, ``'label'``)."""
    if isinstance(exc, KeyError):
        return f"missing key `{exc.args[0]}`" if exc.args else "a missing key"
    if isinstance(exc, IndexError):
        return "a span list needs three items: [start, end, label]"
    if isinstance(exc, TypeError) and ("subscriptable" in str(exc) or "indices" in str(exc)):
        return "a span must be a list [start, end, label] or an object with its start, end and label"
    return str(exc)


def span(start: object, end: object, label: object) -> Span:
    """A span read from a file: integer offsets and a string label (in NFC), or ``ValueError`` naming the field."""
    if type(start) is int and type(end) is int and type(label) is str and label.isascii():  # the common case, fast
        if abs(start) <= MAX_OFFSET and abs(end) <= MAX_OFFSET:
            return Span(start, end, label)
    if not isinstance(label, str):
        raise ValueError(f"`label` must be a string, not {type(label).__name__}")
    first, last = offsets(start, end)
    return Span(first, last, nfc(label))


def spans(items: object, convert: Callable[[JsonValue], Span]) -> list[Span]:
    """``convert(item)`` for each item of a list of spans, at most ``MAX_SPANS_PER_DOCUMENT`` of them."""
    if not isinstance(items, list):
        raise ValueError(f"spans must be a list, not {type(items).__name__}")
    if len(items) > MAX_SPANS_PER_DOCUMENT:
        raise ValueError(f"{len(items)} spans in one document; the limit is {MAX_SPANS_PER_DOCUMENT}")
    return [convert(item) for item in items]


def class_names(items: object) -> list[str]:
    """Class labels read from a file: strings (in NFC), or integers (Prodigy's option ids) as their digits."""
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise ValueError(f"labels must be a list of strings, not {type(items).__name__}")
    if len(items) > MAX_SPANS_PER_DOCUMENT:
        raise ValueError(f"{len(items)} labels in one document; the limit is {MAX_SPANS_PER_DOCUMENT}")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise ValueError(f"a label must be a string, not {type(item).__name__}")
    return [nfc(item) if isinstance(item, str) else str(item) for item in items]


def record_id(value: object, fallback: str) -> str:
    """A record's id (``nerspec.values.document_id``), or ``fallback`` when the record has none."""
    return fallback if value is None else document_id(value)


from dataclasses import dataclass  # noqa: E402

if TYPE_CHECKING:
    from nerspec.json_types import JsonValue
    from nerspec.manifest.load import LoadedProject
    from nerspec.strict_json import Parsed


@dataclass(frozen=True)
class ProjectInfo:
    """What an exporter needs to know about the project besides its documents."""

    name: str
    kind: str  # the manifest's kind
    annotates_spans: bool  # labels are spans (entities), else classes of whole documents: the shape an exporter writes
    language: str = "en"
    labels: tuple[str, ...] = ()
    multilabel: bool = False
    description: str = ""
    multilingual: bool = False
    overlapping: bool = False  # ``spec.overlapping``: entities may overlap (a DocBin writes them as a span group)


def project_info(project: LoadedProject) -> ProjectInfo:
    """From a ``LoadedProject``."""
    manifest = project.manifest
    return ProjectInfo(
        name=manifest.metadata.name,
        kind=manifest.kind,
        annotates_spans=manifest.spec.annotates_spans,
        language=manifest.metadata.language,
        labels=tuple(label.name for label in manifest.spec.labels),
        multilabel=manifest.spec.multilabel,
        description=manifest.metadata.description,
        multilingual=manifest.metadata.multilingual,
        overlapping=manifest.spec.overlapping,
    )


# File names that exporters write. A document id is free-form (jsonl ids, conll ``file#N``, Azure
# ``location#region``), a file name is not: these keep names portable (no separators, no Windows
# device names, bounded length) and unique even on case-insensitive, normalising file systems.
# The name is never the identity: exporters that cannot carry an id in the file name record it
# next to it (``azure.write`` writes an ``id`` field), so sanitising here may lose information freely.
_UNSAFE = re.compile(r"[^\w.\-]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))})
MAX_COMPONENT_BYTES = 120  # well under NAME_MAX (255 bytes) with room for ``_N`` and the suffix
MAX_PATH_BYTES = 200  # leaves room for the export directory inside Windows' and tar's path limits


def _fits(name: str, limit: int) -> bool:
    return len(name.encode("utf-8")) <= limit


def _clip(name: str, limit: int, whole: str) -> str:
    """``name`` cut to ``limit`` UTF-8 bytes; a hash of ``whole`` keeps two long ids with one prefix apart."""
    if _fits(name, limit):
        return name
    digest = hashlib.sha256(whole.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    head = name.encode("utf-8")[: limit - len(digest) - 1].decode("utf-8", "ignore")
    return f"{head}-{digest}"


def _component(part: str) -> str:
    # NFC first: a decomposed accent would otherwise become ``_`` (combining marks are not ``\w``).
    part = _UNSAFE.sub("_", unicodedata.normalize("NFC", part)).rstrip(".")  # Windows drops trailing dots
    if part.split(".")[0].lower() in _WINDOWS_DEVICES:
        part = "_" + part
    return part


def safe_file_name(doc_id: str, suffix: str = ".txt") -> str:
    """A portable relative file name for a document id that stays inside the export directory.

    Not unique and not reversible: use ``unique_file_names`` for a set of documents and keep the id
    elsewhere when it must survive a round trip.
    """
    parts = [_component(p) for p in doc_id.replace("\\", "/").split("/")]
    parts = [p for p in parts if p and p not in (".", "..")] or ["doc"]
    stem = "/".join(parts)
    if stem.endswith(suffix):
        stem = stem[: -len(suffix)]
    budget = MAX_COMPONENT_BYTES - len(suffix.encode("utf-8"))
    if not _fits(stem + suffix, MAX_PATH_BYTES):
        return _clip(stem.replace("/", "_"), budget, doc_id) + suffix  # too deep: one flat name
    parts = stem.split("/")
    parts[:-1] = [_clip(p, MAX_COMPONENT_BYTES, doc_id) for p in parts[:-1]]
    parts[-1] = _clip(parts[-1], budget, doc_id)
    return "/".join(parts) + suffix


def _fold(name: str) -> str:
    """The key two names collide under on macOS/Windows file systems (case- and normalisation-insensitive)."""
    return unicodedata.normalize("NFC", name).casefold()


def unique_file_names(doc_ids: Iterable[str], suffix: str = ".txt") -> list[str]:
    """One ``safe_file_name`` per id, all distinct, none a file where another needs a directory.

    A name that collides (ids equal after sanitising or folding, ``a`` next to ``a.txt/b``) is made
    flat and gets ``_2``, ``_3``, ...; deterministic for a given order of ids.
    """
    files: set[str] = set()
    dirs: set[str] = set()
    out: list[str] = []
    for doc_id in doc_ids:
        name = safe_file_name(doc_id, suffix)
        key = _fold(name)
        prefixes = [key[:i] for i, c in enumerate(key) if c == "/"]
        if key in files or key in dirs or any(p in files for p in prefixes):
            # A flat name only has to avoid other names at the top level, so counting up terminates.
            stem = _clip(name[: -len(suffix)].replace("/", "_"), MAX_COMPONENT_BYTES - len(suffix) - 8, doc_id)
            n = 2
            while True:
                name = f"{stem}_{n}{suffix}"
                key = _fold(name)
                if key not in files and key not in dirs:
                    break
                n += 1
            prefixes = []
        files.add(key)
        dirs.update(prefixes)
        out.append(name)
    return out


def lexical_escape(relative: str) -> str | None:
    """Why a path named inside a data file may not be used (absolute, `..`, or a name no file system holds),
    without touching the disk."""
    if "\0" in relative:  # the OS refuses it with a ValueError, not an OSError (was exit 70)
        printable = relative.replace("\0", "\\0")
        return f"`{printable}` contains a NUL character, which no file name can hold"
    if not relative.isascii() and _SURROGATE.search(relative):  # JSON's "\ud800": no file name encodes it
        printable = relative.encode("utf-8", "backslashreplace").decode()
        return f"`{printable}` has a lone surrogate, which no file name can hold"
    posix = relative.replace("\\", "/")
    if posix.startswith("/") or ":" in posix[:3]:
        return f"`{relative}` is absolute; paths are relative to the labels file"
    if ".." in posix and "/../" in f"/{posix}/":
        return f"`{relative}` leaves the project directory (`..` is not allowed)"
    return None


def link_escape(file_name: str, root: Path, inside_dirs: dict[str, bool]) -> str | None:
    """Why a file named inside a data file may not be read: it leaves ``root`` through a symbolic link, or is a link
    loop (directories known to stay inside are cached in ``inside_dirs``: 100k files)."""
    parent = os.path.dirname(file_name)
    try:
        if parent not in inside_dirs:
            resolved, base = Path(parent).resolve(), root.resolve()
            inside_dirs[parent] = resolved == base or base in resolved.parents
        if inside_dirs[parent] and not os.path.islink(file_name):
            return None
        resolved, base = Path(file_name).resolve(), root.resolve()
    except (RuntimeError, OSError):  # a symbolic link loop (Python < 3.13 raises RuntimeError): was exit 70
        return f"`{os.path.basename(file_name)}` is a symbolic link loop"
    if base in resolved.parents:
        return None
    return f"`{os.path.basename(file_name)}` resolves outside the project directory"
