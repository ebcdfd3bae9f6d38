"""Incremental and full-refresh builds give identical marts (issue 4, item 9).

The simulated company, with its mess (every ad day restated by a later pull two days on, GA4
days completed by a later pull), is delivered night by night: each night the landing folder
holds what had landed by then, the nightly loads the day and re-reads its lookback window
(revwh.ops.pipeline), and dbt builds incrementally. Crafted GA4 pulls add what the simulation does
not deliver on its own: a session that crosses midnight (its events in two days' exports),
late events that change a session that crossed midnight and add a session to an old day, a
session that a later pull drops, and a person back on the web long after their last touch.
Then a full refresh of the same raw tables must give the same rows in every mart (schema
audit) and in every incremental table.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg import sql

from revwh.core.intervals import days_in
from revwh.core.sources import enabled_sources
from revwh.ops import pipeline
from revwh.simulate.company import Company, SimConfig
from revwh.simulate.landing import GA4_TIME_ZONE
from revwh.simulate.writers import write_extracts
from revwh.transform.dbt_runner import run_dbt

START = date(2026, 9, 1)
DAYS = 14  # every ad day is restated two days later
# Nights 1-5 only load; night 6 builds everything, nights 7, 9 and 14 incrementally (night 9
# after night 8's load: the window then starts on day 4, so days 1-3 are left as they were;
# night 14 catches up on four nights' loads).
BUILDS = (6, 7, 9, 14)
INCREMENTAL = ("int_ga4__sessions", "int_ga4__sessions_daily", "int_ga4__conversions",
               "int_ad_spend__daily_stats", "int_people__touchpoints")
PULL = re.compile(r"__v(\d{8})")


def day(n: int) -> date:
    return START + timedelta(days=n - 1)


def _swap_db(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path="/" + database))


@pytest.fixture
def incremental_db(pg_server: str, warehouse: str, monkeypatch: pytest.MonkeyPatch):
    """A database of its own; the pipeline's steps (WAREHOUSE_URL) point at it."""
    name = f"revwh_test_incremental_{os.getpid()}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = _swap_db(pg_server, name)
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.delenv("PLATFORMS", raising=False)
    monkeypatch.setenv("CRM", "hubspot")
    yield url
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))


# --- the deliveries ------------------------------------------------------------------------------
def _ga4_folder(landing: Path, n: int) -> Path:
    return landing / "ga4" / "events" / f"dt={day(n).isoformat()}"


def _read(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _ga4_complete(landing: Path, n: int) -> list[str]:
    """Day n's GA4 export as its newest pull has it; later pulls the simulation wrote are
    removed (the crafted ones take their place)."""
    pulls = sorted(_ga4_folder(landing, n).glob("events_*.jsonl"),
                   key=lambda p: (PULL.search(p.name) is not None, p.name))
    lines = _read(pulls[-1])
    for later in pulls[1:]:
        later.unlink()
    return lines


def _write_pull(landing: Path, n: int, lines: list[str], pulled: int | None = None) -> None:
    """Day n's export: its first pull, or a later one landed on day `pulled`."""
    tag = f"__v{day(pulled):%Y%m%d}" if pulled else ""
    path = _ga4_folder(landing, n) / f"events_{day(n):%Y%m%d}{tag}.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _event(template: dict, visitor: str, session_id: int, at: datetime, name: str) -> str:
    row = json.loads(json.dumps(template))
    row.update(event_name=name, user_pseudo_id=visitor,
               event_timestamp=int(at.timestamp() * 1_000_000),
               event_date=at.astimezone(ZoneInfo(GA4_TIME_ZONE)).strftime("%Y%m%d"))
    for param in row["event_params"]:
        if param["key"] == "ga_session_id":
            param["value"] = {"int_value": session_id}
    return json.dumps(row, separators=(",", ":"))


def craft_ga4(landing: Path, returning: str) -> None:
    """What the simulation lacks: a session across midnight, late events, a dropped session, a
    person (their visitor id `returning`) back on the web long after their last touch."""
    zone = ZoneInfo(GA4_TIME_ZONE)
    day6, day7 = _ga4_complete(landing, 6), _ga4_complete(landing, 7)
    template = next(json.loads(line) for line in day6
                    if json.loads(line)["collected_traffic_source"])
    # a paid session from 23:58 on day 6 to 00:02 on day 7 (property time): each day's export
    # holds its part, so night 6 builds it from its first part and night 7 completes it
    midnight = datetime.combine(day(7), datetime.min.time(), zone)
    started = midnight - timedelta(minutes=2)
    crossing = ("7777777777.1111111111", int(started.timestamp()))
    day6 += [_event(template, *crossing, started, "session_start"),
             _event(template, *crossing, started + timedelta(seconds=30), "page_view")]
    day7 += [_event(template, *crossing, midnight + timedelta(minutes=1), "page_view"),
             _event(template, *crossing, midnight + timedelta(minutes=2), "page_view")]
    _write_pull(landing, 6, day6)
    _write_pull(landing, 7, day7)
    # day 6 completed on day 8: an earlier event of the crossing session (a new first event),
    # and a session of its own
    late_start = midnight - timedelta(hours=3)
    late_session = ("8888888888.2222222222", int(late_start.timestamp()))
    _write_pull(landing, 6, [
        *day6,
        _event(template, *crossing, started - timedelta(minutes=5), "page_view"),
        _event(template, *late_session, late_start, "session_start"),
        _event(template, *late_session, late_start + timedelta(seconds=20), "page_view"),
    ], pulled=8)
    # day 7 pulled again on day 9 without one of its sessions
    first = json.loads(day7[0])
    dropped = (first["user_pseudo_id"], _session_id(first))
    _write_pull(landing, 7, [line for line in day7 if (
        json.loads(line)["user_pseudo_id"], _session_id(json.loads(line))) != dropped], pulled=9)
    # a person whose only visits were on days 1-2 comes back on the last day, before the window
    # of the touches the last build saw: that night must add the session to their touches
    back = datetime.combine(day(DAYS), datetime.min.time(), zone) + timedelta(hours=10)
    visit = (returning, int(back.timestamp()))
    _write_pull(landing, DAYS, [*_ga4_complete(landing, DAYS),
                             _event(template, *visit, back, "session_start"),
                             _event(template, *visit, back + timedelta(seconds=40), "page_view")])


def _early_people(landing: Path) -> list[dict[str, str]]:
    """The form fields of people a form of day 1 or 2 stitches to a visitor, whom the contract
    counts, and whose visitor has no event after day 2."""
    from revwh.core import contract

    exclusions = contract.load()["exclusions"]
    excluded = set(exclusions["internal_domains"] + exclusions["spam_domains"]
                   + exclusions["competitor_domains"])
    # the later exports as text (the simulation's mess includes lines that are not JSON)
    later = "".join(path.read_text(encoding="utf-8") for n in range(3, DAYS + 1)
                    for path in _ga4_folder(landing, n).glob("*.jsonl"))
    found = []
    forms = landing / "hubspot" / "form_submissions"
    for path in [*forms.glob(f"dt={day(1)}/*.jsonl"), *forms.glob(f"dt={day(2)}/*.jsonl")]:
        for line in _read(path):
            values = {v["name"]: v["value"] for v in json.loads(line)["values"]}
            email, visitor = values.get("email", "").lower(), values.get("ga_client_id")
            if (visitor and visitor not in later and email.split("@")[-1] not in excluded
                    and not any(re.search(p, email)
                                for p in exclusions["test_email_patterns"])):
                found.append({**values, "line": line})
    assert len(found) >= 3, "the simulation has too few early forms of counted people"
    return found


def _append(landing: Path, table: str, n: int, line: str) -> None:
    """Add a record to day n's HubSpot extract of table."""
    path = landing / "hubspot" / table / f"dt={day(n)}" / f"{table}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as extract:
        extract.write(line + "\n")


def craft_hubspot(landing: Path, gone: dict[str, str], sharer: dict[str, str]) -> None:
    """On the last day, what changes people without a new session: the person `gone` changes
    their email to a competitor's domain (the contract no longer counts them; their visitor is
    no longer theirs), and the person `sharer` sends a form from that visitor's browser (their
    touches gain its old sessions)."""
    at = datetime.combine(day(DAYS), datetime.min.time(), UTC) + timedelta(hours=9)
    stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    contact = next(json.loads(line)
                   for path in (landing / "hubspot" / "contacts").rglob("*.jsonl")
                   for line in _read(path) if gone["email"] in line)
    contact["properties"].update(email=gone["email"].split("@")[0] + "@rivalytics.example",
                                 lastmodifieddate=stamp)
    contact["updatedAt"] = stamp
    _append(landing, "contacts", DAYS, json.dumps(contact))
    form = json.loads(sharer["line"])
    form.update(submittedAt=int(at.timestamp() * 1000), conversionId="conv-crafted-sharer")
    for value in form["values"]:
        if value["name"] == "ga_client_id":
            value["value"] = gone["ga_client_id"]
    _append(landing, "form_submissions", DAYS, json.dumps(form))


def _session_id(row: dict) -> int | None:
    return next((p["value"]["int_value"] for p in row["event_params"]
                 if p["key"] == "ga_session_id"), None)


def deliver(landing: Path, visible: Path, night: int) -> None:
    """Link into `visible` every file landed by `night`: each day's first pull on its day, a
    later pull (``__vYYYYMMDD``) on the day it was pulled."""
    for path in landing.rglob("*"):
        if not path.is_file() or "_truth" in path.parts:
            continue
        folder = re.search(r"dt=(\d{4}-\d{2}-\d{2})", str(path))
        if folder is None:
            continue
        tag = PULL.search(path.name)
        landed = datetime.strptime(tag.group(1), "%Y%m%d").date() if tag \
            else date.fromisoformat(folder.group(1))
        target = visible / path.relative_to(landing)
        if landed <= day(night) and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)


def nightly_load(visible: Path, night: int) -> None:
    start = datetime.combine(day(night), datetime.min.time(), UTC)
    end = start + timedelta(days=1)
    assert days_in(start, end) == [day(night)]
    for platform in sorted({s.platform for s in enabled_sources().values()}):
        files = pipeline.extract_platform(platform, start, end, landing_url=str(visible))
        pipeline.load_platform(platform, files, run_id=f"night-{night}")


# --- what is compared ----------------------------------------------------------------------------
def checksums(url: str) -> dict[str, str]:
    """Rows and an md5 of the sorted rows of every mart and every incremental table."""
    with psycopg.connect(url) as conn:
        tables = [("audit", t) for (t,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'audit'"
            " order by 1")] + [("intermediate", t) for t in INCREMENTAL]
        return {f"{schema}.{table}": conn.execute(sql.SQL(
            "select count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|'"
            " order by t::text)), '') from {}.{} as t").format(
                sql.Identifier(schema), sql.Identifier(table))).fetchone()[0]
            for schema, table in tables}


def table_oid(url: str, name: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select %s::regclass::oid", (f"intermediate.{name}",)).fetchone()[0]


def test_incremental_and_full_refresh_builds_give_identical_marts(
        incremental_db: str, tmp_path: Path):
    landing, visible = tmp_path / "landing", tmp_path / "visible"
    write_extracts(Company(SimConfig(start=START, days=DAYS, seed=5, scale=0.1)), landing)
    returning, gone, sharer = _early_people(landing)[:3]
    craft_ga4(landing, returning["ga_client_id"])
    craft_hubspot(landing, gone, sharer)
    for night in range(1, DAYS + 1):
        deliver(landing, visible, night)
        nightly_load(visible, night)
        if night == BUILDS[0]:  # the first build: seeds and models
            run_dbt(["build", "--exclude-resource-type", "test"], url=incremental_db)
            built = {name: table_oid(incremental_db, name) for name in INCREMENTAL}
        elif night in BUILDS:
            run_dbt(["run"], url=incremental_db)
    # the nights updated the incremental tables in place, they did not rebuild them
    assert {name: table_oid(incremental_db, name) for name in INCREMENTAL} == built
    with psycopg.connect(incremental_db) as conn:
        # the late pulls reached the raw tables on their nights
        files = {f.rsplit("/", 1)[-1] for (f,) in conn.execute(
            "select distinct _file from raw_ga4.events where _file ~ '__v[0-9]{8}'")}
        assert {"events_20260906__v20260908.jsonl", "events_20260907__v20260909.jsonl"} <= files
        crossing = conn.execute(
            "select session_date, page_views from intermediate.int_ga4__sessions"
            " where user_pseudo_id = '7777777777.1111111111'").fetchall()
        came_back = conn.execute(
            "select touches.touch_number, touches.touches_total"
            " from intermediate.int_people__touchpoints as touches"
            " inner join intermediate.int_ga4__sessions as sessions"
            " on touches.touch_id = sessions.session_key"
            " where sessions.user_pseudo_id = %s and sessions.session_date = %s",
            (returning["ga_client_id"], day(DAYS))).fetchall()
        # the browser's old sessions are the sharer's touches now, no longer the gone person's
        shared = conn.execute(
            "select count(*), count(distinct touches.touch_id)"
            " from intermediate.int_people__touchpoints as touches"
            " inner join intermediate.int_ga4__sessions as sessions"
            " on touches.touch_id = sessions.session_key"
            " where sessions.user_pseudo_id = %s", (gone["ga_client_id"],)).fetchone()
    assert crossing == [(day(6), 4)]  # one session, from its earliest (late) event on
    assert came_back and all(number == total > 1 for number, total in came_back)
    assert shared[0] == shared[1] > 0
    incremental = checksums(incremental_db)
    assert len(incremental) > 15

    run_dbt(["run", "--full-refresh"], url=incremental_db)
    full = checksums(incremental_db)
    differing = {t: (incremental[t], full[t]) for t in full if incremental.get(t) != full[t]}
    assert not differing, f"incremental and full-refresh builds differ: {differing}"


def test_the_lookback_follows_the_sources_and_full_refresh_reaches_dbt(monkeypatch):
    from revwh.transform import dbt_runner

    monkeypatch.delenv("LOOKBACK_DAYS_GA4", raising=False)
    assert dbt_runner.dbt_vars()["lookback_days"] == 3  # ads and GA4: 3 days by default
    monkeypatch.setenv("LOOKBACK_DAYS_GA4", "5")
    assert dbt_runner.dbt_vars()["lookback_days"] == 5
    assert dbt_runner.dbt_vars({"lookback_days": 0})["lookback_days"] == 0
    calls: list[list[str]] = []
    monkeypatch.setattr(dbt_runner, "run_dbt", lambda args: calls.append(args) or
                        dbt_runner.DbtResult(" ".join(args), 1, []))
    pipeline.build_marts()
    pipeline.build_marts(full_refresh=True)
    assert calls == [["build"], ["build", "--full-refresh"]]


def test_dbt_sessions_run_without_jit(monkeypatch):
    from revwh.transform.dbt_runner import dbt_env

    url = "postgresql://u@h:5432/w"
    monkeypatch.delenv("PGOPTIONS", raising=False)
    assert dbt_env(url)["PGOPTIONS"] == "-c jit=off"
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=64MB")
    assert dbt_env(url)["PGOPTIONS"] == "-c work_mem=64MB -c jit=off"
    monkeypatch.setenv("PGOPTIONS", "-c jit=on")  # an explicit choice stays
    assert dbt_env(url)["PGOPTIONS"] == "-c jit=on"
