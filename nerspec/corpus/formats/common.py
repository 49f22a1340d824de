"""Helpers every format shares: reading files with located errors, display paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nerspec.errors import DataError, Problem


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
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise fail(path, "no such file") from None
    except IsADirectoryError:
        raise fail(path, "is a directory, expected a file") from None
    except OSError as exc:
        raise fail(path, f"cannot read: {exc.strerror}") from None


def decode(path: Path, data: bytes) -> str:
    """UTF-8 text; a leading BOM is dropped (editors on Windows add one; offsets never count it)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise fail(path, f"not valid UTF-8 at byte offset {exc.start}: {exc.reason}", line, col) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: Path) -> str:
    return decode(path, read_bytes(path))


def load_json(path: Path) -> Any:
    data = read_bytes(path)
    text = decode(path, data)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        byte = len(text[: exc.pos].encode("utf-8"))
        raise fail(path, f"invalid JSON at byte offset {byte}: {exc.msg}", exc.lineno, exc.colno) from None


from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class ProjectInfo:
    """What an exporter needs to know about the project besides its documents."""

    name: str
    kind: str  # NERProject | TextClassificationProject
    language: str = "en"
    labels: tuple[str, ...] = ()
    multilabel: bool = False
    description: str = ""

    @property
    def is_ner(self) -> bool:
        return self.kind == "NERProject"


def project_info(project: Any) -> ProjectInfo:
    """From a ``LoadedProject``."""
    manifest = project.manifest
    return ProjectInfo(
        name=manifest.metadata.name,
        kind=manifest.kind,
        language=manifest.metadata.language,
        labels=tuple(label.name for label in manifest.spec.labels),
        multilabel=bool(getattr(manifest.spec, "multilabel", False)),
        description=manifest.metadata.description,
    )


def safe_file_name(doc_id: str, suffix: str = ".txt") -> str:
    """A relative file name for a document id that stays inside the export directory."""
    import re

    parts = [re.sub(r"[^\w.\-]+", "_", p) for p in doc_id.replace("\\", "/").split("/")]
    parts = [p for p in parts if p and p not in (".", "..")] or ["doc"]
    name = "/".join(parts)
    return name if name.endswith(suffix) else name + suffix


def lexical_escape(relative: str) -> str | None:
    """Why a path named inside a data file may not be used (absolute or `..`), without touching the disk."""
    posix = relative.replace("\\", "/")
    if posix.startswith("/") or ":" in posix[:3]:
        return f"`{relative}` is absolute; paths are relative to the labels file"
    if ".." in posix and "/../" in f"/{posix}/":
        return f"`{relative}` leaves the project directory (`..` is not allowed)"
    return None
