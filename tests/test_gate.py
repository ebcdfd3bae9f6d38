"""The gate before BI: Great Expectations on the audit marts, generated from the lead definition
contract and reconciled against raw; a corrupted build fails it and publishes nothing.

The database tests use the 45 simulated days of conftest's metrics_warehouse: the clean build
passes the gate and is published; then each corruption of an audit mart must fail the gate
(naming the expectation) and leave every published mart byte for byte as it was.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
import yaml
from psycopg import sql

from revwh.core import contract
from revwh.core.errors import AuditFailed
from revwh.gate import contract_suites, reconciliation_suites, runner
from revwh.gate.spec import batch_query, literal
from revwh.gate.suites import all_suites, load_hand_written
from revwh.ops import pipeline
from revwh.publish import marts
from revwh.warehouse import lease

RUN = f"gate_{uuid.uuid4().hex[:8]}"  # run ids of this session: ops.* keeps earlier ones
DAY = date(2026, 10, 15)  # the last of the metrics warehouse's 45 days (tests/conftest.py)
START = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
END = START + timedelta(days=1)


# --- the suites, without a database ----------------------------------------------------------

def _suite(name: str, day: date = DAY):
    return next(spec for spec in all_suites([day]) if spec.name == name)


def _rule(name: str) -> dict:
    return next(e for e in _suite("contract__dim_people__rules").expectations
                if e["meta"]["check"] == name)


def test_contract_suites_follow_the_contract(tmp_path: Path, monkeypatch):
    """A one-line change of the contract changes the gate: nothing is written twice."""
    assert ">= 60 or is_high_intent" in _rule("mql_rule")["kwargs"]["unexpected_rows_query"]
    people = _suite("contract__dim_people").expectations
    stages = next(e for e in people if e["kwargs"].get("column") == "current_stage")
    assert stages["kwargs"]["value_set"] == [*contract_suites.stage_keys(), "disqualified"]
    changed = yaml.safe_load(contract.contract_path().read_text())
    changed["mql"]["score_threshold"] = 75
    changed["channels"].append({"key": "podcast_ads", "group": "paid", "description": "x"})
    changed["exclusions"]["competitor_domains"].append("newrival.example")
    path = tmp_path / "lead_definition.yml"
    path.write_text(yaml.safe_dump(changed))
    monkeypatch.setenv("LEAD_DEFINITION_FILE", str(path))
    assert ">= 75 or is_high_intent" in _rule("mql_rule")["kwargs"]["unexpected_rows_query"]
    assert "'newrival.example'" in _rule("excluded_records_absent")["kwargs"][
        "unexpected_rows_query"]
    channel = next(e for e in _suite("contract__daily_channel_performance").expectations
                   if e["kwargs"].get("column") == "channel")
    assert "podcast_ads" in channel["kwargs"]["value_set"]


def test_every_channel_currency_and_money_column_of_the_marts_is_checked():
    checked = {(spec.table, e["kwargs"].get("column"))
               for spec in all_suites([DAY]) if spec.name.startswith("contract__")
               for e in spec.expectations}
    marts = contract_suites.mart_columns()
    for mart, columns in marts.items():
        for column in columns:
            if column.endswith("channel") or column in ("currency", "reporting_currency",
                                                        "spend", "sourced_pipeline"):
                assert (mart, column) in checked, f"{mart}.{column} is not checked"
    assert ("weekly_scorecard", "spend_wow_change") not in checked  # may be negative
    assert {"dim_people", "ad_performance_daily", "daily_channel_performance"} <= set(marts)


def test_hand_written_suites_keep_only_what_the_contract_does_not_say():
    for spec in load_hand_written():
        for expectation in spec.expectations:
            column = expectation["kwargs"].get("column", "")
            assert not column.endswith("channel") or expectation["type"] != \
                "expect_column_values_to_be_in_set", f"{spec.name}: {column} is the contract's"
            assert column not in ("spend", "currency"), f"{spec.name}: {column} is the contract's"


def test_queries_alias_the_batch_as_gx_fills_it_in():
    assert batch_query("select * from {batch} where x") == "select * from {batch} where x"
    assert batch_query("select 1 from {batch} as b join t on true")
    with pytest.raises(ValueError, match="exactly when the query has a join"):
        batch_query("select * from {batch} as b where x")
    with pytest.raises(ValueError, match="exactly when the query has a join"):
        batch_query("select * from {batch} join t on true")
    with pytest.raises(ValueError, match="must read"):
        batch_query("select 1")
    # contract values reach the SQL quoted, and safe from GX's and SQLAlchemy's own syntax
    assert literal("o'brien{3}:x") == "'o''brien{{3}}\\:x'"


def test_suites_command_prints_what_the_gate_runs(tmp_path: Path):
    from revwh.ops.cli import main

    assert main(["suites", "--day", DAY.isoformat(), "--out", str(tmp_path)]) == 0
    written = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("*.json")}
    assert {"contract__dim_people", "contract__dim_people__rules", "reconcile__dim_people",
            "reconcile__ad_performance_daily", "freshness__daily_channel_performance",
            "daily_channel_performance"} <= set(written)
    assert written["freshness__daily_channel_performance"]["meta"]["scope"] == "table"
    assert written["reconcile__ad_performance_daily"]["meta"]["interval_column"] == "spend_date"


# --- the gate on a built warehouse -----------------------------------------------------------

def published_checksums(url: str) -> dict[str, str]:
    """Every published mart's rows, as a count and an order-independent digest."""
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " order by 1")]
        return {table: conn.execute(sql.SQL(
            "select count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|'"
            " order by t::text)), '') from {} as t").format(
                sql.Identifier("marts", table))).fetchone()[0] for table in tables}


def gate(url: str, run_id: str, task: bool = False) -> dict[str, int]:
    """What the DAG does: audit, and only if it passed, publish. ``task``: the audit task's
    own function (dbt docs into the evidence folder first; the warehouse from WAREHOUSE_URL)."""
    if task:  # as the DAG's claim_build task does before the build
        with psycopg.connect(url, autocommit=True) as conn:
            assert lease.claim(conn, run_id) is None
        try:
            pipeline.audit_marts(START, END, run_id)
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                lease.release(conn, run_id)
    else:
        runner.run_audit(START, END, run_id, url)
    return marts.publish(run_id, START, END, url)


@pytest.fixture(scope="module")
def gated(metrics_warehouse):
    config = metrics_warehouse.company.config
    assert config.start + timedelta(days=config.days - 1) == DAY
    url = metrics_warehouse.url
    # a two-day interval, as a backfill would have: the per-day suites run for each day
    report = runner.run_audit(START - timedelta(days=1), END, f"{RUN}_clean", url)
    published = marts.publish(f"{RUN}_clean", START - timedelta(days=1), END, url)
    return SimpleNamespace(url=url, report=report, published=published,
                           checksums=published_checksums(url))


def test_a_clean_build_passes_and_its_evidence_is_kept(gated):
    report = gated.report
    assert not report.failed and len(report.checks) > 80
    ran = {(c.suite, c.column) for c in report.checks if c.note is None}
    for expected in [("contract__dim_people", "person_id"),
                     ("contract__dim_people__rules", "mql_rule"),
                     ("contract__dim_people__rules", "sql_rule"),
                     ("reconcile__ad_performance_daily", "spend_matches_raw"),
                     ("reconcile__dim_people", "people_match_raw_crm"),
                     ("freshness__ad_performance_daily", "interval_present"),
                     ("volume__ad_performance_daily", "volume_in_band")]:
        assert expected in ran
    spend_days = {c.day for c in report.checks if c.column == "spend_matches_raw"}
    assert spend_days == {DAY - timedelta(days=1), DAY}
    assert set(gated.published) >= {"dim_people", "ad_performance_daily"}
    assert report.evidence.name == "index.html" and report.evidence.exists()
    validations = report.evidence.parent / "validations"
    spend = json.loads((validations / f"reconcile__ad_performance_daily__{DAY}.json").read_text())
    assert spend["success"] and spend["meta"]["batch_parameters"] == {
        "year": DAY.year, "month": DAY.month, "day": DAY.day}
    assert (report.evidence.parent / "suites" / "contract__dim_people__rules.json").exists()
    with psycopg.connect(gated.url) as conn:
        recorded = conn.execute(
            "select count(*), bool_and(success), count(distinct evidence) from ops.audit_results"
            " where run_id = %s", (f"{RUN}_clean",)).fetchone()
    assert recorded == (len(report.checks), True, 1)


def test_spend_reconciliation_recomputes_from_raw(gated):
    """The day's spend per platform as the check recomputes it equals the mart's, and is the
    simulated truth: the check is not vacuous."""
    query = reconciliation_suites._spend_query()
    query = query.replace("{batch} as b", f"(select * from audit.ad_performance_daily where"
                                          f" spend_date = '{DAY}') as b")
    query = query.replace("\\:", ":").replace("where mart.platform is null or", "where true or")
    with psycopg.connect(gated.url) as conn:
        rows = conn.execute(query).fetchall()
    assert {row[0] for row in rows} == {"google_ads", "meta_ads", "linkedin_ads"}
    for _platform, _day, marts_spend, raw_spend, difference, note in rows:
        assert marts_spend == raw_spend and difference == "0.00" and note is None


def test_volume_band_is_learned_from_the_previous_days(gated):
    band, note = reconciliation_suites.volume_band(
        gated.url, "audit", "ad_performance_daily", "spend_date", DAY)
    with psycopg.connect(gated.url) as conn:
        rows = conn.execute("select count(*) from audit.ad_performance_daily"
                            " where spend_date = %s", (DAY,)).fetchone()[0]
    assert note is None and 0 < band["volume_min"] <= rows <= band["volume_max"] < 3 * rows
    band, note = reconciliation_suites.volume_band(
        gated.url, "audit", "ad_performance_daily", "spend_date", date(2026, 9, 5))
    assert band is None and note.startswith("volume not checked: 4 days with rows")


def _corrupt(url: str, table: str, statement: str | tuple[str, ...]):
    """Corrupt an audit mart, committed (the gate reads it from other connections); returns
    a function that restores it."""
    conn = psycopg.connect(url, autocommit=True)
    backup = sql.Identifier(f"gate_backup_{table}")
    target = sql.Identifier("audit", table)
    conn.execute(sql.SQL("create temp table {} as select * from {}").format(backup, target))
    constraints = conn.execute(
        "select conname, pg_get_constraintdef(oid) from pg_constraint"
        " where conrelid = %s::regclass", (f"audit.{table}",)).fetchall()
    *before, corruption = statement if isinstance(statement, tuple) else (statement,)
    for step in before:
        conn.execute(step)
    changed = conn.execute(corruption.format(day=DAY.isoformat())).rowcount
    assert changed > 0, f"the corruption changed nothing: {corruption}"

    def restore() -> None:
        with conn.transaction():
            conn.execute(sql.SQL("delete from {}").format(target))
            conn.execute(sql.SQL("insert into {} select * from {}").format(target, backup))
            kept = {r[0] for r in conn.execute(
                "select conname from pg_constraint where conrelid = %s::regclass",
                (f"audit.{table}",))}
            for name, definition in constraints:
                if name not in kept:
                    conn.execute(sql.SQL("alter table {} add constraint {} {}").format(
                        target, sql.Identifier(name), sql.SQL(definition)))
        conn.close()

    return restore


CORRUPTIONS = {
    # The mart's enforced contract has a primary key, so dbt's build already refuses this;
    # the gate is the second line (a mart built without the key, or a key dropped by hand).
    "duplicated person": (
        "dim_people",
        ("do $$ declare key text; begin select conname into key from pg_constraint"
         " where conrelid = 'audit.dim_people'::regclass and contype = 'p';"
         " if key is not null then execute format('alter table audit.dim_people"
         " drop constraint %I', key); end if; end $$",
         "insert into audit.dim_people select * from audit.dim_people"
         " where person_id = (select min(person_id) from audit.dim_people)"),
        ["contract__dim_people.person_id", "expect_column_values_to_be_unique",
         "people_match_raw_crm", "in the marts more than once"]),
    "stages out of order": (
        "dim_people",
        "update audit.dim_people set sql_at = sal_at - interval '2 days'"
        " where person_id = (select min(person_id) from audit.dim_people"
        " where sql_at is not null)",
        ["contract__dim_people__rules.stages_in_waterfall_order", "sal after sql"]),
    "spend mismatch": (
        "ad_performance_daily",
        "update audit.ad_performance_daily set spend = spend + 0.01 where ctid = (select ctid"
        " from audit.ad_performance_daily where spend_date = '{day}' and platform = 'meta_ads'"
        " and spend > 0 limit 1)",
        ["reconcile__ad_performance_daily.spend_matches_raw", "'platform': 'meta_ads'",
         "'difference': '0.01'"]),
    "missing day": (
        "daily_channel_performance",
        "delete from audit.daily_channel_performance where date_day = '{day}'",
        ["freshness__daily_channel_performance.interval_present",
         f"'missing_day': '{DAY}'"]),
    "unknown channel": (
        "daily_channel_performance",
        "update audit.daily_channel_performance set channel = 'tiktok_ads'"
        " where date_day = '{day}' and channel = 'paid_search'",
        ["contract__daily_channel_performance.channel", "expect_column_values_to_be_in_set",
         "tiktok_ads"]),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_a_corrupted_build_fails_the_gate_and_keeps_the_published_marts(gated, case: str,
                                                                        monkeypatch):
    table, statement, named = CORRUPTIONS[case]
    run_id = f"{RUN}_" + case.replace(" ", "_")
    task = case == "missing day"  # once through the DAG task's function, dbt docs and all
    monkeypatch.setenv("WAREHOUSE_URL", gated.url)
    restore = _corrupt(gated.url, table, statement)
    try:
        with pytest.raises(AuditFailed) as failed:
            gate(gated.url, run_id, task=task)
    finally:
        restore()
    message = str(failed.value)
    for text in named:
        assert text in message, f"{case}: {text!r} not in:\n{message}"
    assert "nothing was published" in message and "file://" in message
    assert published_checksums(gated.url) == gated.checksums
    with psycopg.connect(gated.url) as conn:
        published = conn.execute("select count(*) from ops.publish_log where run_id = %s",
                                 (run_id,)).fetchone()[0]
        failures = conn.execute("select count(*) from ops.audit_results where run_id = %s"
                                " and not success", (run_id,)).fetchone()[0]
    assert published == 0 and failures >= 1
    evidence = Path(message.rsplit("file://", 1)[1].strip())
    assert evidence.exists() and any((evidence.parent / "validations").glob("*.json"))
    if task:  # dbt docs of the build sit beside the GX evidence
        dbt_docs = evidence.parent.parent / "dbt"
        assert (dbt_docs / "static_index.html").exists()
        assert "dim_people" in (dbt_docs / "catalog.json").read_text()
    shutil.rmtree(evidence.parent.parent)
