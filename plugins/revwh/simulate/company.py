"""A seeded, deterministic simulation of a B2B company's marketing funnel.

One journey per person: an ad click or other visit becomes a GA4 session, some sessions submit a
form, each form submission becomes a HubSpot contact that may progress through the lifecycle on
later days. Every extract is written in the shape its platform delivers (see ``writers``), and
the truth (what really happened, before any platform's view of it) is written beside them.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

# Organic channels: (sessions per day at scale 1, share of sessions that submit a form).
ORGANIC_CHANNELS: dict[str, tuple[int, float]] = {
    "organic_search": (220, 0.010),
    "direct": (140, 0.008),
    "referral": (45, 0.015),
    "email": (35, 0.020),
    "organic_social": (30, 0.006),
}
# How each channel shows up in the browser: utm_source, utm_medium (None: no UTM).
CHANNEL_SOURCE_MEDIUM: dict[str, tuple[str, str]] = {
    "paid_search": ("google", "cpc"),
    "organic_search": ("google", "organic"),
    "direct": ("(direct)", "(none)"),
    "referral": ("g2.com", "referral"),
    "email": ("newsletter", "email"),
    "organic_social": ("linkedin.com", "social"),
}
# HubSpot's original-source values (hs_analytics_source) for each channel.
HUBSPOT_SOURCE: dict[str, str] = {
    "paid_search": "PAID_SEARCH",
    "organic_search": "ORGANIC_SEARCH",
    "direct": "DIRECT_TRAFFIC",
    "referral": "REFERRALS",
    "email": "EMAIL_MARKETING",
    "organic_social": "SOCIAL_MEDIA",
}
PAID_SEARCH_CONVERSION = 0.03
RETURNING_SHARE = 0.2
MQL_SCORE = 60


@dataclass(frozen=True)
class Campaign:
    customer_id: str
    campaign_id: str
    name: str
    daily_budget: float  # account currency
    cpc: float
    ctr: float


@dataclass(frozen=True)
class AdAccount:
    customer_id: str
    descriptive_name: str
    currency_code: str
    time_zone: str


@dataclass
class Visitor:
    user_pseudo_id: str
    first_channel: str
    first_source: str
    first_medium: str
    first_campaign: str | None
    sessions: int = 0


@dataclass
class Session:
    visitor: Visitor
    channel: str
    started_at: datetime
    campaign: Campaign | None
    gclid: str | None
    pageviews: int
    converted: bool
    bot: bool = False


@dataclass
class Contact:
    contact_id: str
    email: str
    firstname: str
    lastname: str
    company: str
    created_at: datetime
    channel: str
    campaign: str | None
    gclid: str | None
    user_pseudo_id: str
    score: int
    demo_request: bool
    # (timestamp, lifecyclestage, hs_lead_status): the versions of the record, oldest first
    versions: list[tuple[datetime, str, str]] = field(default_factory=list)


@dataclass
class Day:
    day: date
    ad_stats: list[dict] = field(default_factory=list)  # per campaign: clicks, impressions, cost
    sessions: list[Session] = field(default_factory=list)
    contact_versions: list[tuple[Contact, datetime, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SimConfig:
    start: date = date(2026, 9, 1)
    days: int = 21
    seed: int = 42
    scale: float = 1.0

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days)


ACCOUNT = AdAccount("1234567890", "Acme Analytics US", "USD", "UTC")
CAMPAIGNS = [
    Campaign(ACCOUNT.customer_id, "20100001", "Search - Brand", 150.0, 1.20, 0.09),
    Campaign(ACCOUNT.customer_id, "20100002", "Search - Competitors", 220.0, 4.10, 0.035),
    Campaign(ACCOUNT.customer_id, "20100003", "Search - Revenue Analytics", 300.0, 3.25, 0.045),
]
FIRST_NAMES = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jonas",
               "Kemi", "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tara"]
LAST_NAMES = ["Adams", "Berg", "Costa", "Diaz", "Eriksen", "Fischer", "Gupta", "Hale", "Ito",
              "Jansen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi"]
COMPANIES = ["northwind", "contoso", "globex", "initech", "umbrella", "hooli", "vandelay",
             "stark", "wayne", "tyrell", "cyberdyne", "soylent", "aperture", "wonka"]


class Company:
    """Runs the simulation day by day; ``days`` holds what happened, in order."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.visitors: list[Visitor] = []
        self.contacts: list[Contact] = []
        self.days: dict[date, Day] = {}
        self._pending: dict[date, list[tuple[Contact, datetime, str, str]]] = {}
        self._next_contact = 1001
        for offset in range(config.days):
            current = config.start + timedelta(days=offset)
            self.days[current] = self._simulate_day(current)

    # --- helpers -----------------------------------------------------------------------------
    def _poisson(self, mean: float) -> int:
        # Knuth for small means, normal approximation for large ones: deterministic either way.
        if mean > 50:
            return max(0, round(self.rng.gauss(mean, mean**0.5)))
        threshold, k, p = pow(2.718281828459045, -mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= threshold:
                return k
            k += 1

    def _token(self, n: int) -> str:
        return "".join(self.rng.choices(string.ascii_letters + string.digits, k=n))

    def _moment(self, day: date) -> datetime:
        seconds = self.rng.randrange(0, 86400)
        micros = self.rng.randrange(1_000_000)
        return datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds,
                                                                      microseconds=micros)

    def _visitor(self, channel: str, campaign: Campaign | None) -> Visitor:
        if self.visitors and self.rng.random() < RETURNING_SHARE:
            return self.rng.choice(self.visitors)
        source, medium = CHANNEL_SOURCE_MEDIUM[channel]
        client, first_seen = self.rng.randrange(10**9, 10**10), self.rng.randrange(10**9, 10**10)
        visitor = Visitor(
            user_pseudo_id=f"{client}.{first_seen}",
            first_channel=channel, first_source=source, first_medium=medium,
            first_campaign=campaign.name if campaign else None,
        )
        self.visitors.append(visitor)
        return visitor

    # --- one day -------------------------------------------------------------------------------
    def _simulate_day(self, day: date) -> Day:
        scale = self.config.scale
        result = Day(day)
        for campaign in CAMPAIGNS:
            clicks = self._poisson(campaign.daily_budget / campaign.cpc * scale)
            impressions = round(clicks / campaign.ctr) if clicks else self._poisson(40 * scale)
            cost_micros = sum(round(self.rng.uniform(0.6, 1.4) * campaign.cpc * 1_000_000)
                              for _ in range(clicks))
            cost_micros -= cost_micros % 10_000  # Google Ads bills in whole cents
            conversions = 0
            for _ in range(clicks):
                converted = self.rng.random() < PAID_SEARCH_CONVERSION
                conversions += converted
                result.sessions.append(self._session(day, "paid_search", campaign, converted))
            result.ad_stats.append({"campaign": campaign, "clicks": clicks,
                                    "impressions": impressions, "cost_micros": cost_micros,
                                    "conversions": float(conversions)})
        for channel, (per_day, rate) in ORGANIC_CHANNELS.items():
            for _ in range(self._poisson(per_day * scale)):
                converted = self.rng.random() < rate
                result.sessions.append(self._session(day, channel, None, converted))
        result.sessions.sort(key=lambda s: s.started_at)
        for session in result.sessions:
            if session.converted:
                self._create_contact(session)
        result.contact_versions = sorted(self._pending.pop(day, []), key=lambda v: v[1])
        return result

    def _session(self, day: date, channel: str, campaign: Campaign | None,
                 converted: bool) -> Session:
        visitor = self._visitor(channel, campaign)
        visitor.sessions += 1
        return Session(
            visitor=visitor, channel=channel, started_at=self._moment(day), campaign=campaign,
            gclid=self._token(24) if channel == "paid_search" else None,
            pageviews=1 + self._poisson(1.5), converted=converted,
        )

    def _create_contact(self, session: Session) -> None:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        company = self.rng.choice(COMPANIES)
        visitor = session.visitor
        created = session.started_at + timedelta(seconds=30 + self.rng.randrange(600))
        demo = self.rng.random() < 0.25
        score = self.rng.randrange(0, 100)
        contact = Contact(
            contact_id=str(self._next_contact),
            email=f"{first}.{last}{self._next_contact}@{company}.example".lower(),
            firstname=first, lastname=last, company=company.title(), created_at=created,
            channel=visitor.first_channel, campaign=visitor.first_campaign,
            gclid=session.gclid, user_pseudo_id=visitor.user_pseudo_id,
            score=score, demo_request=demo,
        )
        self._next_contact += 1
        self.contacts.append(contact)
        qualified = demo or score >= MQL_SCORE
        stage = "marketingqualifiedlead" if qualified else "lead"
        self._version(contact, created, stage, "NEW")
        # Sales works some MQLs; of those, some qualify and some are rejected.
        if qualified and self.rng.random() < 0.7:
            touched = created + timedelta(hours=self.rng.uniform(0.2, 70))
            self._version(contact, touched, stage, "ATTEMPTED_TO_CONTACT")
            decided = touched + timedelta(hours=self.rng.uniform(4, 120))
            if self.rng.random() < 0.55:
                self._version(contact, decided, "salesqualifiedlead", "CONNECTED")
            else:
                self._version(contact, decided, stage, "UNQUALIFIED")

    def _version(self, contact: Contact, at: datetime, stage: str, status: str) -> None:
        contact.versions.append((at, stage, status))
        if at.date() < self.config.end:
            self._pending.setdefault(at.date(), []).append((contact, at, stage, status))
