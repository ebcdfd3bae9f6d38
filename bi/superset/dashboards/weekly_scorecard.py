"""The weekly sales and marketing scorecard (slug weekly-scorecard)."""

from __future__ import annotations

import json

from bi.superset.datasets import (
    CHANNEL_EFFICIENCY,
    DAILY_CHANNEL_PERFORMANCE,
    FUNNEL_CONVERSION_WEEKLY,
    FUNNEL_STAGE_HISTORY,
    WEEKLY_SCORECARD,
)
from bi.superset.vocabulary import (
    MONEY,
    Chart,
    Dashboard,
    rounded,
    rows,
    table,
    time_filter,
    timeseries,
    where,
)

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

# The headline tiles: (column of weekly_scorecard, label, prefix, suffix, fraction digits). A
# tile shows one week's row (the latest in the range), so a ratio tile (CAC, ROAS) is that
# week's own figure, not an aggregate over weeks.
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
        key=f"scorecard.kpi.{metric}", name=label, dataset=WEEKLY_SCORECARD,
        viz_type="handlebars", width=4, height=24,
        description=(f"{label} of the latest week in the date range (weekly_scorecard.{metric}),"
                     f" its change from the week before ({metric}_wow_change) and the week's"
                     f" target ({metric}_target, seed scorecard_targets)."),
        params={
            "query_mode": "raw",
            "all_columns": ["week_start", metric, f"{metric}_wow_change", f"{metric}_target",
                            rounded(metric, "shown_value", digits),
                            rounded(f"{metric}_wow_change", "shown_wow", digits),
                            rounded(f"{metric}_target", "shown_target", digits)],
            "order_by_cols": [json.dumps(["week_start", False])],
            "row_limit": 1,
            "adhoc_filters": time_filter(WEEKLY_SCORECARD),
            "handlebarsTemplate": KPI_TEMPLATE % {"metric": metric, "prefix": prefix,
                                                  "suffix": suffix, "digits": digits},
            "styleTemplate": "",
        })


FUNNEL = Chart(
    "scorecard.funnel", "Lead waterfall: people per stage", FUNNEL_STAGE_HISTORY, "funnel",
    {
        "groupby": ["stage_label"], "metric": "people",
        "adhoc_filters": time_filter(FUNNEL_STAGE_HISTORY), "row_limit": 10,
        "sort_by_metric": True, "percent_calculation_type": "first_step",
        "show_labels": True, "show_tooltip_labels": True, "show_legend": False,
        "label_type": "key_value_percent", "tooltip_label_type": "key_value_percent",
        "number_format": "SMART_NUMBER", "color_scheme": "supersetColors",
    }, 6, 60,
    "People of the inquiry cohorts in the date range who entered each stage of the lead "
    "definition's waterfall (funnel_stage_history), with the share of the inquiries.")

CONVERSION = table(
    "scorecard.conversion", "Stage-to-stage conversion by channel", FUNNEL_CONVERSION_WEEKLY,
    ["channel"],
    ["inquiries", "mqls", "sqls", "opportunities", "customers", "inquiry_to_mql", "mql_to_sal",
     "sal_to_sql", "sql_to_opportunity", "opportunity_to_customer"],
    width=6, height=60,
    description="The waterfall's conversion between consecutive stages, by first-touch channel "
                "(funnel_conversion_weekly, inquiry cohorts in the date range).")

CHARTS = [
    *[kpi_tile(*headline) for headline in HEADLINES],
    FUNNEL,
    CONVERSION,
    timeseries("scorecard.trend_funnel", "Weekly leads, MQLs and SQLs against target",
               WEEKLY_SCORECARD, ["leads", "mqls", "mqls_target", "sqls", "sqls_target"],
               description="Leads, MQLs and SQLs per week with their targets (weekly_scorecard)."),
    timeseries("scorecard.trend_money", "Weekly spend, pipeline and won revenue",
               WEEKLY_SCORECARD, ["spend", "pipeline", "won_revenue", "pipeline_target"],
               fmt=MONEY, description="Ad spend, pipeline created and revenue won per week "
                                      "(weekly_scorecard)."),
    timeseries("scorecard.spend_by_channel", "Weekly spend by channel",
               DAILY_CHANNEL_PERFORMANCE, ["spend"], viz="bar", groupby=["channel"],
               stack=True, fmt=MONEY,
               description="Ad spend per week and channel (daily_channel_performance)."),
    timeseries("scorecard.leads_by_channel", "Weekly leads by channel",
               DAILY_CHANNEL_PERFORMANCE, ["leads"], viz="bar", groupby=["channel"],
               stack=True, description="Leads created per week by their original channel "
                                       "(daily_channel_performance)."),
    table("scorecard.channel_campaign", "Efficiency by channel and campaign",
          CHANNEL_EFFICIENCY, ["channel", "campaign"],
          ["spend", "leads", "mqls", "sqls", "opportunities", "customers", "sourced_pipeline",
           "sourced_revenue", "cost_per_mql", "cac", "roas"],
          filters=[where("breakdown = 'campaign'")], height=70,
          description="Spend against the people, pipeline and revenue each channel and campaign "
                      "sourced (first touch), all time (channel_efficiency has no date: the "
                      "date range does not apply)."),
]

DASHBOARD = Dashboard(
    "weekly-scorecard", "Weekly sales and marketing scorecard",
    "The numbers both teams read in the weekly meeting, from the published marts. Each tile "
    "shows the latest week in the date range, its change from the week before and the "
    "week's target. The tiles and weekly trends are company-wide (`weekly_scorecard` has no "
    "channel); the channel filter acts on the waterfall, the channel charts and the table.",
    rows(CHARTS), DAILY_CHANNEL_PERFORMANCE)
