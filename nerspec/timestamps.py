"""The one timestamp helper: UTC, to the second, ISO 8601.

Files already written use two spellings of the UTC offset and keep them: ``Z`` (artifacts' ``meta.json``,
extraction summaries, the serving API and registry) and ``+00:00`` (state records: deployments, history).
"""

from __future__ import annotations

from datetime import UTC, datetime

ZULU = "Z"
OFFSET = "+00:00"


def utc_timestamp(moment: datetime | None = None, *, suffix: str = ZULU) -> str:
    """``moment`` (default: now) as ``2024-05-01T12:00:00Z`` (or ``...+00:00`` with ``suffix=OFFSET``)."""
    text = (moment if moment is not None else datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return text if suffix == OFFSET else text.replace(OFFSET, suffix)
