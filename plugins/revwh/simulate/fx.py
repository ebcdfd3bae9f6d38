"""Euro foreign-exchange reference rates as the ECB publishes them (a random walk, seeded)."""

from __future__ import annotations

import random
from datetime import date, timedelta

# Currencies of the ECB daily file, in its order, with a starting rate per euro.
ECB_CURRENCIES: dict[str, float] = {
    "USD": 1.1650, "JPY": 171.80, "BGN": 1.9558, "CZK": 24.480, "DKK": 7.4630, "GBP": 0.86450,
    "HUF": 392.10, "PLN": 4.2640, "RON": 5.0720, "SEK": 11.0150, "CHF": 0.9360, "ISK": 143.10,
    "NOK": 11.7850, "TRY": 47.520, "AUD": 1.7880, "BRL": 6.3410, "CAD": 1.6020,
    "CNY": 8.3590, "HKD": 9.1420, "INR": 101.84, "KRW": 1612.5, "MXN": 21.780,
    "NZD": 1.9710, "SGD": 1.4960, "ZAR": 20.610,
}


def business_day(day: date) -> date:
    """The last ECB publication day on or before a day (weekends carry Friday's rates)."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


class FxRates:
    def __init__(self, seed: int, start: date, end: date) -> None:
        rng = random.Random(seed * 7919 + 1)
        self.rates: dict[date, dict[str, float]] = {}
        current = dict(ECB_CURRENCIES)
        day = start
        while day < end:
            if day.weekday() < 5:
                current = {c: round(r * (1 + rng.gauss(0, 0.003)), 4 if r < 100 else 2)
                           for c, r in current.items()}
                self.rates[day] = current
            day += timedelta(days=1)
        self.start = start

    def per_eur(self, currency: str, day: date) -> float:
        if currency == "EUR":
            return 1.0
        published = business_day(day)
        while published not in self.rates and published > self.start:
            published = business_day(published - timedelta(days=1))
        return self.rates[published][currency]

    def convert(self, amount: float, source: str, target: str, day: date) -> float:
        return amount / self.per_eur(source, day) * self.per_eur(target, day)

    def rows(self, start: date, end: date) -> list[list]:
        out = []
        day = start
        while day < end:
            for currency in ("EUR", "USD", "GBP"):
                out.append([day.isoformat(), currency, self.per_eur(currency, day)])
            day += timedelta(days=1)
        return out

    def write(self, landing) -> None:
        """The daily file (eurofxref.csv) as fetched each day: weekends repeat Friday's."""
        header = "Date, " + ", ".join(ECB_CURRENCIES) + ", "
        for day in landing.days:
            published = business_day(day)
            rates = self.rates.get(published)
            if rates is None:
                continue
            values = ", ".join(f"{rates[c]:.4f}" if rates[c] < 100 else f"{rates[c]:.2f}"
                               for c in ECB_CURRENCIES)
            landing.add("ecb", "fx_rates", day, "eurofxref.csv",
                        [header, f"{published.day:02d} {published:%B %Y}, {values}, "])
