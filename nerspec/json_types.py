"""Names for JSON data whose shape is open (a kind's review entries, a section another module owns): what
``json.loads`` gives, a union mypy checks every read of."""

from __future__ import annotations

from pydantic import JsonValue

# A JSON number as it was written: ``1`` stays ``1`` and ``0.5`` stays ``0.5``.
Number = int | float
JsonObject = dict[str, JsonValue]

__all__ = ["JsonObject", "JsonValue", "Number"]
