"""The dashboards bundle (bi/superset/assets) is consistent with itself and with the marts: every
chart reads a published mart through a dataset of the bundle, names only columns and metrics
that dataset has, and every dataset column is a column of the mart's dbt model; each dashboard
has its slug, a date-range and a channel filter; the database file holds no password."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "bi" / "superset" / "assets"
MARTS = ROOT / "dbt_project" / "models" / "marts"
SLUGS = {"weekly-scorecard", "attribution", "sales-follow-up", "self-reported-source"}


def _load(folder: str) -> dict[str, dict[str, Any]]:
    return {path.relative_to(ASSETS).as_posix(): yaml.safe_load(path.read_text())
            for path in sorted((ASSETS / folder).rglob("*.yaml"))}


def _mart_columns() -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for path in MARTS.rglob("*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
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
