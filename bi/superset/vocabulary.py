"""The chart vocabulary: datasets and their saved metrics, charts, filters and dashboards.

Everything a dashboard module (bi/superset/dashboards/) builds its charts from. Nothing here
reads the warehouse or writes a file; the writer (generate_assets.py) does that.

Metrics. A saved metric is an aggregate over the rows a chart's filters select, so it must be
right over any date range and any grouping, not only at the grain of one row:

- counts are ``SUM(column)`` (``total``) or ``COUNT(*)`` (``count``);
- money from deal amounts (pipeline, revenue) is ``money(column)``: the sum of the amounts
  known, or null (n/a) when the selected rows have deals but no amount at all. A CRM export
  without amounts leaves them null, unknown: ``SUM`` alone would add the weeks without deals
  (0) and show $0. Never ``COALESCE(amount, 0)``;
- a ratio is ``SUM(numerator) / NULLIF(SUM(denominator), 0)`` over the selected rows
  (``ratio``), or, on a mart with one row per person and a flag, the flagged share
  ``SUM(flag::int) / NULLIF(COUNT(*), 0)`` (``share``). Never ``AVG()`` of a per-row ratio: the
  mean of weekly (or per-channel) ratios is not the ratio of the range. A ratio over money
  (ROAS) is ``money_ratio``: null when the money is.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = uuid.UUID("5b0c8f8e-3f7a-4d55-9a63-0d1f7c2b6a10")
MONEY = ",.0f"
COUNT = ",d"
RATE = ".1%"
DECIMAL = ",.2f"


def stable_uuid(kind: str, key: str) -> str:
    """The same UUID for the same object on every run (Superset matches imports by UUID)."""
    return str(uuid.uuid5(NAMESPACE, f"revwh:{kind}:{key}"))


# ---------------------------------------------------------------------------------------------
# Metrics


@dataclass(frozen=True)
class Metric:
    expression: str
    label: str
    fmt: str


def total(column: str, label: str, fmt: str = COUNT) -> Metric:
    """The sum of an additive column."""
    return Metric(f"SUM({column})", label, fmt)


def known_sum(column: str) -> str:
    """SQL: the sum of a money column's known values, null when none of the selected rows has
    a non-zero amount and some have none (rows without deals are 0, rows whose deals have no
    amount are null: together, unknown). All rows known: their sum. Known amounts beside
    unknown ones: the known amounts' sum (mixed exports sum the amounts they have)."""
    return (f"CASE WHEN COUNT({column}) = COUNT(*) OR bool_or({column} <> 0)"
            f" THEN SUM({column}) END")


def money(column: str, label: str, fmt: str = MONEY) -> Metric:
    """Pipeline or revenue: the known amounts' sum, null (n/a) when unknown (known_sum)."""
    return Metric(known_sum(column), label, fmt)


def money_ratio(numerator: str, denominator: str, label: str, fmt: str) -> Metric:
    """money / denominator over the selected rows (ROAS: won revenue / spend): null (n/a) when
    the money is unknown or the denominator 0."""
    return Metric(f"({known_sum(numerator)})::numeric / NULLIF(SUM({denominator}), 0)", label,
                  fmt)


def count(label: str, fmt: str = COUNT) -> Metric:
    """Rows: on a mart with one row per person (or MQL), the people."""
    return Metric("COUNT(*)", label, fmt)


def ratio(numerator: str, denominator: str, label: str, fmt: str) -> Metric:
    """numerator / denominator over the selected rows: each summed first, then divided. The
    denominator may be a sum of columns ("a + b": SUM(a + b), the columns never null)."""
    return Metric(f"SUM({numerator})::numeric / NULLIF(SUM({denominator}), 0)", label, fmt)


def cost(spend: str, denominator: str, label: str, fmt: str) -> Metric:
    """spend / denominator over the selected rows, null (n/a) without spend: without spend a
    cost per anything is undefined, not 0 (organic channels, channel_efficiency's cost_per_*)."""
    return Metric(f"NULLIF(SUM({spend}), 0)::numeric / NULLIF(SUM({denominator}), 0)", label,
                  fmt)


def share(flag: str, label: str, fmt: str = RATE) -> Metric:
    """The share of the selected rows (one per person) whose boolean column is true."""
    return Metric(f"SUM({flag}::int)::numeric / NULLIF(COUNT(*), 0)", label, fmt)


def median(column: str, label: str, fmt: str = DECIMAL) -> Metric:
    """The median of a per-row figure over the selected rows (not a median of medians)."""
    return Metric(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column})", label, fmt)


# ---------------------------------------------------------------------------------------------
# Datasets: the published marts, with saved metrics and, where a mart names its channel
# first_touch_channel, a calculated column `channel`, so one dashboard filter on `channel`
# reaches every chart.


@dataclass(frozen=True)
class CalculatedColumn:
    name: str
    verbose_name: str
    expression: str
    description: str


@dataclass
class Dataset:
    table: str
    dttm: str | None  # the column the date-range filter acts on (None: the mart has no date)
    metrics: dict[str, Metric] = field(default_factory=dict)
    channel_expression: str | None = None  # a calculated `channel` column
    has_channel: bool = True  # False: the mart has no channel at all (the filter skips it)
    calculated: list[CalculatedColumn] = field(default_factory=list)

    @property
    def uuid(self) -> str:
        return stable_uuid("dataset", self.table)


# ---------------------------------------------------------------------------------------------
# Charts


@dataclass
class Chart:
    key: str
    name: str
    dataset: Dataset
    viz_type: str
    params: dict[str, Any]
    width: int
    height: int
    description: str | None = None

    @property
    def uuid(self) -> str:
        return stable_uuid("chart", self.key)

    @property
    def temporal(self) -> bool:
        return self.dataset.dttm is not None


def time_filter(dataset: Dataset) -> list[dict[str, Any]]:
    """The adhoc filter the dashboard's date range fills in (none on a mart without a date)."""
    if dataset.dttm is None:
        return []
    return [{"clause": "WHERE", "comparator": "No filter", "expressionType": "SIMPLE",
             "operator": "TEMPORAL_RANGE", "subject": dataset.dttm}]


def where(sql: str) -> dict[str, Any]:
    """A fixed SQL filter of a chart."""
    return {"clause": "WHERE", "expressionType": "SQL", "sqlExpression": sql}


def rounded(column: str, label: str, digits: int) -> dict[str, Any]:
    """An adhoc column: the figure rounded for display (formatNumber adds the separators)."""
    return {"expressionType": "SQL", "label": label,
            "sqlExpression": f"round({column}::numeric, {digits})"}


def timeseries(key: str, name: str, dataset: Dataset, metrics: list[str], viz: str = "line",
               groupby: list[str] | None = None, width: int = 6, height: int = 50,
               fmt: str = "SMART_NUMBER", stack: bool = False,
               description: str | None = None, grain: str = "P1W",
               filters: list[dict[str, Any]] | None = None) -> Chart:
    params: dict[str, Any] = {
        "x_axis": dataset.dttm, "time_grain_sqla": grain, "metrics": metrics,
        "groupby": groupby or [], "adhoc_filters": time_filter(dataset) + (filters or []),
        "row_limit": 10000, "show_legend": True, "legendOrientation": "top",
        "legendType": "scroll", "rich_tooltip": True, "y_axis_format": fmt,
        "x_axis_time_format": "smart_date", "truncate_metric": True,
        "color_scheme": "supersetColors", "zoomable": False,
    }
    if stack:
        params["stack"] = "Stack"
    if viz == "line":
        params.update({"markerEnabled": True, "markerSize": 5})
    return Chart(key, name, dataset, f"echarts_timeseries_{viz}", params, width, height,
                 description)


def category_bar(key: str, name: str, dataset: Dataset, x: str, metrics: list[str],
                 groupby: list[str] | None = None, width: int = 6, height: int = 50,
                 fmt: str = "SMART_NUMBER", horizontal: bool = False, stack: bool = False,
                 filters: list[dict[str, Any]] | None = None,
                 description: str | None = None, sort_by_x: bool = False) -> Chart:
    """Bars per category of `x`. sort_by_x: the categories in ascending order of x's values
    (e.g. "1. Inquiry", "2. MQL": the waterfall's order), never by a metric."""
    params: dict[str, Any] = {
        "x_axis": x, "metrics": metrics, "groupby": groupby or [],
        "adhoc_filters": time_filter(dataset) + (filters or []),
        "row_limit": 10000, "show_legend": True, "legendOrientation": "top",
        "legendType": "scroll", "rich_tooltip": True, "y_axis_format": fmt,
        "orientation": "horizontal" if horizontal else "vertical",
        "x_axis_sort_asc": True, "x_axis_sort_series": "name",
        "x_axis_sort_series_ascending": True, "color_scheme": "supersetColors",
        "truncate_metric": True, "show_value": False,
    }
    if sort_by_x:
        # Superset sorts the rows by the x-axis values (post-processing sort on the index)
        # when x_axis_sort names the x-axis column and there is no groupby
        assert not groupby, "a sort by the x-axis needs a chart without series"
        params.update({"x_axis_sort": x, "x_axis_sort_asc": True, "show_value": True,
                       "show_legend": False})
    if stack:
        params["stack"] = "Stack"
    return Chart(key, name, dataset, "echarts_timeseries_bar", params, width, height,
                 description)


def table(key: str, name: str, dataset: Dataset, groupby: list[str], metrics: list[str],
          width: int = 12, height: int = 60, filters: list[dict[str, Any]] | None = None,
          order_desc: bool = True, description: str | None = None,
          percent_metrics: list[str] | None = None) -> Chart:
    return Chart(key, name, dataset, "table", {
        "query_mode": "aggregate", "groupby": groupby, "metrics": metrics,
        "percent_metrics": percent_metrics or [],
        "adhoc_filters": time_filter(dataset) + (filters or []),
        "timeseries_limit_metric": metrics[0], "order_desc": order_desc,
        "row_limit": 1000, "server_page_length": 50, "table_timestamp_format": "smart_date",
        "show_cell_bars": True, "color_pn": True, "allow_rearrange_columns": False,
        "include_search": True,
    }, width, height, description)


def big_number_total(key: str, name: str, dataset: Dataset, metric: str, fmt: str,
                     width: int = 3, height: int = 24, description: str | None = None) -> Chart:
    return Chart(key, name, dataset, "big_number_total", {
        "metric": metric, "adhoc_filters": time_filter(dataset), "y_axis_format": fmt,
        "header_font_size": 0.4, "subheader_font_size": 0.15, "subtitle": "",
    }, width, height, description)


def raw_table(key: str, name: str, dataset: Dataset, columns: list[str], order_by: str,
              width: int = 12, height: int = 40, filters: list[dict[str, Any]] | None = None,
              description: str | None = None) -> Chart:
    """The mart's rows as they are (no aggregation), in ascending order of `order_by`."""
    return Chart(key, name, dataset, "table", {
        "query_mode": "raw", "all_columns": columns,
        "order_by_cols": [json.dumps([order_by, True])],
        "adhoc_filters": time_filter(dataset) + (filters or []),
        "row_limit": 1000, "server_page_length": 50, "table_timestamp_format": "smart_date",
        "show_cell_bars": False, "allow_rearrange_columns": False, "include_search": False,
    }, width, height, description)


def listing(key: str, name: str, dataset: Dataset, columns: list[str | dict[str, Any]],
            template: str, order_by: list[tuple[str, bool]], row_limit: int = 500,
            width: int = 12, height: int = 50, description: str | None = None) -> Chart:
    """Rows drawn by a Handlebars template (raw mode, sorted by order_by: (column, ascending)).
    Superset shows "No results" instead of the template when the query returns no row, so a
    template that must say "none" is given the rows it does not list too, sorted last."""
    return Chart(key, name, dataset, "handlebars", {
        "query_mode": "raw", "all_columns": columns,
        "order_by_cols": [json.dumps([column, ascending]) for column, ascending in order_by],
        "row_limit": row_limit, "adhoc_filters": time_filter(dataset),
        "handlebarsTemplate": template, "styleTemplate": "",
    }, width, height, description)


# ---------------------------------------------------------------------------------------------
# Dashboards


@dataclass
class Dashboard:
    slug: str
    title: str
    intro: str
    rows: list[list[Chart]]
    channel_dataset: Dataset  # the dataset the channel filter takes its values from

    @property
    def uuid(self) -> str:
        return stable_uuid("dashboard", self.slug)

    @property
    def charts(self) -> list[Chart]:
        return [chart for row in self.rows for chart in row]

    @property
    def datasets(self) -> list[Dataset]:
        """The datasets (marts) the dashboard reads: its charts' and its channel filter's."""
        found = {chart.dataset.table: chart.dataset for chart in self.charts}
        found.setdefault(self.channel_dataset.table, self.channel_dataset)
        return [found[name] for name in sorted(found)]


def rows(charts: list[Chart]) -> list[list[Chart]]:
    """Pack charts into rows of at most 12 columns, in order."""
    packed: list[list[Chart]] = []
    width = 12
    for chart in charts:
        if width + chart.width > 12:
            packed.append([])
            width = 0
        packed[-1].append(chart)
        width += chart.width
    return packed
