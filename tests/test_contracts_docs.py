"""The BI-facing marts' contracts, exposures and docs: every mart has an enforced contract (each
column named and typed, a primary key where its grain allows one), a changed column type or
name fails the build, the dashboards are dbt exposures of the marts they read, and
`dbt docs generate` documents every mart and column."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import psycopg
import pytest

from revwh.core import contract
from revwh.core.config import AUDIT_SCHEMA, DBT_PROJECT_DIR, settings
from revwh.core.sources import active_crm
from revwh.transform.dbt_runner import dbt_env, run_dbt

PROJECT = "revenue_warehouse"
# marts whose grain has a column that is null on some rows (channel rows have no campaign; an
# MQL may have no owner): unique by dbt test, no primary key
NO_PRIMARY_KEY = {"channel_efficiency", "pipeline_sourced_influenced", "sales_follow_up_summary"}
# the marts each dashboard's charts and channel filter read (tests/test_bi_assets.py checks the
# exposures against the Superset bundle itself)
DASHBOARDS = {
    "weekly-scorecard": {"weekly_scorecard", "funnel_stage_history", "funnel_conversion_weekly",
                         "channel_efficiency", "daily_channel_performance"},
    "attribution": {"attribution_opportunities", "pipeline_sourced_influenced"},
    "sales-follow-up": {"sales_follow_up", "sales_feedback_reasons"},
    "self-reported-source": {"self_reported_vs_tracked"},
    "data-quality": {"crm_anomalies", "people_exclusions", "dim_people", "opportunities"},
}
# PostgreSQL's names of the types the contracts declare
TYPE_NAMES = {"timestamptz": "timestamp with time zone", "numeric(18,2)": "numeric"}


@pytest.fixture(scope="module")
def manifest(warehouse: str) -> dict:
    run_dbt(["parse"], url=warehouse)
    return json.loads((settings().dbt_target_dir / "manifest.json").read_text())


def _marts(manifest: dict) -> dict[str, dict]:
    return {node["name"]: node for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["schema"] == AUDIT_SCHEMA}


def test_every_mart_has_an_enforced_contract_with_typed_described_columns(manifest: dict):
    marts = _marts(manifest)
    assert len(marts) >= 17 and {"weekly_scorecard", "opportunities"} <= set(marts)
    for name, node in marts.items():
        assert node["config"]["contract"]["enforced"] is True, name
        assert node["description"].strip(), name
        assert node["columns"], name
        for column, spec in node["columns"].items():
            assert spec.get("data_type"), f"{name}.{column} has no data_type"
            assert spec.get("description", "").strip(), f"{name}.{column} has no description"
        keys = [c for c in node.get("constraints", []) if c["type"] == "primary_key"]
        if name in NO_PRIMARY_KEY:
            assert not keys, name
        else:
            assert len(keys) == 1 and keys[0]["columns"], f"{name} has no primary key"
            assert set(keys[0]["columns"]) <= set(node["columns"]), name


def test_the_built_marts_have_exactly_the_contracted_columns_and_keys(manifest: dict,
                                                                      metrics_warehouse):
    with psycopg.connect(metrics_warehouse.url) as conn:
        built: dict[str, dict[str, str]] = {}
        for table, column, type_name in conn.execute(
                "select c.relname, a.attname, format_type(a.atttypid, null)"
                " from pg_attribute a join pg_class c on c.oid = a.attrelid"
                " join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = %s and c.relkind = 'r' and a.attnum > 0"
                " and not a.attisdropped", (AUDIT_SCHEMA,)):
            built.setdefault(table, {})[column] = type_name
        keys = {table: sorted(columns) for table, columns in conn.execute(
            "select tc.table_name, array_agg(k.column_name::text)"
            " from information_schema.table_constraints tc"
            " join information_schema.key_column_usage k using (constraint_schema, constraint_name)"
            " where tc.table_schema = %s and tc.constraint_type = 'PRIMARY KEY'"
            " group by 1", (AUDIT_SCHEMA,))}
    for name, node in _marts(manifest).items():
        declared = {column: TYPE_NAMES.get(spec["data_type"], spec["data_type"])
                    for column, spec in node["columns"].items()}
        assert built[name] == declared, name
        primary = [c["columns"] for c in node.get("constraints", [])
                   if c["type"] == "primary_key"]
        assert keys.get(name) == (sorted(primary[0]) if primary else None), name


def _dbt_in(project: Path, args: list[str], url: str):
    """dbt on a copy of the project (as revwh.transform.dbt_runner.run_dbt runs it on the real
    one)."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(url))
    return dbtRunner().invoke([
        *args, "--project-dir", str(project), "--profiles-dir", str(project),
        "--target-path", str(project / "target"), "--log-path", str(project / "logs"),
        "--vars", json.dumps({**contract.dbt_vars(), "crm": active_crm()})])


def test_a_changed_column_type_or_name_fails_the_build(metrics_warehouse, tmp_path: Path):
    """On a copy of the project whose models build into a schema of their own: a mart whose
    column changed type, and one whose column was renamed, fail with dbt's contract error
    naming the column; an unchanged mart builds in the same run."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    marts = project / "models" / "marts"
    probe = "{{ config(schema='contract_probe') }}\n"
    follow_up = (marts / "sales" / "sales_follow_up.sql").read_text()
    assert "    hours_to_first_touch,\n" in follow_up
    (marts / "sales" / "sales_follow_up.sql").write_text(probe + follow_up.replace(
        "    hours_to_first_touch,\n", "    hours_to_first_touch::text as hours_to_first_touch,\n"))
    agreement = (marts / "funnel" / "self_reported_agreement.sql").read_text()
    assert "as agreement_rate," in agreement
    (marts / "funnel" / "self_reported_agreement.sql").write_text(probe + agreement.replace(
        "as agreement_rate,", "as agreement_share,"))
    confusion = (marts / "funnel" / "self_reported_confusion.sql").read_text()
    (marts / "funnel" / "self_reported_confusion.sql").write_text(probe + confusion)
    try:
        outcome = _dbt_in(project, ["run", "--select", "sales_follow_up",
                                    "self_reported_agreement", "self_reported_confusion"],
                          metrics_warehouse.url)
        assert not outcome.success
        results = {r.node.name: r for r in outcome.result.results}
        assert str(results["self_reported_confusion"].status) == "success"
        for name, column in (("sales_follow_up", "hours_to_first_touch"),
                             ("self_reported_agreement", "agreement_rate")):
            message = results[name].message or ""
            assert str(results[name].status) == "error", name
            assert "enforced contract" in message and column in message, message
        assert "data type mismatch" in results["sales_follow_up"].message
        with psycopg.connect(metrics_warehouse.url) as conn:
            tables = {r[0] for r in conn.execute(
                "select tablename from pg_tables where schemaname = 'contract_probe'")}
        assert tables == {"self_reported_confusion"}
    finally:
        with psycopg.connect(metrics_warehouse.url, autocommit=True) as conn:
            conn.execute("drop schema if exists contract_probe cascade")


def test_the_dashboards_are_exposures_of_the_marts_they_read(manifest: dict):
    exposures = {node["url"].rstrip("/").rsplit("/", 1)[-1]: node
                 for node in manifest["exposures"].values()}
    assert set(exposures) == set(DASHBOARDS)
    for slug, node in exposures.items():
        assert node["type"] == "dashboard" and node["maturity"] in ("high", "medium", "low")
        assert node["url"] == f"http://localhost:8088/superset/dashboard/{slug}/"
        assert node["owner"]["name"] and node["label"] and node["description"].strip()
        read = {manifest["nodes"][unique_id]["name"]
                for unique_id in node["depends_on"]["nodes"]}
        assert read == DASHBOARDS[slug], slug
        assert all(manifest["nodes"][unique_id]["schema"] == AUDIT_SCHEMA
                   for unique_id in node["depends_on"]["nodes"]), slug


def test_docs_generate_documents_every_mart_and_column(manifest: dict, metrics_warehouse):
    run_dbt(["docs", "generate"], url=metrics_warehouse.url)
    target = settings().dbt_target_dir
    catalog = json.loads((target / "catalog.json").read_text())
    assert (target / "index.html").exists()
    assert not catalog.get("errors")
    for name, node in _marts(manifest).items():
        entry = catalog["nodes"][f"model.{PROJECT}.{name}"]
        assert entry["metadata"]["schema"] == AUDIT_SCHEMA, name
        assert set(entry["columns"]) == set(node["columns"]), name
        assert all(node["columns"][column]["description"].strip()
                   for column in entry["columns"]), name
