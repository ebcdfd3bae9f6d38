"""Multi-touch attribution (audit.attribution_opportunities, attribution_by_channel,
pipeline_sourced_influenced) against the simulated company's truth, against an independent
Python reimplementation of every model (the Markov chain solved exactly, in fractions), and,
on hand-made journeys with known answers, the dbt models' own compiled SQL run on temporary
tables.

Tolerances: credits 1e-9 per opportunity and model (double-precision weights); attributed
amounts 1e-6 in the reporting currency (credit x amount, summed); sourced pipeline against the
truth exact to the cent (amounts are summed whole, and the CRM's deals are in USD like the
truth's amount_usd); Markov removal effects 1e-9 against the exact solution.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import psycopg
import pytest
import yaml
from support import query_rows

from revwh.core.config import DBT_PROJECT_DIR, settings

MODELS = ("first_touch", "last_touch", "linear", "position_based", "w_shaped", "time_decay",
          "markov")
CREDIT_TOLERANCE = 1e-9
AMOUNT_TOLERANCE = Decimal("0.000001")
CENT = Decimal("0.01")
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


def _half_life_days() -> float:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return float(project["vars"]["attribution_half_life_days"])


# --- the reference implementation ----------------------------------------------------------------
def rule_based_credits(days_before: list[float], lead_creation: int | None,
                       half_life_days: float) -> dict[str, list[float]]:
    """Credits of the rule-based models for one journey: the days before the opportunity of each
    touch, in order, and the index of the lead-creation touch (None if no touch is that early)."""
    n = len(days_before)
    if n == 1:
        position = [1.0]
    elif n == 2:
        position = [0.5, 0.5]
    else:
        position = [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
    roles = [0.3 * (i == 0) + 0.3 * (i == lead_creation) + 0.3 * (i == n - 1) for i in range(n)]
    rest = [i for i in range(n) if roles[i] == 0]
    w_shaped = [roles[i] or 0.1 / len(rest) for i in range(n)]
    decay = [2 ** (-days / half_life_days) for days in days_before]
    return {
        "first_touch": [1.0] + [0.0] * (n - 1),
        "last_touch": [0.0] * (n - 1) + [1.0],
        "linear": [1 / n] * n,
        "position_based": position,
        "w_shaped": [w / sum(w_shaped) for w in w_shaped],
        "time_decay": [w / sum(decay) for w in decay],
    }


def markov_credits(channels: list[str], removal_effects: dict[str, float]) -> list[float]:
    """Each channel on the path gets its share of the removal effects of the path's channels,
    spread equally over its touches."""
    on_path = Counter(channels)
    total = sum(removal_effects[channel] for channel in on_path)
    return [removal_effects[channel] / total / on_path[channel] for channel in channels]


def _solve(matrix: list[list[Fraction]], vector: list[Fraction]) -> list[Fraction]:
    """Gauss-Jordan elimination in exact fractions."""
    size = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(size)]
    for col in range(size):
        pivot = next(r for r in range(col, size) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        head = rows[col][col]
        rows[col] = [value / head for value in rows[col]]
        for r in range(size):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][size] for i in range(size)]


def markov_removal_effects(journeys: list[tuple[list[str], bool]]) -> dict[str, Fraction]:
    """The exact removal effects of a first-order chain learnt from journeys (channel path,
    converted): absorption probabilities solve (I - Q) a = r, Q among channel states."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for path, converted in journeys:
        collapsed = [c for i, c in enumerate(path) if i == 0 or path[i - 1] != c]
        states = [START, *collapsed, CONVERSION if converted else NULL]
        for a, b in zip(states, states[1:], strict=False):
            counts[a][b] += 1
    probability = {a: {b: Fraction(n, sum(out.values())) for b, n in out.items()}
                   for a, out in counts.items()}
    channels = sorted(set(probability) - {START})

    def conversion(removed: str | None) -> Fraction:
        kept = [c for c in channels if c != removed]
        index = {c: i for i, c in enumerate(kept)}
        matrix = [[Fraction(int(i == j)) for j in range(len(kept))] for i in range(len(kept))]
        vector = [Fraction(0)] * len(kept)
        for c in kept:
            for target, p in probability[c].items():
                if target == CONVERSION:
                    vector[index[c]] += p
                elif target in index:
                    matrix[index[c]][index[target]] -= p
        absorbed = _solve(matrix, vector) if kept else []
        return sum((p * absorbed[index[t]] for t, p in probability[START].items()
                    if t in index), Fraction(0))

    baseline = conversion(None)
    return {c: 1 - conversion(c) / baseline for c in channels}


def test_reference_markov_on_the_textbook_case():
    """The reference itself, on the classic example: C1 > C2 > C3 converts, C1 alone and
    C2 > C3 do not: P(conversion) = 1/3, without C1 1/6 (effect 1/2), without C2 or C3 0
    (effect 1). C4, on a journey of its own that never converts, has effect 0."""
    effects = markov_removal_effects([(["C1", "C2", "C3"], True), (["C1"], False),
                                      (["C2", "C3"], False), (["C4"], False)])
    assert effects == {"C1": Fraction(1, 2), "C2": 1, "C3": 1, "C4": 0}


# --- the warehouse against the truth and the reference -------------------------------------------
@pytest.fixture(scope="module")
def attribution(metrics_warehouse) -> list[dict]:
    return query_rows(metrics_warehouse.url, "select * from audit.attribution_opportunities")


@pytest.fixture(scope="module")
def opportunities(metrics_warehouse) -> dict[str, dict]:
    rows = query_rows(metrics_warehouse.url, "select * from intermediate.int_opportunities")
    return {row["opportunity_id"]: row for row in rows}


@pytest.fixture(scope="module")
def truth_opportunities(metrics_warehouse) -> list[dict]:
    with open(metrics_warehouse.truth / "opportunities.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_opportunities_are_the_truths(opportunities, truth_opportunities):
    """Same count, outcomes and total pipeline as the truth (exact: USD deals, USD truth)."""
    assert len(opportunities) == len(truth_opportunities)
    assert Counter(o["outcome"] for o in opportunities.values()) == \
        Counter(o["outcome"] for o in truth_opportunities)
    assert sum(o["amount_reporting"] for o in opportunities.values()) == \
        sum(Decimal(o["amount_usd"]) for o in truth_opportunities)
    assert all(o["reporting_currency"] == "USD" for o in opportunities.values())


def test_every_model_distributes_each_opportunity_whole(attribution, opportunities):
    """Per opportunity and model the credits add up to 1 (to 1e-9), each in [0, 1]; every
    opportunity is attributed by every model."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for row in attribution:
        assert 0 <= row["credit"] <= 1, row
        totals[(row["opportunity_id"], row["attribution_model"])] += row["credit"]
    assert set(totals) == {(o, m) for o in opportunities for m in MODELS}
    off = {key: total for key, total in totals.items() if abs(total - 1) >= CREDIT_TOLERANCE}
    assert off == {}


def test_attributed_pipeline_per_model_is_the_whole_pipeline(metrics_warehouse, attribution,
                                                             opportunities):
    """Per model the attributed pipeline and revenue add up to the opportunities' amounts and
    closed revenue, in attribution_opportunities and in attribution_by_channel (to 1e-6)."""
    pipeline = sum(o["amount_reporting"] for o in opportunities.values())
    revenue = sum(o["closed_revenue_reporting"] for o in opportunities.values())
    by_channel = query_rows(metrics_warehouse.url, "select * from audit.attribution_by_channel")
    for rows in (attribution, by_channel):
        for model in MODELS:
            chosen = [r for r in rows if r["attribution_model"] == model]
            assert abs(sum(r["attributed_pipeline"] for r in chosen) - pipeline) \
                < AMOUNT_TOLERANCE, model
            assert abs(sum(r["attributed_revenue"] for r in chosen) - revenue) \
                < AMOUNT_TOLERANCE, model


def test_sourced_pipeline_by_channel_is_the_truths(metrics_warehouse, truth_opportunities):
    """Sourced (first-touch) pipeline per channel = the truth's amount_usd by first_touch_channel,
    exact to the cent; so is the first_touch model's attributed pipeline per channel."""
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in truth_opportunities:
        expected[row["first_touch_channel"]] += Decimal(row["amount_usd"])
    sourced = query_rows(metrics_warehouse.url,
                    "select channel, sourced_pipeline, influenced_pipeline"
                    " from audit.pipeline_sourced_influenced where breakdown = 'channel'")
    actual = {r["channel"]: r["sourced_pipeline"] for r in sourced if r["sourced_pipeline"]}
    assert {c: v.quantize(CENT) for c, v in actual.items()} == dict(expected)
    assert all(r["influenced_pipeline"] >= r["sourced_pipeline"] for r in sourced)
    first_touch = query_rows(metrics_warehouse.url,
                        "select channel, attributed_pipeline from audit.attribution_by_channel"
                        " where attribution_model = 'first_touch' and attributed_pipeline <> 0")
    assert {r["channel"]: r["attributed_pipeline"].quantize(CENT) for r in first_touch} == \
        dict(expected)


def test_journeys_are_the_touches_up_to_each_opportunity(metrics_warehouse, opportunities):
    """Each opportunity's touches are exactly its person's touches at or before its creation;
    only an opportunity with none gets one stand-in touch (type none)."""
    touchpoints = query_rows(metrics_warehouse.url,
                        "select person_id, touch_id, touched_at"
                        " from intermediate.int_people__touchpoints")
    by_person: dict[str, list[dict]] = defaultdict(list)
    for touch in touchpoints:
        by_person[touch["person_id"]].append(touch)
    touches = query_rows(metrics_warehouse.url,
                    "select opportunity_id, touch_id, touch_type"
                    " from intermediate.int_attribution__touches")
    actual: dict[str, set[str]] = defaultdict(set)
    for touch in touches:
        actual[touch["opportunity_id"]].add(touch["touch_id"])
    for opportunity_id, opportunity in opportunities.items():
        expected = {t["touch_id"] for t in by_person[opportunity["person_id"]]
                    if t["touched_at"] <= opportunity["created_at"]}
        assert actual[opportunity_id] == (expected or {f"none:{opportunity_id}"})


def test_rule_based_models_match_the_reference(metrics_warehouse, attribution, opportunities):
    """first_touch, last_touch, linear, position_based, w_shaped and time_decay credits equal
    the Python reimplementation's on every opportunity (to 1e-9); the touch order and the
    lead-creation touch are derived afresh from the timestamps."""
    half_life = _half_life_days()
    journeys: dict[str, list[dict]] = defaultdict(list)
    for row in attribution:
        if row["attribution_model"] == MODELS[0]:
            journeys[row["opportunity_id"]].append(row)
    credits = {(r["opportunity_id"], r["touch_id"], r["attribution_model"]): r["credit"]
               for r in attribution}
    for opportunity_id, touches in journeys.items():
        opportunity = opportunities[opportunity_id]
        touches.sort(key=lambda t: (t["touched_at"], t["touch_id"]))
        early = [i for i, t in enumerate(touches)
                 if t["touched_at"] <= opportunity["person_inquiry_at"]]
        expected = rule_based_credits(
            [(opportunity["created_at"] - t["touched_at"]).total_seconds() / 86400
             for t in touches], early[-1] if early else None, half_life)
        for model, values in expected.items():
            for touch, value in zip(touches, values, strict=True):
                assert credits[(opportunity_id, touch["touch_id"], model)] == \
                    pytest.approx(value, abs=CREDIT_TOLERANCE), (opportunity_id, model)
    assert any(len(t) >= 3 for t in journeys.values())  # the data has journeys with a middle


def test_markov_matches_the_exact_solution(metrics_warehouse, attribution, opportunities):
    """The journeys are every opportunity's path plus every counted person's without an
    opportunity; the removal effects equal the chain's exact absorption probabilities (1e-9),
    lie in [0, 1], converged (unabsorbed mass < 1e-9); each opportunity's credits split by them.
    A channel on no converting journey gets no credit at all."""
    paths: dict[str, list[str]] = defaultdict(list)
    for row in sorted((r for r in attribution if r["attribution_model"] == "markov"),
                      key=lambda r: (r["touched_at"], r["touch_id"])):
        paths[row["opportunity_id"]].append(row["channel"])
    with_opportunity = {o["person_id"] for o in opportunities.values()}
    counted = {r["person_id"] for r in query_rows(metrics_warehouse.url,
                                             "select person_id from audit.dim_people")}
    others: dict[str, list[str]] = defaultdict(list)
    for touch in query_rows(metrics_warehouse.url,
                       "select person_id, channel from intermediate.int_people__touchpoints"
                       " order by person_id, touch_number"):
        if touch["person_id"] in counted - with_opportunity:
            others[touch["person_id"]].append(touch["channel"])
    journeys = [(p, True) for p in paths.values()] + [(p, False) for p in others.values()]
    stored = query_rows(metrics_warehouse.url,
                   "select channel_path, is_converted"
                   " from intermediate.int_attribution__markov_journeys")
    assert Counter((tuple(r["channel_path"]), r["is_converted"]) for r in stored) == \
        Counter((tuple(p), c) for p, c in journeys)

    exact = markov_removal_effects(journeys)
    effects = {r["channel"]: r for r in query_rows(
        metrics_warehouse.url,
        "select * from intermediate.int_attribution__markov_removal_effects")}
    assert set(effects) == set(exact)
    for channel, row in effects.items():
        assert 0 <= row["removal_effect"] <= 1
        assert abs(row["unabsorbed_probability"]) < 1e-9
        assert row["removal_effect"] == pytest.approx(float(exact[channel]), abs=1e-9), channel

    removal = {c: float(e) for c, e in exact.items()}
    credits = {(r["opportunity_id"], r["touch_id"]): r["credit"]
               for r in attribution if r["attribution_model"] == "markov"}
    for opportunity_id, rows in _group(attribution, "markov").items():
        expected = markov_credits([r["channel"] for r in rows], removal)
        for row, value in zip(rows, expected, strict=True):
            assert credits[(opportunity_id, row["touch_id"])] == \
                pytest.approx(value, abs=CREDIT_TOLERANCE)

    converting = {c for p in paths.values() for c in p}
    never = set(effects) - converting
    credited = {r["channel"] for r in attribution
                if r["attribution_model"] == "markov" and r["credit"] > 0}
    assert not never & credited
    by_channel = query_rows(metrics_warehouse.url,
                       "select channel, attributed_pipeline from audit.attribution_by_channel"
                       " where attribution_model = 'markov'")
    assert all(r["attributed_pipeline"] == 0 for r in by_channel if r["channel"] in never)


def _group(attribution: list[dict], model: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in sorted((r for r in attribution if r["attribution_model"] == model),
                      key=lambda r: r["touch_position"]):
        grouped[row["opportunity_id"]].append(row)
    return grouped


# --- the dbt models' SQL on hand-made journeys ----------------------------------------------------
CHAIN = [  # (folder under models, model), in dependency order
    ("intermediate/attribution", "int_opportunities"),
    ("intermediate/attribution", "int_attribution__touches"),
    ("intermediate/attribution", "int_attribution__markov_journeys"),
    ("intermediate/attribution", "int_attribution__markov_transitions"),
    ("intermediate/attribution", "int_attribution__markov_removal_effects"),
    ("marts/attribution", "attribution_opportunities"),
]
RELATION = re.compile(r'"[^"]+"\."(?:intermediate|audit|reference|staging)"\."(\w+)"')


@functools.cache
def _compiled_target() -> Path:
    """The CHAIN compiled by dbt once, into a target folder of its own: the session's shared
    target holds whatever another test compiled last (another CRM, contract or currency), which
    depends on the order the tests ran in."""
    from revwh.transform.dbt_runner import run_dbt

    home = Path(tempfile.mkdtemp(prefix="revwh-test-compiled-"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVWH_HOME", str(home))
        for name in ("CRM", "CRM_MAPPING_FILE", "LEAD_DEFINITION_FILE"):
            patch.delenv(name, raising=False)
        run_dbt(["compile", "--select", " ".join(m for _, m in CHAIN)])
        return settings().dbt_target_dir


def _compiled(folder: str, model: str) -> str:
    """The model's SQL as dbt compiled it (the default CRM and contract), reading temporary
    tables in place of its inputs."""
    path = _compiled_target() / "compiled" / "revenue_warehouse" / "models" / folder / \
        f"{model}.sql"
    return RELATION.sub(r"pg_temp.\1", Path(path).read_text())


def _salt() -> str:
    match = re.search(r"md5\('((?:[^']|'')*)' \|\|", _compiled(*CHAIN[0]))
    assert match, "person_key not found in the compiled int_opportunities"
    return match.group(1).replace("''", "'")


BASE = datetime(2026, 9, 20, 12, tzinfo=UTC)


def _at(days: float, minutes: float = 0) -> datetime:
    return BASE + timedelta(days=days, minutes=minutes)


# person: (records: [(record_id, created_at, exclusion, lead_source_channel, deal...)], touches)
HAND_MADE_RECORDS = [
    # record_id, email, created_at, exclusion_reason, lead_source_channel, deal_id, amount,
    # currency, opportunity_at, outcome
    ("r1", "p1@x.example", _at(-7, 10), None, None, "O1", 20000, "USD", _at(0), "won"),
    ("r1b", "p1@x.example", _at(-5), None, None, "O1", 20000, "USD", _at(0), "won"),
    ("r2", "p2@x.example", _at(-2), None, "outbound", "O2", 5000, "USD", _at(-2), "open"),
    ("r3", "p3@x.example", _at(-5, 2), None, None, "O3", 10000, "EUR", _at(0), "lost"),
    ("r4", "p4@x.example", _at(-3), None, "partner", "O4", 8000, "USD", _at(0), "open"),
    ("r5", "p5@x.example", _at(-4, 1), None, None, "O5", 12000, "USD", _at(0), "open"),
    ("r6", "p6@x.example", _at(-1, 5), None, None, None, None, None, None, None),
    ("r7", "p7@x.example", _at(-1, 5), None, None, None, None, None, None, None),
    ("r8", "p8@x.example", _at(-1, 5), None, None, None, None, None, None, None),
    ("r9", "spam@x.example", _at(-1), "spam", None, "O9", 99000, "USD", _at(0), "won"),
]
HAND_MADE_TOUCHES = [  # email, touch_id, touch_type, touched_at, channel, campaign
    ("p1@x.example", "t1", "web", _at(-10), "paid_search", "Search - Brand"),
    ("p1@x.example", "t2", "web", _at(-7), "organic_search", None),
    ("p1@x.example", "t3", "web", _at(-3), "direct", None),
    ("p1@x.example", "t4", "web", _at(0), "email", "newsletter"),
    ("p1@x.example", "t5", "web", _at(2), "referral", None),  # after the opportunity
    ("p2@x.example", "t6", "sales", _at(-2), "outbound", None),  # at the very moment
    ("p3@x.example", "t7", "web", _at(-5), "paid_social", "Lead Gen"),
    ("p3@x.example", "t8", "web", _at(-1), "paid_search", "Search - Brand"),
    ("p5@x.example", "t9", "web", _at(-6), "organic_search", None),
    ("p5@x.example", "t10", "web", _at(-4), "paid_search", "Search - Brand"),
    ("p5@x.example", "t11", "web", _at(-1), "organic_search", None),
    ("p6@x.example", "t12", "web", _at(-2), "organic_social", None),
    ("p6@x.example", "t13", "web", _at(-1), "organic_search", None),
    ("p7@x.example", "t14", "web", _at(-1), "paid_search", None),
    ("spam@x.example", "t15", "web", _at(-1), "paid_search", None),
]
# the journeys these make, written out by hand: the Markov chain learns from exactly these
HAND_MADE_JOURNEYS = [
    (["paid_search", "organic_search", "direct", "email"], True),  # O1
    (["outbound"], True),  # O2
    (["paid_social", "paid_search"], True),  # O3
    (["partner"], True),  # O4: no touch, the stand-in in the lead source's channel
    (["organic_search", "paid_search", "organic_search"], True),  # O5
    (["organic_social", "organic_search"], False),  # p6
    (["paid_search"], False),  # p7 (p8 has no touch: no journey; spam is not counted)
]


def _load_hand_made(conn: psycopg.Connection, salt: str) -> None:
    def person(email: str) -> str:
        return hashlib.md5((salt + email).encode()).hexdigest()

    conn.execute(
        "create temp table int_people__records (crm text, record_id text, email_key text,"
        " identity_key text, created_at timestamptz, is_deleted boolean, exclusion_reason text,"
        " lead_source_channel text, deal_id text, deal_amount numeric, deal_currency text,"
        " opportunity_at timestamptz, deal_outcome text, won_at timestamptz, lost_reason text)")
    for record, email, created, exclusion, lead_source, deal, amount, currency, at, outcome \
            in HAND_MADE_RECORDS:
        conn.execute(
            "insert into int_people__records values ('hubspot', %s, %s, %s, %s, false, %s, %s,"
            " %s, %s, %s, %s, %s, %s, null)",
            (record, email, email, created, exclusion, lead_source, deal, amount, currency, at,
             outcome, at + timedelta(days=30) if outcome == "won" else None))
    conn.execute("create temp table int_fx_rates__daily (date_day date, currency_code text,"
                 " rate_to_reporting numeric)")
    conn.execute("insert into int_fx_rates__daily values (%s, 'EUR', 1.1), (%s, 'EUR', 2)",
                 (BASE.date(), BASE.date() - timedelta(days=1)))
    conn.execute(
        "create temp table int_people__touchpoints (person_id text, touch_type text,"
        " touch_id text, touched_at timestamptz, channel text, source text, medium text,"
        " campaign text, touch_number bigint, touches_total bigint)")
    numbers = Counter()
    for email, touch_id, touch_type, at, channel, campaign in HAND_MADE_TOUCHES:
        numbers[email] += 1
        conn.execute(
            "insert into int_people__touchpoints values (%s, %s, %s, %s, %s, null, null, %s,"
            " %s, null)", (person(email), touch_type, touch_id, at, channel, campaign,
                           numbers[email]))
    for folder, model in CHAIN:
        conn.execute(f"create temp view {model} as {_compiled(folder, model)}")


@pytest.fixture(scope="module")
def hand_made(metrics_warehouse) -> dict[str, list[dict]]:
    salt = _salt()
    with psycopg.connect(metrics_warehouse.url) as conn:
        _load_hand_made(conn, salt)
        relations = {}
        for _, model in CHAIN:
            cursor = conn.execute(f"select * from pg_temp.{model}")
            names = [column.name for column in cursor.description]
            relations[model] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        conn.rollback()
    return relations


def test_hand_made_opportunities(hand_made):
    """One row per deal of a counted person (two records carrying O1 are one opportunity, the
    spam record's O9 is out); EUR converted at the rate of the creation day; revenue if won."""
    rows = {r["opportunity_id"]: r for r in hand_made["int_opportunities"]}
    assert set(rows) == {"O1", "O2", "O3", "O4", "O5"}
    assert rows["O3"]["amount_reporting"] == Decimal("11000.0")
    assert rows["O1"]["closed_revenue_reporting"] == 20000
    assert rows["O3"]["closed_revenue_reporting"] == 0
    assert rows["O1"]["person_inquiry_at"] == _at(-7, 10)


def test_hand_made_journeys(hand_made):
    """Touches at or before the opportunity (p1's touch after it is out, p2's sales touch at
    the very moment is in, p4 gets a stand-in in its lead source's channel); the Markov
    journeys are exactly the ones written out by hand."""
    touches: dict[str, list[dict]] = defaultdict(list)
    for row in sorted(hand_made["int_attribution__touches"], key=lambda r: r["touch_position"]):
        touches[row["opportunity_id"]].append(row)
    assert [t["touch_id"] for t in touches["O1"]] == ["t1", "t2", "t3", "t4"]
    assert [t["is_lead_creation_touch"] for t in touches["O1"]] == [False, True, False, False]
    assert [t["touch_id"] for t in touches["O2"]] == ["t6"]
    assert [(t["touch_type"], t["channel"]) for t in touches["O4"]] == [("none", "partner")]
    assert [t["is_lead_creation_touch"] for t in touches["O5"]] == [False, True, False]
    assert touches["O1"][0]["days_before_opportunity"] == 10
    stored = Counter((tuple(r["channel_path"]), r["is_converted"])
                     for r in hand_made["int_attribution__markov_journeys"])
    assert stored == Counter((tuple(p), c) for p, c in HAND_MADE_JOURNEYS)


def test_hand_made_credits(hand_made):
    """Every model's credits on the hand-made journeys, written out (time_decay: half-life 7
    days), and Markov's removal effects against the exact solution of the hand-made chain."""
    half_life = _half_life_days()
    credits = {(r["opportunity_id"], r["touch_id"], r["attribution_model"]): r["credit"]
               for r in hand_made["attribution_opportunities"]}

    def of(opportunity: str, model: str, touch_ids: list[str]) -> list[float]:
        return [credits[(opportunity, t, model)] for t in touch_ids]

    o1 = ["t1", "t2", "t3", "t4"]
    decay = [2 ** (-d / half_life) for d in (10, 7, 3, 0)]
    expected_o1 = {
        "first_touch": [1, 0, 0, 0], "last_touch": [0, 0, 0, 1],
        "linear": [0.25] * 4, "position_based": [0.4, 0.1, 0.1, 0.4],
        "w_shaped": [0.3, 0.3, 0.1, 0.3], "time_decay": [w / sum(decay) for w in decay],
    }
    for model, values in expected_o1.items():
        assert of("O1", model, o1) == pytest.approx(values, abs=CREDIT_TOLERANCE), model
    # two touches, the first also the lead-creation one: w_shaped 0.6 / 0.3 scaled to 100%
    assert of("O3", "position_based", ["t7", "t8"]) == pytest.approx([0.5, 0.5])
    assert of("O3", "w_shaped", ["t7", "t8"]) == pytest.approx([2 / 3, 1 / 3])
    # three touches in three roles, nothing in the middle to share 10%: a third each
    assert of("O5", "w_shaped", ["t9", "t10", "t11"]) == pytest.approx([1 / 3] * 3)
    assert of("O5", "position_based", ["t9", "t10", "t11"]) == pytest.approx([0.4, 0.2, 0.4])
    for model in MODELS:  # one touch, or one stand-in: all of it
        assert credits[("O2", "t6", model)] == 1
        assert credits[("O4", "none:O4", model)] == 1

    exact = markov_removal_effects(HAND_MADE_JOURNEYS)
    effects = {r["channel"]: r for r in hand_made["int_attribution__markov_removal_effects"]}
    assert {c: r["removal_effect"] for c, r in effects.items()} == \
        pytest.approx({c: float(e) for c, e in exact.items()}, abs=1e-12)
    # organic_social is on no converting journey: it may keep a removal effect (the chain goes
    # on to organic_search, which converts) but gets no credit
    assert effects["organic_social"]["converting_journeys"] == 0
    assert effects["organic_social"]["removal_effect"] > 0
    assert not any(r["channel"] == "organic_social"
                   for r in hand_made["attribution_opportunities"])
    removal = {c: float(e) for c, e in exact.items()}
    path = ["organic_search", "paid_search", "organic_search"]
    assert of("O5", "markov", ["t9", "t10", "t11"]) == \
        pytest.approx(markov_credits(path, removal), abs=CREDIT_TOLERANCE)
    share = removal["organic_search"] / (removal["organic_search"] + removal["paid_search"])
    assert credits[("O5", "t9", "markov")] == pytest.approx(share / 2, abs=CREDIT_TOLERANCE)


def test_hand_made_markov_textbook_and_loops(metrics_warehouse):
    """The transitions and removal-effect SQL on journeys fed in directly: the textbook case
    (effects 1/2, 1, 1 and 0), and journeys that loop between channels many times (repeats
    collapsed, value converged) against the exact solution."""
    cases = [
        ([(["C1", "C2", "C3"], True), (["C1"], False), (["C2", "C3"], False), (["C4"], False)],
         {"C1": 0.5, "C2": 1.0, "C3": 1.0, "C4": 0.0}),
        ([(["A", "B"] * 20 + ["C"], True), (["B", "A"] * 15, False), (["A", "A", "A"], True),
          (["C", "B", "B", "A"], False), (["B"], True)], None),
    ]
    for journeys, known in cases:
        with psycopg.connect(metrics_warehouse.url) as conn:
            conn.execute("create temp table int_attribution__markov_journeys (journey_id text,"
                         " journey_type text, person_id text, is_converted boolean,"
                         " channel_path text[], touches bigint)")
            for i, (path, converted) in enumerate(journeys):
                conn.execute("insert into int_attribution__markov_journeys values"
                             " (%s, 'x', %s, %s, %s, %s)", (f"j{i}", f"p{i}", converted, path,
                                                            len(path)))
            for folder, model in CHAIN[3:5]:
                conn.execute(f"create temp view {model} as {_compiled(folder, model)}")
            rows = conn.execute("select channel, removal_effect, unabsorbed_probability"
                                " from int_attribution__markov_removal_effects").fetchall()
            conn.rollback()
        expected = known or {c: float(e) for c, e in markov_removal_effects(journeys).items()}
        assert {c: e for c, e, _ in rows} == pytest.approx(expected, abs=1e-12)
        assert all(abs(unabsorbed) < 1e-12 for _, _, unabsorbed in rows)
