"""A seeded, deterministic simulation of a mid-market B2B company's revenue engine.

What really happens is simulated first, as one world: ad accounts on Google, Meta and LinkedIn
(USD, EUR, GBP; New York, Berlin and UTC days) buy clicks; clicks and organic visits become web
sessions (with click ids and UTMs), some of which submit forms and become people in the CRM;
sales also creates leads of its own (outbound, events, partners, referrals); people move through
the funnel (MQL, accepted or rejected by sales, SQL, opportunity, won or lost), some MQLs are
never followed up. The writers (``writers``) then render that world as each platform would
deliver it, with the mess real extracts carry, and write the truth beside it.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SimConfig:
    start: date = date(2026, 8, 10)  # 90 days from here cross both DST changes of 2026
    days: int = 90
    seed: int = 42
    scale: float = 1.0
    mess: bool = True  # duplicates, test leads, bots, restatements, malformed rows, drift...

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days)


# --- the company's marketing set-up -------------------------------------------------------------
@dataclass(frozen=True)
class AdAccount:
    platform: str
    account_id: str
    name: str
    currency: str
    time_zone: str


@dataclass(frozen=True)
class Ad:
    account: AdAccount
    campaign_id: str
    campaign_name: str
    group_id: str  # Google ad group, Meta ad set, LinkedIn campaign (under a campaign group)
    group_name: str
    ad_id: str
    daily_clicks: float  # at scale 1
    cpc: float  # account currency
    ctr: float
    conversion_rate: float

    @property
    def daily_budget_micros(self) -> int:
        """The daily budget (account currency): delivery stops when a day's cost reaches it."""
        return round(self.daily_clicks * self.cpc * 1.15 * 1_000_000)


GOOGLE = AdAccount("google_ads", "1234567890", "Acme Analytics - Search", "USD",
                   "America/New_York")
META = AdAccount("meta_ads", "2093847561", "Acme Analytics EU", "EUR", "Europe/Berlin")
LINKEDIN = AdAccount("linkedin_ads", "508123456", "Acme Analytics UK", "GBP", "UTC")
ACCOUNTS = (GOOGLE, META, LINKEDIN)


def _ads() -> list[Ad]:
    ads = []
    plans = [
        (GOOGLE, "20100001", "Search - Brand", [("Brand exact", 60, 1.1), ("Brand broad", 30, 1.5)],
         0.09, 0.05),
        (GOOGLE, "20100002", "Search - Competitors", [("Competitor names", 40, 4.2),
                                                      ("Alternatives", 25, 3.8)], 0.035, 0.02),
        (GOOGLE, "20100003", "Search - Revenue Analytics",
         [("Revenue analytics", 70, 3.3), ("Marketing attribution", 55, 3.0)], 0.045, 0.03),
        (META, "23850001", "Lead Gen - Q3 Guide", [("Lookalike 1%", 60, 0.9),
                                                   ("Retargeting 30d", 35, 0.7)], 0.012, 0.02),
        (META, "23850002", "Traffic - Webinar", [("Interests: RevOps", 45, 0.6)], 0.010, 0.012),
        (LINKEDIN, "612340001", "ABM - Mid-market", [("VP Marketing NA", 25, 7.5),
                                                     ("Heads of RevOps UK", 20, 8.2)], 0.006, 0.04),
        (LINKEDIN, "612340002", "Thought leadership", [("Followers lookalike", 15, 5.1)], 0.005,
         0.015),
    ]
    for account, campaign_id, campaign_name, groups, ctr, conversion in plans:
        for g, (group_name, clicks, cpc) in enumerate(groups, start=1):
            group_id = f"{campaign_id}{g:02d}"
            for a in (1, 2):
                ads.append(Ad(account, campaign_id, campaign_name, group_id, group_name,
                              f"{group_id}{a:02d}", clicks / 2, cpc, ctr, conversion))
    return ads


ADS = _ads()

# Organic channels: sessions per day at scale 1, share of sessions that submit a form.
ORGANIC: dict[str, tuple[float, float]] = {
    "organic_search": (900, 0.006),
    "direct": (520, 0.005),
    "referral": (150, 0.010),
    "email": (120, 0.012),
    "organic_social": (100, 0.004),
}
# utm_source / utm_medium (or referrer) a session of each channel arrives with.
CHANNEL_SOURCE_MEDIUM: dict[str, tuple[str, str]] = {
    "paid_search": ("google", "cpc"),
    "paid_social": ("facebook", "paid_social"),
    "organic_search": ("google", "organic"),
    "direct": ("(direct)", "(none)"),
    "referral": ("g2.com", "referral"),
    "email": ("newsletter", "email"),
    "organic_social": ("linkedin.com", "social"),
}
PLATFORM_CHANNEL = {"google_ads": "paid_search", "meta_ads": "paid_social",
                    "linkedin_ads": "paid_social"}
# Sales-sourced leads per day at scale 1, by how they came in.
SALES_SOURCED: dict[str, float] = {"outbound": 2.5, "events": 1.0, "partner": 0.6,
                                   "word_of_mouth": 0.5}
# "How did you hear about us?" answers, and what each tracked channel's people mostly answer.
HEARD_ABOUT = ["Google search", "LinkedIn", "Facebook / Instagram", "Colleague or friend",
               "Event or webinar", "Podcast", "Review site (G2)", "Partner", "Other"]
HEARD_FOR_CHANNEL = {
    "paid_search": "Google search", "organic_search": "Google search",
    "paid_social": "LinkedIn", "organic_social": "LinkedIn", "referral": "Review site (G2)",
    "email": "Other", "direct": "Colleague or friend", "outbound": "Other",
    "events": "Event or webinar", "partner": "Partner", "word_of_mouth": "Colleague or friend",
}
REJECTION_REASONS = ["Not a fit", "No budget", "Student or job seeker", "Bad contact data",
                     "Already in a deal", "Competitor"]
LOST_REASONS = ["Price", "Chose a competitor", "No decision", "Timing", "Missing feature"]
OWNERS = [  # id, first, last, team
    ("71001", "Alicia", "Moreno", "SDR East"), ("71002", "Ben", "Okafor", "SDR East"),
    ("71003", "Chen", "Wei", "SDR West"), ("71004", "Dana", "Fischer", "SDR West"),
    ("71005", "Emil", "Sorensen", "AE Mid-market"), ("71006", "Farah", "Haddad", "AE Mid-market"),
]
MQL_SCORE = 60
INTERNAL_DOMAIN = "acme-analytics.example"
FIRST_NAMES = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jonas",
               "Kemi", "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tara",
               "Uma", "Viktor", "Wen", "Yara", "Zoe"]
LAST_NAMES = ["Adams", "Berg", "Costa", "Diaz", "Eriksen", "Fischer", "Gupta", "Hale", "Ito",
              "Jansen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi",
              "Silva", "Tanaka", "Umar", "Vogel", "Weber"]
COMPANY_WORDS = ["North", "Blue", "Bright", "Iron", "Cloud", "Peak", "Silver", "Green", "Swift",
                 "Clear", "Nova", "Atlas", "Summit", "Harbor", "Vector", "Pulse"]
COMPANY_KINDS = ["Logistics", "Health", "Retail", "Software", "Finance", "Energy", "Media",
                 "Foods", "Labs", "Systems"]


# --- what happened ------------------------------------------------------------------------------
@dataclass(slots=True)
class Click:
    ad: Ad
    at: datetime  # UTC
    cost_micros: int  # account currency
    click_id: str
    session: Session | None = None


@dataclass(slots=True)
class Visitor:
    user_pseudo_id: str
    first_session: Session | None = None
    sessions: int = 0


@dataclass(slots=True)
class Session:
    visitor: Visitor
    channel: str
    started_at: datetime
    ad: Ad | None = None
    click_id: str | None = None
    pageviews: int = 1
    converted: bool = False
    bot: bool = False
    late_events: int = 0  # events that arrive in a later export of the day
    person: Person | None = None


@dataclass(slots=True)
class Account:
    account_id: str
    name: str
    domain: str
    industry: str
    employees: int
    created_at: datetime | None = None


@dataclass(slots=True)
class Person:
    person_id: str
    email: str
    first_name: str
    last_name: str
    account: Account
    created_at: datetime
    channel: str  # true first touch
    campaign: str | None
    first_touch_at: datetime
    heard_about: str
    score: int
    demo_request: bool
    session: Session | None = None  # the converting session (web leads)
    sales_sourced: bool = False
    is_test: bool = False
    is_internal: bool = False
    is_spam: bool = False
    duplicate_of: Person | None = None  # a second CRM record of the same human
    merged_at: datetime | None = None  # duplicate merged into the original in the CRM
    deleted_at: datetime | None = None
    owner: tuple[str, str, str, str] | None = None
    mql_at: datetime | None = None
    first_touch_by_sales_at: datetime | None = None
    sal_at: datetime | None = None
    disqualified_at: datetime | None = None
    rejection_reason: str | None = None
    sql_at: datetime | None = None
    opportunity: Opportunity | None = None
    touches: list[tuple[datetime, str]] = field(default_factory=list)  # (when, CALL/EMAIL/...)
    initial_score: int | None = None  # before nurture raised it (None: never changed)

    def score_at(self, moment: datetime) -> int:
        """The lead score the CRM shows at a moment (nurture raises it when the lead MQLs)."""
        if self.initial_score is not None and self.mql_at is not None and moment < self.mql_at:
            return self.initial_score
        return self.score

    @property
    def excluded(self) -> bool:
        return self.is_test or self.is_internal or self.is_spam


@dataclass
class Opportunity:
    opportunity_id: str
    person: Person
    amount: int  # USD
    created_at: datetime
    stages: list[tuple[datetime, str]]  # (entered at, stage), the last one may be closed
    closed_at: datetime | None
    won: bool
    lost_reason: str | None


@dataclass(slots=True)
class AdDay:
    """One ad's delivery on one account-local day (final figures)."""
    ad: Ad
    day: date
    clicks: int = 0
    impressions: int = 0
    cost_micros: int = 0
    conversions: int = 0


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Company:
    """Simulates ``config.days`` days; the results are plain lists the writers render."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.visitors: list[Visitor] = []
        self.sessions: list[Session] = []
        self.clicks: list[Click] = []
        self.people: list[Person] = []
        self.accounts: list[Account] = []
        self.opportunities: list[Opportunity] = []
        self.ad_days: dict[tuple[str, date], AdDay] = {}
        self.paused_day = config.start + timedelta(days=min(24, config.days - 1)) \
            if config.mess and config.days > 3 else None
        self._counter = 0
        self.horizon = datetime.combine(config.end, time(), UTC)
        for offset in range(config.days):
            self._simulate_day(config.start + timedelta(days=offset))
        for stats in self.ad_days.values():
            stats.impressions = round(stats.clicks / stats.ad.ctr * self.rng.uniform(0.9, 1.1))
        for person in self.people:
            self._funnel(person)
        self._mess_people()

    # --- helpers ---------------------------------------------------------------------------------
    def next_id(self) -> int:
        self._counter += 1
        return self._counter

    def _poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        if mean > 50:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        threshold, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= threshold:
                return k
            k += 1

    def token(self, n: int) -> str:
        return "".join(self.rng.choices(string.ascii_letters + string.digits, k=n))

    def _moment(self, day: date) -> datetime:
        # more traffic in (New York) business hours
        hour = min(23, max(0, int(self.rng.gauss(17, 5))))
        return datetime.combine(day, time(hour), UTC) + timedelta(
            seconds=self.rng.randrange(3600), microseconds=self.rng.randrange(1_000_000))

    def _visitor(self, bot: bool = False) -> Visitor:
        if not bot and len(self.visitors) > 50 and self.rng.random() < 0.2:
            return self.rng.choice(self.visitors)
        client, first_seen = self.rng.randrange(10**9, 10**10), self.rng.randrange(10**9, 10**10)
        visitor = Visitor(f"{client}.{first_seen}")
        if not bot:  # a bot's id never comes back as a person's
            self.visitors.append(visitor)
        return visitor

    def _session(self, channel: str, at: datetime, ad: Ad | None = None,
                 click_id: str | None = None, conversion_rate: float = 0.0,
                 bot: bool = False) -> Session:
        visitor = self._visitor(bot)
        visitor.sessions += 1
        session = Session(visitor, channel, at, ad, click_id, 1 + self._poisson(1.3))
        if visitor.first_session is None or at < visitor.first_session.started_at:
            visitor.first_session = session  # sessions of a day are drawn out of order
        session.converted = self.rng.random() < conversion_rate
        # GA4 keeps updating a day's export for 72 hours; on some days events arrive late
        if self.config.mess and at.toordinal() % 6 == 0 and self.rng.random() < 0.01:
            session.late_events = 1 + self._poisson(1)
        self.sessions.append(session)
        return session

    # --- one day ---------------------------------------------------------------------------------
    def _simulate_day(self, day: date) -> None:
        scale = self.config.scale
        first = len(self.sessions)  # the day's sessions are the ones made from here on
        for ad in ADS:
            budget = ad.daily_budget_micros * scale
            spent: dict[date, int] = {}
            for at in sorted(self._moment(day) for _ in range(
                    self._poisson(ad.daily_clicks * scale))):
                local = at.astimezone(_zone(ad.account.time_zone)).date()
                if local == self.paused_day and ad.account is META:
                    continue  # campaigns paused for a day: an empty extract
                cost = round(self.rng.uniform(0.6, 1.4) * ad.cpc * 1_000_000)
                cost -= cost % 10_000
                if spent.get(local, 0) + cost > budget:
                    continue  # the day's budget is spent: the ad stops serving
                spent[local] = spent.get(local, 0) + cost
                click = Click(ad, at, cost, self.token(24))
                self.clicks.append(click)
                if self.rng.random() < 0.92:  # some clicks bounce before analytics loads
                    click.session = self._session(PLATFORM_CHANNEL[ad.account.platform], at, ad,
                                                  click.click_id, ad.conversion_rate)
                stats = self.ad_days.setdefault((ad.ad_id, local), AdDay(ad, local))
                stats.clicks += 1
                stats.cost_micros += click.cost_micros
                if click.session is not None and click.session.converted:
                    stats.conversions += 1
        for channel, (per_day, rate) in ORGANIC.items():
            for _ in range(self._poisson(per_day * scale)):
                self._session(channel, self._moment(day), conversion_rate=rate)
        if self.config.mess:
            for _ in range(self._poisson(40 * scale)):
                bot = self._session(self.rng.choice(["direct", "referral"]), self._moment(day),
                                    bot=True)
                bot.bot, bot.pageviews, bot.converted = True, 15 + self._poisson(10), False
        for session in [s for s in self.sessions[first:] if s.converted]:
            self._web_lead(session)
        for channel, per_day in SALES_SOURCED.items():
            for _ in range(self._poisson(per_day * scale)):
                self._sales_lead(channel, self._moment(day))

    def _account(self) -> Account:
        if self.accounts and self.rng.random() < 0.3:
            return self.rng.choice(self.accounts)
        word, kind = self.rng.choice(COMPANY_WORDS), self.rng.choice(COMPANY_KINDS)
        n = self.next_id()
        account = Account(f"A{n:05d}", f"{word} {kind} {n}", f"{word}{kind}{n}.example".lower(),
                          kind, self.rng.choice([60, 120, 250, 480, 900, 1800]))
        self.accounts.append(account)
        return account

    def _person(self, created: datetime, channel: str, campaign: str | None,
                first_touch_at: datetime, account: Account | None = None) -> Person:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        account = account or self._account()
        n = self.next_id()
        heard = HEARD_FOR_CHANNEL[channel] if self.rng.random() < 0.65 else \
            self.rng.choice(HEARD_ABOUT)
        person = Person(f"P{n:06d}", f"{first}.{last}.{n}@{account.domain}".lower(), first, last,
                        account, created, channel, campaign, first_touch_at, heard,
                        self.rng.randrange(0, 100), self.rng.random() < 0.2)
        if account.created_at is None:
            account.created_at = created
        self.people.append(person)
        return person

    def _web_lead(self, session: Session) -> None:
        first = session.visitor.first_session or session
        campaign = first.ad.campaign_name if first.ad else None
        created = session.started_at + timedelta(seconds=40 + self.rng.randrange(900))
        if created >= self.horizon:
            session.converted = False
            return
        person = self._person(created, first.channel, campaign, first.started_at)
        person.session = session
        session.person = person

    def _sales_lead(self, channel: str, at: datetime) -> None:
        person = self._person(at, channel, None, at)
        person.sales_sourced = True
        person.score = self.rng.randrange(40, 100)

    # --- the funnel ------------------------------------------------------------------------------
    def _funnel(self, person: Person) -> None:
        rng = self.rng
        owner = OWNERS[int(person.person_id[1:]) % 4] if not person.sales_sourced \
            else rng.choice(OWNERS[:4])
        if person.sales_sourced:  # created by sales: accepted at once, never an MQL
            person.owner = owner
            person.first_touch_by_sales_at = person.created_at
            person.sal_at = person.created_at
            person.touches.append((person.created_at, rng.choice(["CALL", "EMAIL"])))
        else:
            if person.demo_request or person.score >= MQL_SCORE:
                person.mql_at = person.created_at
            elif rng.random() < 0.12:  # nurture lifts the score later
                person.mql_at = person.created_at + timedelta(days=rng.uniform(3, 25))
                person.initial_score = person.score
                person.score = rng.randrange(MQL_SCORE, 95)
            if person.mql_at is None:
                return
            person.owner = owner
            if rng.random() < 0.25:  # never followed up
                return
            delay = timedelta(hours=min(200.0, rng.lognormvariate(math.log(5), 1.2)))
            person.first_touch_by_sales_at = person.mql_at + delay
            person.touches.append((person.first_touch_by_sales_at, rng.choice(["CALL", "EMAIL"])))
            if rng.random() < 0.22:
                person.disqualified_at = person.first_touch_by_sales_at + timedelta(
                    hours=rng.uniform(1, 48))
                person.rejection_reason = rng.choice(REJECTION_REASONS)
                return
            person.sal_at = person.first_touch_by_sales_at
        if rng.random() > 0.5:
            return
        person.sql_at = person.sal_at + timedelta(days=rng.uniform(1, 10))
        person.touches.append((person.sql_at - timedelta(hours=2), "MEETING"))
        if rng.random() > 0.8:
            return
        created = person.sql_at + timedelta(days=rng.uniform(0, 3))
        amount = int(round(rng.lognormvariate(math.log(24000), 0.5), -2))
        stages = [(created, "discovery")]
        moment = created
        for stage in ("demo", "proposal", "negotiation"):
            moment += timedelta(days=rng.uniform(4, 20))
            stages.append((moment, stage))
            if rng.random() < 0.25:
                break
        won = stages[-1][1] == "negotiation" and rng.random() < 0.55
        closed_at = moment + timedelta(days=rng.uniform(2, 15))
        stages.append((closed_at, "closed_won" if won else "closed_lost"))
        opportunity = Opportunity(f"O{self.next_id():06d}", person, amount, created, stages,
                                  closed_at, won, None if won else rng.choice(LOST_REASONS))
        person.opportunity = opportunity
        self.opportunities.append(opportunity)
        for at, _ in stages[1:]:
            person.touches.append((at - timedelta(hours=1), "MEETING"))

    def _mess_people(self) -> None:
        """Test, internal and spam leads; a second CRM record for some people; merges, deletes."""
        if not self.config.mess:
            return
        rng = self.rng
        originals = [p for p in self.people if not p.sales_sourced]
        for person in rng.sample(originals, k=max(1, len(originals) // 40)):
            person.is_test = True
            person.email, person.first_name, person.last_name = (
                f"test{person.person_id[1:]}@example.com", "Test", "Test")
        for person in rng.sample(originals, k=max(1, len(originals) // 60)):
            if not person.excluded:
                person.is_internal = True
                person.email = f"{person.first_name}.{person.last_name}@{INTERNAL_DOMAIN}".lower()
        for person in rng.sample(originals, k=max(1, len(originals) // 50)):
            if not person.excluded:
                person.is_spam = True
                person.email = f"{self.token(8).lower()}@mailinator.com"
                person.first_name, person.last_name = "asdf", "qwerty"
                if person.created_at + timedelta(days=2) < self.horizon:
                    person.deleted_at = person.created_at + timedelta(days=2)
        for excluded in (p for p in self.people if p.excluded):
            excluded.mql_at = excluded.sal_at = excluded.sql_at = None
            excluded.first_touch_by_sales_at = excluded.disqualified_at = None
            excluded.owner, excluded.opportunity, excluded.touches = None, None, []
        self.opportunities = [o for o in self.opportunities if o.person.opportunity is o]
        for person in rng.sample(originals, k=max(1, len(originals) // 30)):
            if person.excluded:
                continue
            at = person.created_at + timedelta(days=rng.uniform(1, 20))
            if at >= self.horizon:
                continue
            email = rng.choice([person.email.upper(), f" {person.email} ",
                                person.email.capitalize()])
            twin = Person(f"P{self.next_id():06d}", email, person.first_name, person.last_name,
                          person.account, at, person.channel, person.campaign,
                          person.first_touch_at, person.heard_about, person.score_at(at), False)
            twin.duplicate_of = person
            if rng.random() < 0.5 and at + timedelta(days=3) < self.horizon:
                twin.merged_at = at + timedelta(days=3)
            self.people.append(twin)
        self.people.sort(key=lambda p: p.created_at)


def local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(_zone(zone)).date()


TIMELINE_ORDER = ["created", "mql", "touched", "sal", "disqualified", "sql", "opportunity",
                  "customer", "merged", "deleted"]


def timeline(person: Person, horizon: datetime) -> list[tuple[datetime, str]]:
    """The moments a person's CRM record changes, before the horizon, in order."""
    moments = [(person.created_at, "created"), (person.mql_at, "mql"),
               (person.first_touch_by_sales_at, "touched"), (person.sal_at, "sal"),
               (person.disqualified_at, "disqualified"), (person.sql_at, "sql"),
               (person.merged_at, "merged"), (person.deleted_at, "deleted")]
    if person.opportunity is not None:
        moments.append((person.opportunity.created_at, "opportunity"))
        if person.opportunity.won:
            moments.append((person.opportunity.closed_at, "customer"))
    kept = [(at, what) for at, what in moments if at is not None and at < horizon]
    return sorted(kept, key=lambda m: (m[0], TIMELINE_ORDER.index(m[1])))
