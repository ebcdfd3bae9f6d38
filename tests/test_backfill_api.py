"""Operating the nightly DAG as a data engineer does, for real: Airflow's API server, scheduler and
DAG processor (LocalExecutor) in processes of their own, a backfill created through the REST
API with a token (the call the UI's Trigger -> Backfill makes), parallel runs, a cleared task;
against the same days run nightly one by one as their extracts landed (dag.test), with late
data: restated ad days and a CRM update to a months-old record.

Every comparison is of the whole published schema, row for row (revwh.publish.checksums).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from revwh.ops.airflow_services import AirflowServices, free_port, services_env
from revwh.publish.checksums import differing_marts, mart_checksums, mart_differences
from revwh.simulate.company import Company, SimConfig
from revwh.simulate.writers import write_extracts

# Starting Airflow and running the DAG (a dbt build a run) takes minutes, more on a busy
# machine: more than the suite's per-test limit. (About 5.5 minutes for the module here.)
pytestmark = pytest.mark.timeout(3600)

DAG_ID = "revenue_nightly"
# Two nights (every dbt build costs about a minute); the simulator writes a third day so that
# the first day's ads are restated (pulled again two days later, inside the 3-day lookback).
DAYS = [date(2026, 9, 1), date(2026, 9, 2)]
GENERATED_DAYS = 3
OLD_CONTACT = "199001"  # a HubSpot contact created months before the first day
OLD_CREATED = "2026-05-12T10:00:00.000Z"
OLD_UPDATED = f"{DAYS[1].isoformat()}T11:00:00.000Z"  # moved to SQL on the second day


def add_old_record_and_its_late_update(staged: Path) -> None:
    """CRM extracts are incremental by modification time: a contact created in May, modified on
    the first day, is in that day's file; its move to sales-qualified the next day is in the
    second day's file, and nowhere else."""
    def contacts(day: date) -> Path:
        return staged / f"hubspot/contacts/dt={day.isoformat()}/contacts.jsonl"

    template = json.loads(contacts(DAYS[0]).read_text().splitlines()[0])
    lead = json.loads(json.dumps(template))
    lead["id"] = lead["properties"]["hs_object_id"] = OLD_CONTACT
    modified = f"{DAYS[0].isoformat()}T09:00:00.000Z"
    lead["properties"].update({
        "email": "morgan.old.199001@longtimecustomer.example", "firstname": "Morgan",
        "lastname": "Old", "createdate": OLD_CREATED, "lastmodifieddate": modified,
        "lifecyclestage": "lead", "hs_lead_status": "OPEN", "hubspotscore": "10",
        "ga_client_id": "", "hs_google_click_id": ""})
    lead["propertiesWithHistory"] = {
        "lifecyclestage": [{"value": "lead", "timestamp": OLD_CREATED, "sourceType": "CRM_UI",
                            "sourceId": "userId:1"}],
        "hs_lead_status": [{"value": "OPEN", "timestamp": OLD_CREATED, "sourceType": "CRM_UI",
                            "sourceId": "userId:1"}]}
    lead["createdAt"], lead["updatedAt"] = OLD_CREATED, modified
    update = json.loads(json.dumps(lead))
    update["properties"].update({"lifecyclestage": "salesqualifiedlead",
                                 "lastmodifieddate": OLD_UPDATED})
    update["propertiesWithHistory"]["lifecyclestage"].insert(0, {
        "value": "salesqualifiedlead", "timestamp": OLD_UPDATED, "sourceType": "CRM_UI",
        "sourceId": "userId:7"})
    update["updatedAt"] = OLD_UPDATED
    for day, record in ((DAYS[0], lead), (DAYS[1], update)):
        with open(contacts(day), "a") as handle:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")


def land_as_of(staged: Path, landing: Path, day: date) -> None:
    """The landing folder as it was when the run of `day` started, at midnight after it: each
    day's first pull (made the morning after the day) and the later pulls (``__vYYYYMMDD``, made
    that day) up to then."""
    for path in sorted(staged.rglob("*")):
        rel = path.relative_to(staged)
        if not path.is_file() or rel.parts[0] == "_truth":
            continue
        partition = next(part for part in rel.parts if part.startswith("dt="))
        pulled = re.search(r"__v(\d{8})", path.name)
        landed = (datetime.strptime(pulled.group(1), "%Y%m%d").date() if pulled
                  else date.fromisoformat(partition[3:]) + timedelta(days=1))
        if landed <= day + timedelta(days=1) and not (landing / rel).exists():
            (landing / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, landing / rel)


def observe(url: str) -> dict:
    """What the late-data checks look at in the published marts."""
    with psycopg.connect(url) as conn:
        spend = conn.execute(
            "select sum(spend_original), sum(platform_conversions) from marts.ad_performance_daily"
            " where platform = 'google_ads' and spend_date = %s", (DAYS[0],)).fetchone()
        person = conn.execute(
            "select person_id, current_stage, sql_at from marts.dim_people"
            " where crm = 'hubspot' and crm_record_id = %s", (OLD_CONTACT,)).fetchone()
        stages = conn.execute(
            "select stage, entered_at, cohort_week from marts.funnel_stage_history"
            " where person_id = %s order by stage_order", (person[0],)).fetchall() \
            if person else []
    return {"google_ads_day1": spend, "old_contact": person and person[1:], "stages": stages}


# The person keys are salted hashes (revwh.gate.privacy): the two warehouses compared row for row
# share one salt, as two deployments of one warehouse would (each REVWH_HOME would otherwise
# generate its own).
PII_SALT = secrets.token_hex(16)


def _env(base: dict[str, str], url: str, airflow_url: str, home: Path, landing: Path
         ) -> dict[str, str]:
    return {**base, "WAREHOUSE_URL": url, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_url,
            "REVWH_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow"),
            "LANDING_URL": str(landing), "CRM": "hubspot", "REVWH_PII_SALT": PII_SALT}


def run_nightly(staged: Path, env: dict[str, str], landing: Path, url: str) -> SimpleNamespace:
    """The days one night at a time (dag.test), each as its extracts had landed."""
    seen: dict[str, dict] = {}

    def run(day: date, conf: dict | None = None) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "revwh.ops.dagrun", day.isoformat(), json.dumps(conf or {})],
            env=env, capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]

    for day in DAYS:
        land_as_of(staged, landing, day)
        run(day)
        seen[day.isoformat()] = observe(url)
    return SimpleNamespace(seen=seen, checksums=mart_checksums(url))


@pytest.fixture(scope="module")
def staged(warehouse: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("staged")
    write_extracts(Company(SimConfig(start=DAYS[0], days=GENERATED_DAYS, seed=5, scale=0.2)),
                   folder, crm="hubspot")
    add_old_record_and_its_late_update(folder)
    return folder


@pytest.fixture(scope="module")
def operated(staged: Path, warehouse: str, airflow_db_factory, database_factory,
             tmp_path_factory: pytest.TempPathFactory):
    """Airflow started for real and a backfill of the days with parallel runs created through
    the REST API, while the same days run nightly one by one in another warehouse."""
    from revwh.ops.airflow_env import airflow_env

    base = {**os.environ, **airflow_env()}
    nightly_url = database_factory("revwh_test_nightly")
    nightly_env = _env(base, nightly_url, airflow_db_factory("revwh_test_nightly_af"),
                       tmp_path_factory.mktemp("nightly-home"), staged)
    backfill_url = database_factory("revwh_test_backfill")
    home = tmp_path_factory.mktemp("backfill-home")
    # The backfill runs after the nights, on what had landed by the last of them: the pulls made
    # later (the restated days of GENERATED_DAYS' last day) are a later run's business, and would
    # rightly change the marts.
    backfill_landing = tmp_path_factory.mktemp("backfill-landing")
    land_as_of(staged, backfill_landing, DAYS[-1])
    backfill_env = _env(base, backfill_url, airflow_db_factory("revwh_test_backfill_af"), home,
                        backfill_landing)
    # no scheduled run of "yesterday" when the DAG is unpaused: only the backfill's runs
    backfill_env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "False"
    # the dbt build as one task: what is checked here (backfill, lease, identical marts, a
    # rerun with params) does not depend on it, and a task per model costs minutes a run on two
    # cores; the per-model tasks' run, clear and rerun are tests/test_celery.py's
    backfill_env["REVWH_DBT_EXECUTION_MODE"] = "single"
    env = services_env(backfill_env, home / "airflow", free_port())
    services = AirflowServices.start(env, [["api-server"], ["scheduler"], ["dag-processor"]],
                                     home / "logs", migrate=False)
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        landing = tmp_path_factory.mktemp("nightly-landing")
        nightly = pool.submit(run_nightly, staged, {**nightly_env, "LANDING_URL": str(landing)},
                              landing, nightly_url)
        services.wait_ready(DAG_ID)
        services.unpause(DAG_ID)
        backfill = services.backfill(DAG_ID, DAYS[0], DAYS[-1], max_active_runs=len(DAYS))
        runs = services.wait_for_runs(DAG_ID, count=len(DAYS), timeout=1800)
        nightly_result = nightly.result()
        backfilled = mart_checksums(backfill_url)
        differing = differing_marts(backfilled, nightly_result.checksums)
        yield SimpleNamespace(
            services=services, backfill=backfill, runs=runs, url=backfill_url,
            backfilled=backfilled, nightly=nightly_result,
            # the rows behind a differing checksum: a is the backfill, b the nightly runs
            differences=mart_differences(backfill_url, nightly_url, differing))
    finally:
        pool.shutdown(wait=True)
        services.stop()


def test_restated_ad_days_are_reprocessed_by_the_lookback(operated, staged: Path):
    seen = operated.nightly.seen
    truth = [row.split(",") for row in (staged / "_truth/spend.csv").read_text().splitlines()]
    header = truth[0]
    rows = [dict(zip(header, row, strict=True)) for row in truth[1:]]
    day1 = [r for r in rows if r["date"] == DAYS[0].isoformat() and r["platform"] == "google_ads"]
    expected = (sum(Decimal(r["spend"]) for r in day1),
                sum(Decimal(r["conversions"]) for r in day1))
    first, second = (seen[d.isoformat()]["google_ads_day1"] for d in DAYS)
    # the first pull (spend not yet credited back, conversions not all attributed) ...
    assert (Decimal(first[0]), Decimal(first[1])) != expected
    # ... is replaced by the next night's run: the restated pull landed two days after the day,
    # inside the 3-day lookback
    assert (Decimal(second[0]), Decimal(second[1])) == expected


def test_a_crm_update_to_a_months_old_record_updates_the_funnel(operated):
    seen = operated.nightly.seen
    before, after = seen[DAYS[0].isoformat()], seen[DAYS[1].isoformat()]
    assert before["old_contact"][1] is None  # no sql_at yet
    stage, sql_at = after["old_contact"]
    assert stage == "sql"
    assert sql_at == datetime.fromisoformat(OLD_UPDATED.replace("Z", "+00:00"))
    stages = {row[0]: row for row in after["stages"]}
    assert "sql" in stages and "sql" not in {row[0] for row in before["stages"]}
    assert str(stages["sql"][2]).startswith("2026-05")  # its cohort is still May's


def test_a_backfill_through_the_rest_api_equals_the_nightly_runs(operated):
    runs = operated.runs
    assert operated.backfill["max_active_runs"] == len(DAYS) > 1
    assert sorted((r["data_interval_start"][:10], r["data_interval_end"][:10], r["run_type"])
                  for r in runs) == [
        (d.isoformat(), (d + timedelta(days=1)).isoformat(), "backfill") for d in DAYS]
    # the same marts, row for row, as the days run one by one as they landed
    assert operated.backfilled.keys() == operated.nightly.checksums.keys()
    assert not differing_marts(operated.backfilled, operated.nightly.checksums), json.dumps(
        operated.differences, indent=1)
    for mart in ("ad_performance_daily", "daily_channel_performance", "dim_people",
                 "funnel_stage_history", "weekly_scorecard"):
        assert not operated.backfilled[mart].startswith("0:"), mart


def test_runs_loaded_in_parallel_and_built_one_at_a_time(operated):
    services = operated.services
    tis = {r["dag_run_id"]: {ti["task_id"]: ti for ti in services.task_instances(
        DAG_ID, r["dag_run_id"])} for r in operated.runs}
    loads = []
    builds = []
    for run_tis in tis.values():
        extracts = [ti for task, ti in run_tis.items() if task.startswith(("extract_", "load_"))]
        loads.append((min(datetime.fromisoformat(t["start_date"]) for t in extracts),
                      max(datetime.fromisoformat(t["end_date"]) for t in extracts)))
        # under the build lease: transform, audit and publish
        builds.append((datetime.fromisoformat(run_tis["transform"]["start_date"]),
                       datetime.fromisoformat(run_tis["publish"]["end_date"])))
        assert run_tis["publish"]["state"] == "success"

    def overlap(a: tuple, b: tuple) -> bool:
        return a[0] < b[1] and b[0] < a[1]

    pairs = [(i, j) for i in range(len(loads)) for j in range(i + 1, len(loads))]
    assert any(overlap(loads[i], loads[j]) for i, j in pairs), loads
    assert not any(overlap(builds[i], builds[j]) for i, j in pairs), builds


def test_rerunning_a_past_day_for_one_source_with_a_full_refresh_changes_nothing(operated):
    """The first day again with the DAG's params, GA4 only, every incremental dbt model rebuilt
    from scratch: a one-day backfill that reprocesses the completed run with a run config (the
    UI's Trigger -> Backfill, "all runs", with a configuration; a manual run cannot take a day
    that already has a run, its logical date is taken)."""
    services = operated.services
    conf = {"platforms": ["ga4"], "full_refresh": True}
    services.wait_for_backfill(operated.backfill["id"])
    services.backfill(DAG_ID, DAYS[0], DAYS[0], max_active_runs=1, conf=conf,
                      reprocess="completed")
    run = next(r for r in services.runs(DAG_ID) if r["logical_date"][:10] == DAYS[0].isoformat())
    assert run["conf"] == conf and run["state"] in ("queued", "running"), run
    services.wait_for_runs(DAG_ID, run_ids={run["dag_run_id"]}, timeout=1200)
    states = {ti["task_id"]: ti["state"]
              for ti in services.task_instances(DAG_ID, run["dag_run_id"])}
    assert states["extract_ga4"] == states["load_ga4"] == "success"
    assert {state for task, state in states.items() if task.startswith(("extract_", "load_"))
            and not task.endswith("_ga4")} == {"skipped"}
    assert states["transform"] == states["publish"] == states["release_build"] == "success"
    assert mart_checksums(operated.url) == operated.nightly.checksums


def test_airflow_stops_cleanly_on_sigint(operated):
    codes = operated.services.stop()
    assert not operated.services.escalated, codes
    assert all(code is not None for code in codes.values())
