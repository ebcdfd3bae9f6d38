"""Data intervals: each run owns [start, end); the days it covers are the dates in it."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def days_in(start: datetime, end: datetime) -> list[date]:
    """The days of a [start, end) interval: start's date up to, not including, end's date.

    The nightly DAG's intervals run midnight to midnight, so this is one day per run; a longer
    manual interval covers each of its days.
    """
    count = max((end.date() - start.date()).days, 1)
    return [start.date() + timedelta(days=offset) for offset in range(count)]
