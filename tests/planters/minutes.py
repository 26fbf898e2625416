"""Rate limits count per calendar minute (gis/rate_limits.py): a test that counts up to a
limit starts early in a minute, so that the minute cannot turn over under it."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def early_in_a_minute(seconds_needed: float = 20.0) -> None:
    """Sleep into the next minute unless ``seconds_needed`` remain in this one."""
    now = datetime.now(UTC)
    left = 60 - (now.second + now.microsecond / 1e6)
    if left < seconds_needed:
        time.sleep(left + 0.2)
