"""Repository-level settings: where the recorded state and the model artifacts live (no secrets).

``nerspec.settings.yaml`` at the repository root (committed), for example::

    apiVersion: nerspec/v1
    kind: Settings
    state: postgresql://nerspec@db.internal:5432/nerspec   # or a directory (SQLite), relative to the repository
    artifacts: s3://models-bucket/nerspec                   # or a directory; default: <state dir>/models

Precedence (highest first): the ``--state`` / ``--artifacts`` flags, ``NERSPEC_STATE`` / ``NERSPEC_ARTIFACTS``,
this file, the defaults. Passwords and keys never go here: ``PGPASSWORD`` (or libpq's ``~/.pgpass``) and the
standard AWS variables provide them, so a URL with a password is refused with its line.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nerspec import safeio

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schemas" / "nerspec.settings.v1.schema.json"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, title="Settings")

    apiVersion: Literal["nerspec/v1"] = "nerspec/v1"
    kind: Literal["Settings"] = "Settings"
    state: str | None = Field(
        None, description="A directory (SQLite state) or postgresql://user@host:port/db (password from PGPASSWORD)."
    )
    artifacts: str | None = Field(
        None, description="A directory or s3://bucket/prefix (endpoint from AWS_ENDPOINT_URL, keys from AWS_* variables)."
    )

    @field_validator("state", "artifacts")
    @classmethod
    def _no_secrets(cls, value: str | None) -> str | None:
        if value and "://" in value:
            netloc = value.split("://", 1)[1].split("/", 1)[0]
            if "@" in netloc and ":" in netloc.split("@", 1)[0]:
                raise ValueError("a password in the URL: secrets come from the environment (PGPASSWORD), never this file")
            if "?" in value and "password" in value.split("?", 1)[1].lower():
                raise ValueError("a password in the URL: secrets come from the environment, never this file")
        return value


def json_schema() -> JsonObject:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://nerspec.dev/schemas/nerspec.settings.v1.schema.json",
        **Settings.model_json_schema(),
    }


def render_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_settings(path: Path) -> Settings:
    """Parse and validate a settings file; every problem as ``file:line:col: field: message`` at once."""
    from pydantic import ValidationError

    from nerspec.errors import ManifestError, Problem
    from nerspec.manifest.load import display_path, format_path
    from nerspec.manifest.yamlpos import YamlProblem, load_with_positions

    shown = display_path(path)
    try:
        raw, positions = load_with_positions(safeio.read_text(path))
    except UnicodeDecodeError as exc:
        raise ManifestError([Problem(shown, 0, 0, "", f"not UTF-8 (byte offset {exc.start})")]) from None
    except OSError as exc:  # a FIFO or device in its place (never waited on), an unreadable file
        reason = str(exc.args[0]) if exc.strerror is None else exc.strerror.lower()
        raise ManifestError([Problem(shown, 0, 0, "", reason)]) from None
    except YamlProblem as exc:
        raise ManifestError([Problem(shown, exc.line, exc.col, "", exc.message)]) from None
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        raise ManifestError([Problem(shown, 1, 1, "", "the settings file is a mapping (state, artifacts)")])
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line, col = positions.of_key(loc) if error["type"] == "extra_forbidden" else positions.of_value(loc)
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = f"unknown key `{loc[-1]}`; allowed: apiVersion, kind, state, artifacts"
            problems.append(Problem(shown, line, col, format_path(loc), message))
        raise ManifestError(problems) from None


@lru_cache(maxsize=32)
def _cached(path: str, mtime_ns: int, size: int) -> Settings:
    return load_settings(Path(path))


def repository_settings(path: Path) -> Settings:
    """The committed settings file at ``path`` (``nerspec.paths`` names it; defaults when there is no file)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return Settings()
    return _cached(str(path), st.st_mtime_ns, st.st_size)
