"""The committed JSON Schema text, byte-for-byte reproducible from the pydantic models."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from nerspec.manifest.schema import Manifest

if TYPE_CHECKING:
    from nerspec.json_types import JsonObject


def render_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def json_schema() -> JsonObject:
    """The JSON Schema of a manifest, as committed in ``schemas/nerspec.v1.schema.json``."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(Manifest).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://nerspec.dev/schemas/nerspec.v1.schema.json",
        "title": "nerspec project manifest (nerspec/v1)",
        **schema,
    }
