"""Patrol figures count by calendar month in China time (Asia/Shanghai: UTC+8, no daylight
saving): a visit in the month it started, a passed building in the month of the track."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def month_start(moment: datetime) -> datetime:
    """The midnight (China time) that starts the calendar month of ``moment``."""
    local = moment.astimezone(CHINA)
    return datetime(local.year, local.month, 1, tzinfo=CHINA)


def next_month(first: datetime) -> datetime:
    """The start of the month after the one ``first`` starts."""
    return (first + timedelta(days=32)).replace(day=1)
