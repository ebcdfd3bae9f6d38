"""The dashboards bundle (bi/superset/assets) is consistent with itself and with the marts: every
chart reads a published mart through a dataset of the bundle, names only columns and metrics
that dataset has, and every dataset column is a column of the mart's dbt model; each dashboard
has its slug, a date-range and a channel filter; the database file holds no password. The
committed bundle is exactly what bi/superset/generate_assets.py writes; every ratio metric is a
sum over a sum (never an AVG of per-row ratios); the dbt exposures list exactly the marts each
dashboard reads, and no dashboard reads the `leads` mart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "bi" / "superset" / "assets"
MARTS = ROOT / "dbt_project" / "models" / "marts"
SLUGS = {"weekly-scorecard", "attribution", "sales-follow-up", "self-reported-source",
         "data-quality"}


def _load(folder: str) -> dict[str, dict[str, Any]]:
    return {path.relative_to(ASSETS).as_posix(): yaml.safe_load(path.read_text())
            for path in sorted((ASSETS / folder).rglob("*.yaml"))}


def _mart_columns() -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for path in MARTS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            columns[model["name"]] = {column["name"] for column in model.get("columns", [])}
    return columns


def _referenced(params: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Column names and saved-metric names a chart's params use."""
    columns: set[str] = set()
    metrics: set[str] = set()
    for key in ("groupby", "all_columns", "groupbyRows", "groupbyColumns"):
        value = params.get(key) or []
        columns.update([value] if isinstance(value, str) else
                       [v for v in value if isinstance(v, str)])
    for key in ("x_axis",):
        if params.get(key):
            columns.add(params[key])
    for item in params.get("order_by_cols", []):
        columns.add(json.loads(item)[0])
    for item in params.get("adhoc_filters", []):
        if item.get("expressionType") == "SIMPLE":
            columns.add(item["subject"])
    for key in ("metrics", "percent_metrics"):
        metrics.update(m for m in params.get(key) or [] if isinstance(m, str))
    for key in ("metric", "timeseries_limit_metric"):
        if isinstance(params.get(key), str):
            metrics.add(params[key])
    return columns, metrics


@pytest.fixture(scope="module")
def bundle() -> dict[str, dict[str, dict[str, Any]]]:
    assert yaml.safe_load((ASSETS / "metadata.yaml").read_text())["type"] == "assets"
    return {folder: _load(folder) for folder in ("databases", "datasets", "charts",
                                                  "dashboards")}


def test_database_has_no_password(bundle):
    (database,) = bundle["databases"].values()
    uri = urlsplit(database["sqlalchemy_uri"])
    assert uri.scheme.startswith("postgresql") and uri.username and uri.password is None
    assert "password" not in database
    assert not database["allow_dml"] and not database["allow_file_upload"]


def test_datasets_are_published_marts_with_their_dbt_columns(bundle):
    marts = _mart_columns()
    (database,) = bundle["databases"].values()
    for name, dataset in bundle["datasets"].items():
        assert dataset["schema"] == "marts" and dataset["sql"] is None, name
        assert dataset["database_uuid"] == database["uuid"]
        physical = {c["column_name"] for c in dataset["columns"] if not c["expression"]}
        assert physical <= marts[dataset["table_name"]], (name, physical - marts[
            dataset["table_name"]])
        if dataset["main_dttm_col"]:
            assert dataset["main_dttm_col"] in physical


def test_charts_use_only_what_their_dataset_has(bundle):
    datasets = {d["uuid"]: d for d in bundle["datasets"].values()}
    uuids = [chart["uuid"] for chart in bundle["charts"].values()]
    assert len(uuids) == len(set(uuids))
    for name, chart in bundle["charts"].items():
        dataset = datasets[chart["dataset_uuid"]]
        columns, metrics = _referenced(chart["params"])
        known_columns = {c["column_name"] for c in dataset["columns"]}
        known_metrics = {m["metric_name"] for m in dataset["metrics"]}
        assert columns <= known_columns, (name, columns - known_columns)
        assert metrics <= known_metrics, (name, metrics - known_metrics)
        assert chart["params"]["viz_type"] == chart["viz_type"]


def test_dashboards_have_slugs_filters_and_every_chart(bundle):
    charts = {chart["uuid"]: chart for chart in bundle["charts"].values()}
    datasets = {d["uuid"]: d for d in bundle["datasets"].values()}
    placed: list[str] = []
    assert {board["slug"] for board in bundle["dashboards"].values()} == SLUGS
    for board in bundle["dashboards"].values():
        on_board = {item["meta"]["chartId"]: item["meta"]["uuid"]
                    for item in board["position"].values()
                    if isinstance(item, dict) and item.get("type") == "CHART"}
        placed.extend(on_board.values())
        filters = {f["filterType"]: f for f in board["metadata"]["native_filter_configuration"]}
        assert {"filter_time", "filter_select"} <= set(filters), board["slug"]
        channel = filters["filter_select"]
        assert channel["targets"][0]["column"]["name"] == "channel"
        for chart_id in set(on_board) - set(channel["scope"]["excluded"]):
            dataset = datasets[charts[on_board[chart_id]]["dataset_uuid"]]
            assert "channel" in {c["column_name"] for c in dataset["columns"]}, (
                board["slug"], charts[on_board[chart_id]]["slice_name"])
        for chart_id in set(on_board) - set(filters["filter_time"]["scope"]["excluded"]):
            dataset = datasets[charts[on_board[chart_id]]["dataset_uuid"]]
            assert dataset["main_dttm_col"], charts[on_board[chart_id]]["slice_name"]
    assert sorted(placed) == sorted(charts), "each chart on exactly one dashboard"


def test_assets_are_the_generators_output():
    """Rewriting the bundle (column types as committed) changes no file, adds none, drops none:
    after a chart or metric change, run `.venv/bin/python -m bi.superset.generate_assets
    --offline` (or with the warehouse) and commit its output."""
    from bi.superset import generate_assets

    documents = generate_assets.bundle(generate_assets.bundle_column_types(ASSETS),
                                       generate_assets.descriptions(MARTS))
    committed = {path.relative_to(ASSETS).as_posix() for path in ASSETS.rglob("*.yaml")}
    assert committed == set(documents), (sorted(committed - set(documents)),
                                         sorted(set(documents) - committed))
    stale = [relative for relative, document in documents.items()
             if (ASSETS / relative).read_text() != generate_assets.render(document)]
    assert not stale, f"regenerate the bundle: {stale}"


# A metric named like a ratio: rates, shares, CAC, ROAS, cost per stage, stage-to-stage conversion
RATIO_NAME = re.compile(
    r"^(cac|roas|win_rate|sla_compliance|pipeline_to_spend|cost_per_\w+|\w+_rate"
    r"|(inquiry|mql|sal|sql|opportunity)_to_(mql|sal|sql|opportunity|customer))(_target)?$")
# SUM(numerator) over SUM(denominator), or over COUNT(*) (a flag's share of per-person rows), or
# over COUNT(flag) (the share of the rows where the flag is decided: SLA met of met + missed); a
# denominator may be a sum of columns (SUM(met + missed)); a cost's numerator is
# NULLIF(SUM(spend), 0): without spend a cost is undefined, not 0; a ratio over money (ROAS)
# sums the known amounts (KNOWN_SUM): null when they are unknown
KNOWN_SUM = (r"CASE WHEN COUNT\((?P<money>\w+)\) = COUNT\(\*\) OR bool_or\((?P=money) <> 0\)"
             r" THEN SUM\((?P=money)\) END")
SUM_OVER_SUM = re.compile(
    r"^((NULLIF\()?SUM\((?P<numerator>\w+)(::int)?\)(, 0\))?|\(" + KNOWN_SUM + r"\))::numeric / "
    r"NULLIF\((SUM\((?P<denominator>\w+( \+ \w+)*)\)|COUNT\((\*|(?P<counted>\w+))\)), 0\)$")


def test_ratio_metrics_are_sums_over_sums(bundle):
    """A ratio over a date range (or a channel, an owner...) is the range's numerator over its
    denominator: AVG() of weekly or per-row ratios is wrong as soon as a range spans rows."""
    ratios = 0
    for name, dataset in bundle["datasets"].items():
        physical = {c["column_name"] for c in dataset["columns"] if not c["expression"]}
        for metric in dataset["metrics"]:
            expression = metric["expression"]
            assert "avg(" not in expression.lower(), (name, metric["metric_name"])
            if RATIO_NAME.match(metric["metric_name"]) or "/" in expression:
                ratios += 1
                match = SUM_OVER_SUM.match(expression)
                assert match, (name, metric["metric_name"], expression)
                sides = {match["numerator"], match["money"], match["counted"],
                         *(match["denominator"] or "").split(" + ")} - {None, ""}
                assert sides <= physical, (name, metric["metric_name"], sides - physical)
    assert ratios >= 10
    for name, chart in bundle["charts"].items():  # adhoc metrics of the charts themselves
        params = chart["params"]
        adhoc = [m for key in ("metrics", "percent_metrics") for m in params.get(key) or []
                 if isinstance(m, dict)]
        adhoc += [params[key] for key in ("metric", "timeseries_limit_metric")
                  if isinstance(params.get(key), dict)]
        for metric in adhoc:
            assert metric.get("aggregate") != "AVG", (name, metric)
            assert "avg(" not in str(metric.get("sqlExpression") or "").lower(), (name, metric)
        if chart["viz_type"] == "pivot_table_v2":  # totals of ratios would add or average them
            assert not any(isinstance(m, str) and RATIO_NAME.match(m)
                           for m in params["metrics"]), name


# Deal amounts: pipeline and revenue (not their targets), amounts in reporting currency
MONEY_COLUMN = re.compile(r"^\w*(pipeline|revenue|amount)\w*$")


def test_money_is_unknown_not_zero(bundle):
    """A metric over deal amounts sums the known amounts and is null (n/a) when the selected
    rows have deals but no amount (a CRM export without amounts): never SUM alone (the weeks
    without deals would add up to $0), never COALESCE to 0. A money template shows n/a."""
    money = 0
    for name, dataset in bundle["datasets"].items():
        physical = {c["column_name"] for c in dataset["columns"] if not c["expression"]}
        amounts = {c for c in physical if MONEY_COLUMN.match(c) and not c.endswith("_target")}
        for metric in dataset["metrics"]:
            expression = metric["expression"]
            assert "coalesce" not in expression.lower(), (name, metric["metric_name"])
            used = {c for c in amounts if re.search(rf"\b{c}\b", expression)}
            if not used:
                continue
            money += 1
            (column,) = used
            known = re.search(KNOWN_SUM, expression)
            assert known and known["money"] == column, (name, metric["metric_name"])
            # the amount appears only inside the known sum
            assert len(re.findall(rf"\b{column}\b", expression)) == 3, expression
    assert money >= 13  # scorecard 3, channel efficiency 4, attribution 2, sourced 4...
    templates = 0
    for name, chart in bundle["charts"].items():
        template = chart["params"].get("handlebarsTemplate") or ""
        for field in re.findall(r"\$\{\{formatNumber (\w+)\}\}", template):
            # null: n/a (a target: none), never "$" and nothing
            assert re.search(rf"\{{\{{#if \(eq {field} null\)\}}\}}(n/a|none)\{{\{{else\}}\}}"
                             rf"\$\{{\{{formatNumber {field}\}}\}}", template), (name, field)
            templates += 1
        if chart["viz_type"] == "pivot_table_v2":
            # a pivot's totals add in the browser: rows whose money is null are dropped and
            # the total of none shows 0; money goes in tables (N/A) or charts (no bar)
            assert not [m for m in chart["params"]["metrics"] if MONEY_COLUMN.match(m)], name
    assert templates == 4 * 2 + 3 + 1  # 4 money tiles (value, target), partial week, deals


def _dashboard_marts(bundle) -> dict[str, set[str]]:
    """slug: the marts its charts and its channel filter read."""
    charts = {chart["uuid"]: chart for chart in bundle["charts"].values()}
    tables = {d["uuid"]: d["table_name"] for d in bundle["datasets"].values()}
    read: dict[str, set[str]] = {}
    for board in bundle["dashboards"].values():
        marts = read.setdefault(board["slug"], set())
        for item in board["position"].values():
            if isinstance(item, dict) and item.get("type") == "CHART":
                marts.add(tables[charts[item["meta"]["uuid"]]["dataset_uuid"]])
        for native in board["metadata"]["native_filter_configuration"]:
            marts.update(tables[target["datasetUuid"]] for target in native["targets"]
                         if target.get("datasetUuid"))
    return read


def test_exposures_list_the_marts_each_dashboard_reads(bundle):
    exposures = yaml.safe_load((MARTS / "_exposures.yml").read_text())["exposures"]
    declared = {}
    for exposure in exposures:
        if exposure["type"] != "dashboard":
            continue
        slug = exposure["url"].rstrip("/").rsplit("/", 1)[-1]
        declared[slug] = {re.fullmatch(r"ref\('(\w+)'\)", ref)[1]
                          for ref in exposure["depends_on"]}
    assert declared == _dashboard_marts(bundle)


def test_no_dashboard_reads_the_leads_mart(bundle):
    """marts.leads is on its way out (dim_people has the people): no dataset is built on it."""
    assert "leads" not in {d["table_name"] for d in bundle["datasets"].values()}
    assert all("leads" not in marts for marts in _dashboard_marts(bundle).values())


def _dataset_of(bundle, chart) -> dict[str, Any]:
    return next(d for d in bundle["datasets"].values() if d["uuid"] == chart["dataset_uuid"])


def test_the_scorecards_ratio_metrics_are_restored_as_sums_over_sums(bundle):
    """weekly_scorecard publishes each ratio's numerator and denominator, so CAC, win rate and
    SLA compliance are saved metrics over any range; speed to lead's weekly median cannot be
    summed, so the saved metric is the average (total hours over touched MQLs)."""
    (scorecard,) = [d for d in bundle["datasets"].values()
                    if d["table_name"] == "weekly_scorecard"]
    metrics = {m["metric_name"]: m["expression"] for m in scorecard["metrics"]}
    # without spend CAC is undefined (n/a), and ROAS unknown without won amounts
    assert metrics["cac"] == "NULLIF(SUM(spend), 0)::numeric / NULLIF(SUM(deals_won), 0)"
    assert metrics["roas"] == ("(CASE WHEN COUNT(won_revenue) = COUNT(*) OR bool_or(won_revenue"
                               " <> 0) THEN SUM(won_revenue) END)::numeric"
                               " / NULLIF(SUM(spend), 0)")
    assert metrics["win_rate"] == ("SUM(won_opportunities_created)::numeric"
                                   " / NULLIF(SUM(closed_opportunities_created), 0)")
    assert metrics["sla_compliance"] == (
        "SUM(mqls_met_sla)::numeric / NULLIF(SUM(mqls_met_sla + mqls_missed_sla), 0)")
    assert metrics["average_hours_to_first_touch"] == (
        "SUM(total_hours_to_first_touch)::numeric / NULLIF(SUM(mqls_touched), 0)")
    assert "speed_to_lead_hours" not in metrics  # a median: no sum rebuilds it


def test_scorecard_weekly_views_show_complete_weeks_and_label_the_partial_one(bundle):
    """Every chart on weekly_scorecard (tiles, trends) filters on is_complete_week, so a partial
    week is never set against a full one; one tile shows the partial week alone, labelled with
    its days so far (its query's first row: the partial week, else the latest complete week, for
    which it says there is none: a query of no row would show Superset's "No results")."""
    on_scorecard = [c for c in bundle["charts"].values()
                    if _dataset_of(bundle, c)["table_name"] == "weekly_scorecard"]
    partial = []
    for chart in on_scorecard:
        sql = [f["sqlExpression"] for f in chart["params"]["adhoc_filters"]
               if f["expressionType"] == "SQL"]
        if "partial" in chart["slice_name"].lower():
            assert sql == [], chart["slice_name"]
            partial.append(chart)
            continue
        assert sql == ["is_complete_week"], chart["slice_name"]
        if chart["viz_type"] == "handlebars":
            assert "(complete week)" in chart["params"]["handlebarsTemplate"]
    assert len(on_scorecard) >= 11
    weekly = [c for c in bundle["charts"].values() if c["params"].get("time_grain_sqla") == "P1W"
              and "is_complete_week" in {col["column_name"]
                                         for col in _dataset_of(bundle, c)["columns"]}]
    assert len(weekly) >= 4  # the trends, and spend and leads by channel
    for chart in weekly:
        assert {"clause": "WHERE", "expressionType": "SQL", "sqlExpression": "is_complete_week"
                } in chart["params"]["adhoc_filters"], chart["slice_name"]
    (tile,) = partial
    params = tile["params"]
    assert {"days_in_week", "is_complete_week"} <= {c for c in params["all_columns"]
                                                     if isinstance(c, str)}
    assert params["order_by_cols"][0] == '["is_complete_week", true]' and \
        params["row_limit"] == 1  # the partial week (false) first
    template = params["handlebarsTemplate"]
    complete, partial_block = template.split("{{#if is_complete_week}}")[1].split("{{else}}", 1)
    assert "No partial week in the selected range" in complete
    assert "{{days_in_week}} of 7 days so far" in partial_block
    assert "vs last week" not in template


def test_charts_list_the_stages_in_the_contracts_order(bundle):
    """The waterfall is drawn in the lead definition's stage order, not by people (SAL can
    outnumber MQL: sales-created leads skip MQL): a chart over funnel_stage_history's stages
    sorts by stage_label ("<stage_order>. <stage>", stage_order from reference.lead_stages)
    ascending, which is the contract's order; the conversion table lists the stages in it."""
    stages = [s["key"] for s in yaml.safe_load(
        (ROOT / "contracts" / "lead_definition.yml").read_text())["stages"]]
    assert len(stages) < 10  # one digit: the labels sort as their stage_order
    (history,) = [d for d in bundle["datasets"].values()
                  if d["table_name"] == "funnel_stage_history"]
    (label,) = [c for c in history["columns"] if c["column_name"] == "stage_label"]
    assert label["expression"].startswith("stage_order::text || '. ' || ")
    labels = [f"{order}. {stage}" for order, stage in enumerate(stages, 1)]
    assert sorted(reversed(labels)) == labels
    staged = [c for c in bundle["charts"].values()
              if {"stage", "stage_label", "stage_order"} & _referenced(c["params"])[0]]
    assert staged, "the waterfall"
    for chart in staged:
        params = chart["params"]
        assert chart["viz_type"] != "funnel", chart["slice_name"]  # ECharts sorts by value
        assert params["x_axis"] == params["x_axis_sort"] == "stage_label", chart["slice_name"]
        assert params["x_axis_sort_asc"] is True and not params["groupby"]
        assert not params.get("sort_by_metric")
    (conversion,) = [c for c in bundle["charts"].values()
                     if c["slice_name"] == "Stage-to-stage conversion by channel"]
    people = {"inquiry": "inquiries", "mql": "mqls", "sal": "sals", "sql": "sqls",
              "opportunity": "opportunities", "customer": "customers"}
    listed = [m for m in conversion["params"]["metrics"] if m in people.values()]
    assert listed == [people[stage] for stage in stages]
