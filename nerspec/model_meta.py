"""``ModelMeta``: the typed record of a model artifact's ``meta.json``, parsed and checked in one place.

Training writes it (``train/artifact.py``, ``staging.complete_artifact``) with ``ModelMeta.new(...).to_json()``;
everything else reads it with ``read_model_meta`` (a missing, corrupt or wrong-typed file is one
``ModelNotFoundError`` naming the file and the field: what loads a model) or ``find_model_meta`` (for the readers
that list, recover or check models: ``None`` for a missing or unreadable file, a wrong-typed field's default).

The record keeps the JSON it came from (``raw``), so keys this version does not know (an older or newer nerspec's)
survive a round trip, and ``to_json`` writes exactly the keys given, in their order: the bytes of ``meta.json``,
hashed into the artifact's recorded file hashes, stay the same. It is a leaf module (no nerspec imports but
errors and safeio) because the recorded state's recovery (``state/repair.py``) reads it too, and the state may not
import the artifacts layer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nerspec import strict_json
from nerspec.errors import ModelNotFoundError
from nerspec.safeio import read_bytes

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject, JsonValue

META = "meta.json"
DEFAULT_LANGUAGE = "en"
DEFAULT_THRESHOLD = 0.5

__all__ = ["DEFAULT_LANGUAGE", "DEFAULT_THRESHOLD", "META", "ModelMeta", "find_model_meta", "parse_model_meta",
           "read_model_meta"]


@dataclass(frozen=True)
class ModelMeta:
    """What an artifact says about its model. ``None``: the key is absent (or null) in the file."""

    fingerprint: str | None = None
    project: str | None = None
    kind: str | None = None
    labels: tuple[str, ...] = ()
    language: str | None = None  # as recorded; ``language_or_default`` is what a predictor uses
    languages: tuple[str, ...] = ()  # every language trained for (absent before multilingual support)
    multilingual: bool = False
    multilabel: bool = False
    threshold: float = DEFAULT_THRESHOLD
    created: str | None = None
    training_seconds: float | None = None
    versions: Mapping[str, str] = field(default_factory=dict)
    data_fingerprint: str | None = None
    seed: int | None = None
    gpu: bool | None = None
    expert_config: str | None = None
    calibration: JsonObject | None = None  # nerspec.calibration's block; ``None``: raw scores
    overlapping: bool = False  # a span categorizer (nerspec.kinds.artifact_kind); absent for flat NER
    # The JSON object this record stands for, every key in its order (unknown ones too): what ``to_json`` writes.
    # A record built field by field (or by ``dataclasses.replace``) stands for exactly its fields.
    raw: JsonObject = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw", {name: _as_json(getattr(self, name)) for name in _FIELDS})

    @classmethod
    def new(cls, **values: Any) -> ModelMeta:
        """A record of exactly these keys, in this order (what training writes), checked as a reader would."""
        return cls.from_json(values, META)

    @classmethod
    def from_json(cls, data: object, path: Path | str, *, strict: bool = True) -> ModelMeta:
        """The record of a parsed ``meta.json``; ``ModelNotFoundError`` (``<path> is corrupt: ...``) naming the
        first field a loader would trip over. ``strict=False``: such a field takes its default instead (what the
        readers that only list or recover models used to make of a hand-edited file); a non-object still raises."""
        if not isinstance(data, dict):
            raise ModelNotFoundError(f"{path} is corrupt: not a JSON object")
        values: dict[str, Any] = {}
        for name, parse in _PARSERS.items():
            if data.get(name) is None and not (name == "threshold" and name in data):  # a null threshold is no number
                continue
            try:
                values[name] = parse(data[name], name)
            except _Invalid as exc:
                if strict:
                    raise ModelNotFoundError(f"{path} is corrupt: {exc}") from None
        meta = cls(**values)
        object.__setattr__(meta, "raw", copy.deepcopy(data))  # every key as written, in its order
        return meta

    def to_json(self) -> JsonObject:
        """The JSON object to write as ``meta.json`` (a copy: the record stays as it is)."""
        return copy.deepcopy(self.raw)

    @property
    def extra(self) -> JsonObject:
        """The keys this version of nerspec does not know (kept as they are)."""
        return {key: value for key, value in self.raw.items() if key not in _FIELDS}

    @property
    def language_or_default(self) -> str:
        return self.language or DEFAULT_LANGUAGE

    @property
    def languages_or_default(self) -> list[str]:
        """Languages the model was trained for (artifacts before multilingual support: the project language)."""
        return list(self.languages) or [self.language_or_default]

    @property
    def calibration_or_empty(self) -> JsonObject:
        return self.calibration if self.calibration is not None else {}


def read_model_meta(model_dir: Path) -> ModelMeta:
    """The ``meta.json`` of the artifact in ``model_dir``; ``ModelNotFoundError`` naming the file when it is
    missing, not a regular file (a FIFO is refused, never waited on), not JSON or not what a model records."""
    path = Path(model_dir) / META
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        raise ModelNotFoundError(f"{path}: no such file (not a complete nerspec model artifact)") from None
    except OSError as exc:
        # A FIFO or device (safeio.NotRegularFile) names itself; an OS error gets the path here.
        raise ModelNotFoundError(f"{path}: {exc.strerror}" if exc.strerror else str(exc)) from None
    return parse_model_meta(data, path)


def parse_model_meta(data: bytes, path: Path | str, *, strict: bool = True) -> ModelMeta:
    """The record of ``meta.json``'s bytes (an object store's copy, say); ``ModelNotFoundError`` as above."""
    try:
        parsed = strict_json.loads(data.decode("utf-8"))  # a bounded depth: nesting is an error, not a RecursionError
    except ValueError as exc:  # not JSON, not UTF-8, or nested too deep
        raise ModelNotFoundError(f"{path} is corrupt: {exc}") from None
    return ModelMeta.from_json(parsed, path, strict=strict)


def find_model_meta(model_dir: Path) -> ModelMeta | None:
    """The ``meta.json`` of ``model_dir`` for the readers that list, recover or check models: ``None`` when it is
    missing, unreadable (a FIFO included), not JSON or not an object; a wrong-typed field takes its default."""
    path = Path(model_dir) / META
    try:
        return parse_model_meta(read_bytes(path), path, strict=False)
    except (OSError, ModelNotFoundError):
        return None


class _Invalid(ValueError):
    pass


def _string(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"`{name}` must be a string")
    return value


def _strings(value: object, name: str) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise _Invalid(f"`{name}` must be a list of strings")
    return tuple(value)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"`{name}` must be true or false")
    return value


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"`{name}` must be a number")
    return value


def _threshold(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise _Invalid(f"`{name}` must be a number from 0 to 1")
    return float(value)


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"`{name}` must be an integer")
    return value


def _string_map(value: object, name: str) -> dict[str, str]:
    if not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
        raise _Invalid(f"`{name}` must be an object of strings")
    return dict(value)


def _object(value: object, name: str) -> JsonObject:
    if not isinstance(value, dict):
        raise _Invalid(f"`{name}` must be an object")
    return value


def _as_json(value: object) -> JsonValue:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value  # type: ignore[return-value]  # str, number, bool or None


_PARSERS: dict[str, Callable[[object, str], Any]] = {
    "fingerprint": _string, "project": _string, "kind": _string, "labels": _strings, "language": _string,
    "languages": _strings, "multilingual": _flag, "multilabel": _flag, "threshold": _threshold, "created": _string,
    "training_seconds": _number, "versions": _string_map, "data_fingerprint": _string, "seed": _integer,
    "gpu": _flag, "expert_config": _string, "calibration": _object, "overlapping": _flag,
}
_FIELDS = tuple(f.name for f in fields(ModelMeta) if f.name != "raw")
