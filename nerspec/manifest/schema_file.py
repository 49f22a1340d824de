"""The committed JSON Schema text, byte-for-byte reproducible from the pydantic models."""

from __future__ import annotations

import json

from nerspec.manifest.schema import json_schema


def render_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
