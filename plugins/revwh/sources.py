"""The sources the warehouse ingests: where each lands, where it loads, what it must carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Source:
    name: str  # platform, e.g. google_ads
    entity: str  # table within the platform, e.g. campaign_stats
    file_pattern: str  # file name within a day's partition; {day:%Y%m%d} is filled in
    required: tuple[str, ...]  # dotted paths every record must carry

    @property
    def key(self) -> str:
        return f"{self.name}__{self.entity}"

    @property
    def raw_table(self) -> str:
        return self.key

    def partition_path(self, day: date) -> str:
        return f"{self.name}/{self.entity}/dt={day.isoformat()}"

    def file_name(self, day: date) -> str:
        return self.file_pattern.format(day=day)


SOURCES: dict[str, Source] = {
    source.key: source
    for source in (
        Source("google_ads", "campaign_stats", "campaign_stats.jsonl",
               ("customer.id", "customer.currency_code", "campaign.id", "segments.date",
                "metrics.cost_micros")),
        Source("ga4", "events", "events_{day:%Y%m%d}.jsonl",
               ("event_date", "event_timestamp", "event_name", "user_pseudo_id")),
        Source("hubspot", "contacts", "contacts.jsonl",
               ("id", "properties.createdate", "properties.lastmodifieddate")),
    )
}
