"""What a platform's pull is given: the days to pull per source, its credentials (plain values,
resolved by the ops layer from an Airflow Connection), the retry policy and the landing batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from revwh.core.config import PullPolicy, pull_policy
from revwh.core.errors import PullFailed
from revwh.core.sources import Source
from revwh.ingest.pull import retry
from revwh.ingest.pull.landing import LandingBatch

T = TypeVar("T")


@dataclass
class PullContext:
    platform: str
    days: list[date]  # the run's interval
    sources: list[Source]  # the platform's enabled sources
    credentials: dict
    batch: LandingBatch
    policy: PullPolicy = field(default_factory=pull_policy)

    def days_for(self, source: Source) -> list[date]:
        """The lookback window's days (pulled again, for restatements), then the interval's."""
        first = self.days[0]
        return [first - timedelta(days=n) for n in range(source.lookback_days, 0, -1)] + \
            list(self.days)

    def all_days(self) -> list[date]:
        return sorted({d for s in self.sources for d in self.days_for(s)})

    def source(self, entity: str) -> Source | None:
        return next((s for s in self.sources if s.entity == entity), None)

    def call(self, fn: Callable[[], T], endpoint: str, day: object = None) -> T:
        return retry.call(fn, platform=self.platform, endpoint=endpoint, day=day,
                          policy=self.policy)

    def require(self, *names: str) -> list[str]:
        missing = [n for n in names if not self.credentials.get(n)]
        if missing:
            raise PullFailed(self.platform, "credentials", "missing",
                             detail=f"the connection lacks {', '.join(missing)}")
        return [str(self.credentials[n]) for n in names]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, UTC)
    return start, start + timedelta(days=1)
