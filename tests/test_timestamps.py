"""The one timestamp helper keeps both spellings files already carry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from nerspec.state.store import utc_now
from nerspec.timestamps import OFFSET, utc_timestamp


def test_zulu_by_default_offset_for_state_records() -> None:
    moment = datetime(2024, 5, 1, 12, 0, 7, 900_000, tzinfo=UTC)
    assert utc_timestamp(moment) == "2024-05-01T12:00:07Z"
    assert utc_timestamp(moment, suffix=OFFSET) == "2024-05-01T12:00:07+00:00"
    assert utc_timestamp(moment.astimezone(timezone(timedelta(hours=2)))) == "2024-05-01T12:00:07Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_timestamp())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", utc_now())
