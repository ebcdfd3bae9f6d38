"""Write the Superset asset bundle (bi/superset/assets/) from the chart definitions below.

The YAML files it writes are what Superset imports (``python -m revwh.cli bi``) and what is
committed; this script is how they were written and how to rewrite them after changing a chart
here. Column types come from the published marts of a warehouse (``--url``, default: the
configured one) and column and table descriptions from the dbt models' yml, so run it against a
warehouse whose marts are published. UUIDs are derived from each object's key, so they stay the
same from one run to the next (Superset matches imported objects by UUID).

    PYTHONPATH=plugins .venv/bin/python bi/superset/generate_assets.py [--url URL]
"""

from __future__ import annotations

import argparse
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import yaml

ROOT = Path(__file__).resolve().parents[2]
ASSETS = Path(__file__).resolve().parent / "assets"
MARTS_YML = ROOT / "dbt_project" / "models" / "marts"
SCHEMA = "marts"
NAMESPACE = uuid.UUID("5b0c8f8e-3f7a-4d55-9a63-0d1f7c2b6a10")
DATABASE_KEY = "revenue_warehouse"
VERSION = "1.0.0"
# Where the YAML's connection points (no password): the import replaces host, port, database and
# user with the configured warehouse and the BI role, and supplies the password from the
# environment.
PLACEHOLDER_URI = "postgresql+psycopg2://revwh_bi@127.0.0.1:54329/warehouse"
MONEY = ",.0f"
COUNT = ",d"
RATE = ".1%"
DECIMAL = ",.2f"


def stable_uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"revwh:{kind}:{key}"))


# ---------------------------------------------------------------------------------------------
# Datasets: the published marts, with saved metrics and, where a mart names its channel
# first_touch_channel, a calculated column `channel`, so one dashboard filter on `channel` reaches
# every chart.


@dataclass
class Dataset:
    table: str
    dttm: str | None  # the column the date-range filter acts on (None: the mart has no date)
    metrics: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name: expr, label, fmt
    channel_expression: str | None = None  # a calculated `channel` column

    @property
    def uuid(self) -> str:
        return stable_uuid("dataset", self.table)

    @property
    def has_channel(self) -> bool:
        return True


def _sum(column: str, label: str, fmt: str = COUNT) -> tuple[str, str, str]:
    return (f"SUM({column})", label, fmt)


SCORECARD_ADDITIVE = {
    "spend": ("Spend", MONEY), "sessions": ("Sessions", COUNT), "leads": ("Leads", COUNT),
    "mqls": ("MQLs", COUNT), "sqls": ("SQLs", COUNT), "opportunities": ("Opportunities", COUNT),
    "pipeline": ("Pipeline", MONEY), "won_revenue": ("Won revenue", MONEY),
}
SCORECARD_RATIOS = {
    "win_rate": ("Win rate", RATE), "cac": ("CAC", MONEY), "roas": ("ROAS", DECIMAL),
    "speed_to_lead_hours": ("Speed to lead (hours)", DECIMAL),
    "sla_compliance": ("SLA compliance", RATE), "mql_to_sql_rate": ("MQL to SQL", RATE),
}


def _scorecard_metrics() -> dict[str, tuple[str, str, str]]:
    metrics: dict[str, tuple[str, str, str]] = {}
    for name, (label, fmt) in SCORECARD_ADDITIVE.items():
        metrics[name] = (f"SUM({name})", label, fmt)
        metrics[f"{name}_target"] = (f"SUM({name}_target)", f"{label} target", fmt)
    for name, (label, fmt) in SCORECARD_RATIOS.items():
        # one row per week: at the weekly grain this is the week's figure
        metrics[name] = (f"AVG({name})", label, fmt)
        metrics[f"{name}_target"] = (f"AVG({name}_target)", f"{label} target", fmt)
    return metrics


DATASETS = {
    ds.table: ds for ds in [
        Dataset("weekly_scorecard", "week_start", _scorecard_metrics(),
                channel_expression=None),
        Dataset("daily_channel_performance", "date_day", {
            "spend": _sum("spend", "Spend", MONEY), "sessions": _sum("sessions", "Sessions"),
            "leads": _sum("leads", "Leads"), "clicks": _sum("clicks", "Clicks")}),
        Dataset("funnel_stage_history", "cohort_week", {
            "people": ("COUNT(*)", "People", COUNT)}, channel_expression="first_touch_channel"),
        Dataset("funnel_conversion_weekly", "cohort_week", {
            "inquiries": _sum("inquiry_people", "Inquiries"),
            "mqls": _sum("mql_people", "MQLs"),
            "sals": _sum("sal_people", "SALs"),
            "sqls": _sum("sql_people", "SQLs"),
            "opportunities": _sum("opportunity_people", "Opportunities"),
            "customers": _sum("customer_people", "Customers"),
            "inquiry_to_mql": ("SUM(mql_people)::numeric / NULLIF(SUM(inquiry_people), 0)",
                               "Inquiry to MQL", RATE),
            "mql_to_sal": ("SUM(sal_people)::numeric / NULLIF(SUM(mql_people), 0)",
                           "MQL to SAL", RATE),
            "sal_to_sql": ("SUM(sql_people)::numeric / NULLIF(SUM(sal_people), 0)",
                           "SAL to SQL", RATE),
            "sql_to_opportunity": ("SUM(opportunity_people)::numeric"
                                   " / NULLIF(SUM(sql_people), 0)", "SQL to opportunity", RATE),
            "opportunity_to_customer": ("SUM(customer_people)::numeric"
                                        " / NULLIF(SUM(opportunity_people), 0)",
                                        "Opportunity to customer", RATE)},
            channel_expression="first_touch_channel"),
        Dataset("channel_efficiency", None, {
            "spend": _sum("spend", "Spend", MONEY), "leads": _sum("leads", "Leads"),
            "mqls": _sum("mqls", "MQLs"), "sqls": _sum("sqls", "SQLs"),
            "opportunities": _sum("opportunities", "Opportunities"),
            "customers": _sum("customers", "Customers"),
            "sourced_pipeline": _sum("sourced_pipeline", "Sourced pipeline", MONEY),
            "sourced_revenue": _sum("sourced_revenue", "Sourced revenue", MONEY),
            "cost_per_mql": ("SUM(spend) / NULLIF(SUM(mqls), 0)", "Cost per MQL", MONEY),
            "cac": ("SUM(spend) / NULLIF(SUM(customers), 0)", "CAC", MONEY),
            "roas": ("SUM(sourced_revenue) / NULLIF(SUM(spend), 0)", "ROAS", DECIMAL)}),
        Dataset("attribution_opportunities", "opportunity_created_at", {
            "attributed_revenue": _sum("attributed_revenue", "Attributed revenue", MONEY),
            "attributed_pipeline": _sum("attributed_pipeline", "Attributed pipeline", MONEY),
            "attributed_opportunities": _sum("credit", "Attributed opportunities", DECIMAL)}),
        Dataset("pipeline_sourced_influenced", None, {
            "sourced_pipeline": _sum("sourced_pipeline", "Sourced pipeline", MONEY),
            "influenced_pipeline": _sum("influenced_pipeline", "Influenced pipeline", MONEY),
            "sourced_revenue": _sum("sourced_revenue", "Sourced revenue", MONEY),
            "influenced_revenue": _sum("influenced_revenue", "Influenced revenue", MONEY)}),
        Dataset("sales_follow_up", "mql_at", {
            "mqls": ("COUNT(*)", "MQLs", COUNT),
            "sla_compliance": ("AVG(touched_within_sla::int)", "Within SLA", RATE),
            "never_touched": ("SUM(is_never_touched::int)", "Never touched", COUNT),
            "median_hours_to_first_touch": (
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY hours_to_first_touch)",
                "Median hours to first touch", DECIMAL)},
            channel_expression="first_touch_channel"),
        Dataset("sales_feedback_reasons", None, {
            "people": _sum("people", "People")}, channel_expression="first_touch_channel"),
        Dataset("self_reported_vs_tracked", "cohort_week", {
            "people": ("COUNT(*)", "People", COUNT),
            "agreement_rate": ("AVG(agrees::int)", "Agreement rate", RATE)},
            channel_expression="first_touch_channel"),
    ]
}


# ---------------------------------------------------------------------------------------------
# Charts


@dataclass
class Chart:
    key: str
    name: str
    dataset: str
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
        return DATASETS[self.dataset].dttm is not None


def _time_filter(dataset: str) -> list[dict[str, Any]]:
    column = DATASETS[dataset].dttm
    if column is None:
        return []
    return [{"clause": "WHERE", "comparator": "No filter", "expressionType": "SIMPLE",
             "operator": "TEMPORAL_RANGE", "subject": column}]


def _where(sql: str) -> dict[str, Any]:
    return {"clause": "WHERE", "expressionType": "SQL", "sqlExpression": sql}


KPI_TEMPLATE = "\n".join([
    "{{#each data}}",
    '<div class="revwh-kpi" data-metric="%(metric)s"',
    '     data-week="{{dateFormat week_start format=\'YYYY-MM-DD\'}}"',
    '     data-value="{{%(metric)s}}" data-wow="{{%(metric)s_wow_change}}"',
    '     data-target="{{%(metric)s_target}}" style="padding: 2px 8px;">',
    '  <div class="revwh-kpi-value" style="font-size: 30px; font-weight: 600;">',
    "    {{#if (eq shown_value null)}}n/a{{else}}"
    "%(prefix)s{{formatNumber shown_value}}%(suffix)s{{/if}}",
    "  </div>",
    '  <div class="revwh-kpi-wow" style="font-size: 13px; margin-top: 4px;">',
    "    {{#if (eq shown_wow null)}}n/a vs last week",
    "    {{else if (gt shown_wow 0)}}&#9650; +{{formatNumber shown_wow}}%(suffix)s vs last week",
    "    {{else if (lt shown_wow 0)}}&#9660; {{formatNumber shown_wow}}%(suffix)s vs last week",
    "    {{else}}no change vs last week{{/if}}",
    "  </div>",
    '  <div class="revwh-kpi-target" style="font-size: 12px; opacity: 0.7; margin-top: 2px;">',
    "    target {{#if (eq shown_target null)}}none{{else}}"
    "%(prefix)s{{formatNumber shown_target}}%(suffix)s{{/if}}",
    "    &middot; week of {{dateFormat week_start format='D MMM YYYY'}}",
    "  </div>",
    "</div>",
    "{{else}}",
    '<div class="revwh-kpi-empty">No week in the selected range</div>',
    "{{/each}}",
]) + "\n"


def _shown(column: str, label: str, digits: int) -> dict[str, Any]:
    """An adhoc column: the figure rounded for display (formatNumber adds the separators)."""
    return {"expressionType": "SQL", "label": label,
            "sqlExpression": f"round({column}::numeric, {digits})"}


# The headline tiles: (metric, label, prefix, suffix, fraction digits, higher is better)
HEADLINES = [
    ("spend", "Spend", "$", "", 0),
    ("leads", "Leads", "", "", 0),
    ("mqls", "MQLs", "", "", 0),
    ("sqls", "SQLs", "", "", 0),
    ("pipeline", "Pipeline", "$", "", 0),
    ("won_revenue", "Won revenue", "$", "", 0),
    ("cac", "CAC", "$", "", 0),
    ("roas", "ROAS", "", "x", 2),
    ("speed_to_lead_hours", "Speed to lead", "", " h", 1),
]


def kpi_tile(metric: str, label: str, prefix: str, suffix: str, digits: int) -> Chart:
    return Chart(
        key=f"scorecard.kpi.{metric}", name=label, dataset="weekly_scorecard",
        viz_type="handlebars", width=4 if metric != "speed_to_lead_hours" else 4, height=24,
        description=(f"{label} of the latest week in the date range (weekly_scorecard.{metric}),"
                     f" its change from the week before ({metric}_wow_change) and the week's"
                     f" target ({metric}_target, seed scorecard_targets)."),
        params={
            "query_mode": "raw",
            "all_columns": ["week_start", metric, f"{metric}_wow_change", f"{metric}_target",
                            _shown(metric, "shown_value", digits),
                            _shown(f"{metric}_wow_change", "shown_wow", digits),
                            _shown(f"{metric}_target", "shown_target", digits)],
            "order_by_cols": [json.dumps(["week_start", False])],
            "row_limit": 1,
            "adhoc_filters": _time_filter("weekly_scorecard"),
            "handlebarsTemplate": KPI_TEMPLATE % {"metric": metric, "prefix": prefix,
                                                  "suffix": suffix, "digits": digits},
            "styleTemplate": "",
        })


def timeseries(key: str, name: str, dataset: str, metrics: list[str], viz: str = "line",
               groupby: list[str] | None = None, width: int = 6, height: int = 50,
               fmt: str = "SMART_NUMBER", stack: bool = False,
               description: str | None = None, grain: str = "P1W") -> Chart:
    ds = DATASETS[dataset]
    params: dict[str, Any] = {
        "x_axis": ds.dttm, "time_grain_sqla": grain, "metrics": metrics,
        "groupby": groupby or [], "adhoc_filters": _time_filter(dataset),
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


def category_bar(key: str, name: str, dataset: str, x: str, metrics: list[str],
                 groupby: list[str] | None = None, width: int = 6, height: int = 50,
                 fmt: str = "SMART_NUMBER", horizontal: bool = False, stack: bool = False,
                 filters: list[dict[str, Any]] | None = None,
                 description: str | None = None) -> Chart:
    params: dict[str, Any] = {
        "x_axis": x, "metrics": metrics, "groupby": groupby or [],
        "adhoc_filters": _time_filter(dataset) + (filters or []),
        "row_limit": 10000, "show_legend": True, "legendOrientation": "top",
        "legendType": "scroll", "rich_tooltip": True, "y_axis_format": fmt,
        "orientation": "horizontal" if horizontal else "vertical",
        "x_axis_sort_asc": True, "x_axis_sort_series": "name",
        "x_axis_sort_series_ascending": True, "color_scheme": "supersetColors",
        "truncate_metric": True, "show_value": False,
    }
    if stack:
        params["stack"] = "Stack"
    return Chart(key, name, dataset, "echarts_timeseries_bar", params, width, height,
                 description)


def table(key: str, name: str, dataset: str, groupby: list[str], metrics: list[str],
          width: int = 12, height: int = 60, filters: list[dict[str, Any]] | None = None,
          order_desc: bool = True, description: str | None = None,
          percent_metrics: list[str] | None = None) -> Chart:
    return Chart(key, name, dataset, "table", {
        "query_mode": "aggregate", "groupby": groupby, "metrics": metrics,
        "percent_metrics": percent_metrics or [],
        "adhoc_filters": _time_filter(dataset) + (filters or []),
        "timeseries_limit_metric": metrics[0], "order_desc": order_desc,
        "row_limit": 1000, "server_page_length": 50, "table_timestamp_format": "smart_date",
        "show_cell_bars": True, "color_pn": True, "allow_rearrange_columns": False,
        "include_search": True,
    }, width, height, description)


def big_number_total(key: str, name: str, dataset: str, metric: str, fmt: str,
                     width: int = 3, height: int = 24, description: str | None = None) -> Chart:
    return Chart(key, name, dataset, "big_number_total", {
        "metric": metric, "adhoc_filters": _time_filter(dataset), "y_axis_format": fmt,
        "header_font_size": 0.4, "subheader_font_size": 0.15, "subtitle": "",
    }, width, height, description)


FUNNEL = Chart(
    "scorecard.funnel", "Lead waterfall: people per stage", "funnel_stage_history", "funnel",
    {
        "groupby": ["stage_label"], "metric": "people",
        "adhoc_filters": _time_filter("funnel_stage_history"), "row_limit": 10,
        "sort_by_metric": True, "percent_calculation_type": "first_step",
        "show_labels": True, "show_tooltip_labels": True, "show_legend": False,
        "label_type": "key_value_percent", "tooltip_label_type": "key_value_percent",
        "number_format": "SMART_NUMBER", "color_scheme": "supersetColors",
    }, 6, 60,
    "People of the inquiry cohorts in the date range who entered each stage of the lead "
    "definition's waterfall (funnel_stage_history), with the share of the inquiries.")

CONVERSION = table(
    "scorecard.conversion", "Stage-to-stage conversion by channel", "funnel_conversion_weekly",
    ["channel"],
    ["inquiries", "mqls", "sqls", "opportunities", "customers", "inquiry_to_mql", "mql_to_sal",
     "sal_to_sql", "sql_to_opportunity", "opportunity_to_customer"],
    width=6, height=60,
    description="The waterfall's conversion between consecutive stages, by first-touch channel "
                "(funnel_conversion_weekly, inquiry cohorts in the date range).")

SCORECARD_CHARTS = [
    *[kpi_tile(*headline) for headline in HEADLINES],
    FUNNEL,
    CONVERSION,
    timeseries("scorecard.trend_funnel", "Weekly leads, MQLs and SQLs against target",
               "weekly_scorecard", ["leads", "mqls", "mqls_target", "sqls", "sqls_target"],
               description="Leads, MQLs and SQLs per week with their targets (weekly_scorecard)."),
    timeseries("scorecard.trend_money", "Weekly spend, pipeline and won revenue",
               "weekly_scorecard", ["spend", "pipeline", "won_revenue", "pipeline_target"],
               fmt=MONEY, description="Ad spend, pipeline created and revenue won per week "
                                      "(weekly_scorecard)."),
    timeseries("scorecard.spend_by_channel", "Weekly spend by channel",
               "daily_channel_performance", ["spend"], viz="bar", groupby=["channel"],
               stack=True, fmt=MONEY,
               description="Ad spend per week and channel (daily_channel_performance)."),
    timeseries("scorecard.leads_by_channel", "Weekly leads by channel",
               "daily_channel_performance", ["leads"], viz="bar", groupby=["channel"],
               stack=True, description="Leads created per week by their original channel "
                                       "(daily_channel_performance)."),
    table("scorecard.channel_campaign", "Efficiency by channel and campaign",
          "channel_efficiency", ["channel", "campaign"],
          ["spend", "leads", "mqls", "sqls", "opportunities", "customers", "sourced_pipeline",
           "sourced_revenue", "cost_per_mql", "cac", "roas"],
          filters=[_where("breakdown = 'campaign'")], height=70,
          description="Spend against the people, pipeline and revenue each channel and campaign "
                      "sourced (first touch), all time (channel_efficiency has no date: the "
                      "date range does not apply)."),
]

MODELS = "first_touch, last_touch, linear, position_based, w_shaped, time_decay, markov"

ATTRIBUTION_CHARTS = [
    category_bar("attribution.pipeline", "Pipeline by channel under each attribution model",
                 "attribution_opportunities", "channel", ["attributed_pipeline"],
                 groupby=["attribution_model"], width=12, height=60, fmt=MONEY,
                 description="Pipeline of the opportunities created in the date range, credited "
                             "to channels by each model (attribution_opportunities)."),
    category_bar("attribution.revenue", "Won revenue by channel under each attribution model",
                 "attribution_opportunities", "channel", ["attributed_revenue"],
                 groupby=["attribution_model"], width=12, height=60, fmt=MONEY,
                 description="Closed revenue of the opportunities created in the date range, "
                             f"credited to channels by each model ({MODELS}) side by side "
                             "(attribution_opportunities)."),
    Chart("attribution.matrix", "Attributed revenue: channel x model",
          "attribution_opportunities", "pivot_table_v2", {
              "groupbyRows": ["channel"], "groupbyColumns": ["attribution_model"],
              "metrics": ["attributed_revenue"], "metricsLayout": "COLUMNS",
              "adhoc_filters": _time_filter("attribution_opportunities"),
              "aggregateFunction": "Sum", "rowTotals": True, "colTotals": True,
              "valueFormat": MONEY, "row_limit": 10000, "order_desc": True,
              "combineMetric": False, "transposePivot": False,
          }, 12, 50, "The same credits as a table; per model the channels add up to the whole "
                     "won revenue."),
    table("attribution.sourced_influenced", "Sourced vs influenced pipeline by channel",
          "pipeline_sourced_influenced", ["channel"],
          ["sourced_pipeline", "influenced_pipeline", "sourced_revenue", "influenced_revenue"],
          filters=[_where("breakdown = 'channel'")], height=50,
          description="Sourced: first touch in the channel; influenced: any touch before the "
                      "opportunity (all time: pipeline_sourced_influenced has no date)."),
]

FOLLOW_UP_CHARTS = [
    big_number_total("follow_up.sla", "MQLs touched within the SLA", "sales_follow_up",
                     "sla_compliance", RATE, width=4,
                     description="Share of the MQLs (date range by MQL time) first touched "
                                 "within the contract's follow-up SLA (sales_follow_up)."),
    big_number_total("follow_up.never_touched", "Never-touched MQLs", "sales_follow_up",
                     "never_touched", COUNT, width=4),
    big_number_total("follow_up.speed", "Median hours to first touch", "sales_follow_up",
                     "median_hours_to_first_touch", DECIMAL, width=4),
    table("follow_up.by_owner", "SLA compliance and never-touched MQLs by owner",
          "sales_follow_up", ["owner_name", "team"],
          ["mqls", "sla_compliance", "never_touched", "median_hours_to_first_touch"],
          width=6, height=60),
    table("follow_up.by_channel", "SLA compliance and never-touched MQLs by channel",
          "sales_follow_up", ["channel"],
          ["mqls", "sla_compliance", "never_touched", "median_hours_to_first_touch"],
          width=6, height=60),
    category_bar("follow_up.never_touched_by_owner", "Never-touched MQLs by owner and channel",
                 "sales_follow_up", "owner_name", ["never_touched"], groupby=["channel"],
                 stack=True, width=12, height=50),
    category_bar("follow_up.rejection_reasons", "Why sales rejected leads",
                 "sales_feedback_reasons", "reason", ["people"], groupby=["channel"],
                 stack=True, horizontal=True, width=6, height=60,
                 filters=[_where("reason_type = 'rejected'")],
                 description="People sales disqualified before accepting them, by the reason "
                             "recorded (sales_feedback_reasons, all time)."),
    category_bar("follow_up.lost_reasons", "Why deals were lost", "sales_feedback_reasons",
                 "reason", ["people"], groupby=["channel"], stack=True, horizontal=True,
                 width=6, height=60, filters=[_where("reason_type = 'lost'")],
                 description="People whose first deal was lost, by lost reason "
                             "(sales_feedback_reasons, all time)."),
]

SELF_REPORTED_CHARTS = [
    big_number_total("self_reported.agreement", "Self-reported answers agreeing with tracking",
                     "self_reported_vs_tracked", "agreement_rate", RATE, width=6,
                     description="Share of the people who answered \"how did you hear about "
                                 "us\" whose answer agrees with their tracked first-touch "
                                 "channel (the contract's self_reported_sources)."),
    big_number_total("self_reported.answered", "People who answered",
                     "self_reported_vs_tracked", "people", COUNT, width=6),
    category_bar("self_reported.agreement_by_channel", "Agreement rate by tracked channel",
                 "self_reported_vs_tracked", "channel", ["agreement_rate"], fmt=RATE,
                 width=12, height=50),
    Chart("self_reported.confusion", "Self-reported answer vs tracked first-touch channel",
          "self_reported_vs_tracked", "heatmap_v2", {
              "x_axis": "self_reported_source", "groupby": "channel", "metric": "people",
              "adhoc_filters": _time_filter("self_reported_vs_tracked"), "row_limit": 10000,
              "linear_color_scheme": "blue_white_yellow", "normalize_across": "heatmap",
              "show_legend": True, "show_percentage": False, "show_values": True,
              "sort_x_axis": "alpha_asc", "sort_y_axis": "alpha_asc", "value_bounds": [None, None],
              "y_axis_format": "SMART_NUMBER", "xscale_interval": -1, "yscale_interval": -1,
              "left_margin": "auto", "bottom_margin": "auto",
          }, 12, 70, "People by their answer (columns) and tracked first-touch channel (rows)."),
    table("self_reported.answers", "Answers and their agreement", "self_reported_vs_tracked",
          ["self_reported_source"], ["people", "agreement_rate"], width=12, height=50),
]


@dataclass
class Dashboard:
    slug: str
    title: str
    intro: str
    rows: list[list[Chart]]
    channel_dataset: str  # the dataset the channel filter takes its values from

    @property
    def uuid(self) -> str:
        return stable_uuid("dashboard", self.slug)

    @property
    def charts(self) -> list[Chart]:
        return [chart for row in self.rows for chart in row]


def _rows(charts: list[Chart]) -> list[list[Chart]]:
    """Pack charts into rows of at most 12 columns, in order."""
    rows: list[list[Chart]] = []
    width = 12
    for chart in charts:
        if width + chart.width > 12:
            rows.append([])
            width = 0
        rows[-1].append(chart)
        width += chart.width
    return rows


DASHBOARDS = [
    Dashboard(
        "weekly-scorecard", "Weekly sales and marketing scorecard",
        "The numbers both teams read in the weekly meeting, from the published marts. Each tile "
        "shows the latest week in the date range, its change from the week before and the "
        "week's target. The tiles and weekly trends are company-wide (`weekly_scorecard` has no "
        "channel); the channel filter acts on the waterfall, the channel charts and the table.",
        _rows(SCORECARD_CHARTS), "daily_channel_performance"),
    Dashboard(
        "attribution", "Attribution: revenue by channel under each model",
        "Who gets the credit for pipeline and won revenue, under first touch, last touch, "
        "linear, position-based (40/20/40), W-shaped, time decay and Markov removal effects, "
        "side by side. The date range selects opportunities by their creation.",
        _rows(ATTRIBUTION_CHARTS), "attribution_opportunities"),
    Dashboard(
        "sales-follow-up", "Sales follow-up: speed to lead and feedback",
        "Whether sales touched each MQL within the contract's SLA, the MQLs never touched, by "
        "owner and channel (the date range selects MQLs by when they became MQLs), and sales' "
        "reasons for rejecting leads and losing deals (all time).",
        _rows(FOLLOW_UP_CHARTS), "sales_follow_up"),
    Dashboard(
        "self-reported-source", "Self-reported vs tracked source",
        "\"How did you hear about us?\" against the tracked first-touch channel (the date "
        "range selects people by their inquiry week).",
        _rows(SELF_REPORTED_CHARTS), "self_reported_vs_tracked"),
]


# ---------------------------------------------------------------------------------------------
# Writing the YAML


def _descriptions() -> dict[str, tuple[str, dict[str, str]]]:
    """table: (description, {column: description}) from the marts' dbt yml."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for path in sorted(MARTS_YML.glob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            columns = {c["name"]: " ".join(str(c.get("description", "")).split())
                       for c in model.get("columns", [])}
            found[model["name"]] = (" ".join(str(model.get("description", "")).split()),
                                    columns)
    return found


def _column_types(url: str, schema: str) -> dict[str, list[tuple[str, str]]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select table_name, column_name, upper(data_type) from information_schema.columns"
            " where table_schema = %s order by table_name, ordinal_position", (schema,)
        ).fetchall()
    types: dict[str, list[tuple[str, str]]] = {}
    for table_name, column, data_type in rows:
        types.setdefault(table_name, []).append((column, data_type))
    return types


def _dump(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))


STAGE_LABEL = ("stage_order::text || '. ' || CASE stage WHEN 'mql' THEN 'MQL' WHEN 'sal' THEN "
               "'SAL' WHEN 'sql' THEN 'SQL' ELSE initcap(stage) END")


def dataset_document(ds: Dataset, types: list[tuple[str, str]],
                     descriptions: tuple[str, dict[str, str]]) -> dict[str, Any]:
    if not types:
        raise SystemExit(f"{ds.table} is not in the warehouse: publish the marts")
    table_description, column_descriptions = descriptions
    columns = [{
        "column_name": name, "verbose_name": None, "is_dttm": data_type.startswith(("DATE",
                                                                                   "TIMESTAMP")),
        "is_active": True, "type": data_type, "advanced_data_type": None, "groupby": True,
        "filterable": True, "expression": None,
        "description": column_descriptions.get(name) or None, "python_date_format": None,
        "extra": None,
    } for name, data_type in types]
    names = {name for name, _ in types}
    if ds.dttm and ds.dttm not in names:
        raise SystemExit(f"marts.{ds.table} has no column {ds.dttm}")
    if ds.channel_expression:
        columns.append({
            "column_name": "channel", "verbose_name": "Channel", "is_dttm": False,
            "is_active": True, "type": "TEXT", "advanced_data_type": None, "groupby": True,
            "filterable": True, "expression": ds.channel_expression,
            "description": f"The {ds.channel_expression} (so the dashboards' channel filter "
                           "reaches this dataset).", "python_date_format": None, "extra": None})
    elif "channel" not in names and ds.table != "weekly_scorecard":
        raise SystemExit(f"marts.{ds.table} has no channel column")
    if ds.table == "funnel_stage_history":
        columns.append({
            "column_name": "stage_label", "verbose_name": "Stage", "is_dttm": False,
            "is_active": True, "type": "TEXT", "advanced_data_type": None, "groupby": True,
            "filterable": True, "expression": STAGE_LABEL,
            "description": "The stage with its position on the waterfall, e.g. '2. MQL'.",
            "python_date_format": None, "extra": None})
    metrics = [{
        "metric_name": name, "verbose_name": label, "metric_type": None, "expression": expr,
        "description": None, "d3format": fmt, "currency": None, "extra": None,
        "warning_text": None,
    } for name, (expr, label, fmt) in ds.metrics.items()]
    return {
        "table_name": ds.table, "main_dttm_col": ds.dttm, "description": table_description,
        "default_endpoint": None, "offset": 0, "cache_timeout": None, "catalog": None,
        "schema": SCHEMA, "sql": None, "params": None, "template_params": None,
        "filter_select_enabled": True, "fetch_values_predicate": None, "extra": None,
        "normalize_columns": False, "always_filter_main_dttm": False, "uuid": ds.uuid,
        "metrics": metrics, "columns": columns, "version": VERSION,
        "database_uuid": stable_uuid("database", DATABASE_KEY),
    }


def chart_document(chart: Chart) -> dict[str, Any]:
    params = {"viz_type": chart.viz_type, **chart.params}
    return {
        "slice_name": chart.name, "description": chart.description, "certified_by": None,
        "certification_details": None, "viz_type": chart.viz_type, "params": params,
        "query_context": None, "cache_timeout": None, "uuid": chart.uuid, "version": VERSION,
        "dataset_uuid": DATASETS[chart.dataset].uuid,
    }


def _native_filters(board: Dashboard, ids: dict[str, int]) -> list[dict[str, Any]]:
    all_ids = [ids[chart.key] for chart in board.charts]
    not_temporal = [ids[chart.key] for chart in board.charts if not chart.temporal]
    channel_less = [ids[chart.key] for chart in board.charts if chart.dataset == "weekly_scorecard"]
    common = {"cascadeParentIds": [], "type": "NATIVE_FILTER", "tabsInScope": [],
              "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}}}
    return [
        {**common, "id": "NATIVE_FILTER-date-range", "name": "Date range",
         "filterType": "filter_time", "targets": [{}],
         "controlValues": {"enableEmptyFilter": False},
         "description": "Acts on each chart's date column (the charts on marts without a date "
                        "show all time).",
         "scope": {"rootPath": ["ROOT_ID"], "excluded": not_temporal},
         "chartsInScope": [i for i in all_ids if i not in not_temporal]},
        {**common, "id": "NATIVE_FILTER-channel", "name": "Channel",
         "filterType": "filter_select",
         "targets": [{"column": {"name": "channel"},
                      "datasetUuid": DATASETS[board.channel_dataset].uuid}],
         "controlValues": {"multiSelect": True, "enableEmptyFilter": False,
                           "defaultToFirstItem": False, "inverseSelection": False,
                           "searchAllOptions": False},
         "description": "The marketing channel (first-touch channel for people and funnel "
                        "marts).",
         "scope": {"rootPath": ["ROOT_ID"], "excluded": channel_less},
         "chartsInScope": [i for i in all_ids if i not in channel_less]},
    ]


def dashboard_document(board: Dashboard) -> dict[str, Any]:
    ids = {chart.key: number for number, chart in enumerate(board.charts, start=1)}
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": board.title}},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    intro_row = "ROW-intro"
    position["GRID_ID"]["children"].append(intro_row)
    position[intro_row] = {"type": "ROW", "id": intro_row, "children": ["MARKDOWN-intro"],
                           "parents": ["ROOT_ID", "GRID_ID"],
                           "meta": {"background": "BACKGROUND_TRANSPARENT"}}
    position["MARKDOWN-intro"] = {
        "type": "MARKDOWN", "id": "MARKDOWN-intro", "children": [],
        "parents": ["ROOT_ID", "GRID_ID", intro_row],
        "meta": {"width": 12, "height": 14, "code": board.intro}}
    for number, row in enumerate(board.rows, start=1):
        row_id = f"ROW-{number}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [],
                            "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for chart in row:
            chart_id = f"CHART-{chart.key.replace('.', '-').replace('_', '-')}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "type": "CHART", "id": chart_id, "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"chartId": ids[chart.key], "uuid": chart.uuid, "sliceName": chart.name,
                         "width": chart.width, "height": chart.height}}
    metadata = {
        "native_filter_configuration": _native_filters(board, ids),
        "chart_configuration": {}, "global_chart_configuration": {
            "scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []},
        "cross_filters_enabled": False, "color_scheme": "supersetColors",
        "refresh_frequency": 0, "expanded_slices": {}, "label_colors": {},
        "timed_refresh_immune_slices": [], "default_filters": "{}",
    }
    return {
        "dashboard_title": board.title, "description": None, "css": "", "slug": board.slug,
        "certified_by": None, "certification_details": None, "published": True,
        "uuid": board.uuid, "position": position, "metadata": metadata, "version": VERSION,
    }


def write(url: str, types_schema: str = SCHEMA) -> list[Path]:
    types = _column_types(url, types_schema)
    descriptions = _descriptions()
    if ASSETS.exists():
        shutil.rmtree(ASSETS)
    written: list[Path] = []

    def dump(relative: str, document: dict[str, Any]) -> None:
        _dump(ASSETS / relative, document)
        written.append(ASSETS / relative)

    dump("metadata.yaml", {"version": VERSION, "type": "assets",
                           "timestamp": "2026-01-01T00:00:00+00:00"})
    dump(f"databases/{DATABASE_KEY}.yaml", {
        "database_name": "Revenue warehouse (marts)", "sqlalchemy_uri": PLACEHOLDER_URI,
        "cache_timeout": None, "expose_in_sqllab": True, "allow_run_async": False,
        "allow_ctas": False, "allow_cvas": False, "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True, "metadata_params": {},
                  "engine_params": {}, "schemas_allowed_for_file_upload": []},
        "uuid": stable_uuid("database", DATABASE_KEY), "version": VERSION,
    })
    used = {chart.dataset for board in DASHBOARDS for chart in board.charts}
    for table_name in sorted(used):
        ds = DATASETS[table_name]
        dump(f"datasets/{DATABASE_KEY}/{table_name}.yaml",
             dataset_document(ds, types.get(table_name, []),
                              descriptions.get(table_name, ("", {}))))
    for board in DASHBOARDS:
        for chart in board.charts:
            dump(f"charts/{chart.key.replace('.', '__')}.yaml", chart_document(chart))
        dump(f"dashboards/{board.slug}.yaml", dashboard_document(board))
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="warehouse URL (default: the configured warehouse)")
    parser.add_argument("--types-schema", default=SCHEMA,
                        help="schema to read the column types from (default: marts; audit has"
                             " the same tables before a publish)")
    args = parser.parse_args()
    url = args.url
    if not url:
        import sys

        sys.path.insert(0, str(ROOT / "plugins"))
        from revwh.warehouse import warehouse_url

        url = warehouse_url()
    written = write(url, args.types_schema)
    print(f"wrote {len(written)} files under {ASSETS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
