"""The ECB's euro reference rates through its SDMX data API (httpx): for each day, the rates of
the last publication on or before it, rendered as the daily file ``eurofxref.csv`` the landing
zone holds ("Date, USD, JPY, ..., " and one row; weekends and holidays repeat the last
publication, as the ECB's own daily file does).

Credentials: none (public). The Connection's host may point elsewhere (a proxy, the test fake).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

from revwh.ingest.pull import http
from revwh.ingest.pull.base import PullContext

BASE_URL = "https://data-api.ecb.europa.eu"
ENDPOINT = "service/data/EXR"
# The currencies of the ECB's daily file, in its order.
CURRENCIES = ("USD", "JPY", "BGN", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF", "ISK",
              "NOK", "TRY", "AUD", "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN",
              "MYR", "NZD", "PHP", "SGD", "THB", "ZAR")


def pull(ctx: PullContext) -> None:
    source = ctx.source("fx_rates")
    if source is None:
        return
    days = ctx.days_for(source)
    base = ctx.credentials.get("host") or BASE_URL
    with http.client(ctx, base) as client:
        for day in days:
            rates = ctx.call(lambda d=day: _rates(client, d), ENDPOINT, day)
            staged = ctx.batch.open(source, day)
            if rates is not None:
                published, values = rates
                columns = [c for c in CURRENCIES if c in values]
                staged.write_bytes(("Date, " + ", ".join(columns) + ", \n").encode())
                staged.write_bytes((f"{published.day:02d} {published:%B %Y}, "
                                    + ", ".join(values[c] for c in columns) + ", \n").encode())
                staged.records += 1


def _rates(client, day: date) -> tuple[date, dict[str, str]] | None:
    """The last publication on or before the day (within a fortnight): its date and rates."""
    key = "D." + "+".join(CURRENCIES) + ".EUR.SP00.A"
    params = {"startPeriod": (day - timedelta(days=14)).isoformat(),
              "endPeriod": day.isoformat(), "format": "csvdata"}
    by_day: dict[date, dict[str, str]] = {}
    with http.stream(client, f"/{ENDPOINT}/{key}", params=params) as response:
        reader = csv.DictReader(response.iter_lines())
        for row in reader:
            if row.get("OBS_VALUE") and row.get("TIME_PERIOD"):
                published = datetime.strptime(row["TIME_PERIOD"][:10], "%Y-%m-%d").date()
                by_day.setdefault(published, {})[row["CURRENCY"]] = row["OBS_VALUE"]
    if not by_day:
        return None
    last = max(by_day)
    return last, by_day[last]
