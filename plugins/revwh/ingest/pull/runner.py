"""Pull one platform's API for a run's days into the landing zone, all or nothing."""

from __future__ import annotations

import importlib
import logging
from datetime import datetime

from revwh.core.errors import PullFailed
from revwh.core.intervals import days_in
from revwh.core.sources import Source
from revwh.ingest.pull.base import PullContext
from revwh.ingest.pull.landing import LandingBatch

log = logging.getLogger(__name__)

# platform -> its module in this package (imported when pulled: each needs its own client)
MODULES = {"ecb": "ecb", "linkedin_ads": "linkedin", "hubspot": "hubspot", "meta_ads": "meta",
           "salesforce": "salesforce", "ga4": "ga4", "google_ads": "google_ads"}


def pull(platform: str, start: datetime, end: datetime, credentials: dict, landing_url: str,
         sources: list[Source], tag: str | None = None) -> list[dict]:
    """Pull every day of [start, end) and each source's lookback days; land them all only if
    every call succeeded (PullFailed otherwise, with nothing landed)."""
    if platform not in MODULES:
        raise PullFailed(platform, "pull", "unsupported", detail="no API pull for this platform")
    module = importlib.import_module(f"revwh.ingest.pull.{MODULES[platform]}")
    batch = LandingBatch(landing_url, **({"tag": tag} if tag else {}))
    context = PullContext(platform, days_in(start, end), sources, dict(credentials), batch)
    try:
        module.pull(context)
    except BaseException:
        batch.abort()
        raise
    landed = batch.commit()
    for item in landed:
        log.info("%s %s: %d records, %s (%s)", item.source, item.day, item.records, item.url,
                 item.status)
    return [item.to_dict() for item in landed]
