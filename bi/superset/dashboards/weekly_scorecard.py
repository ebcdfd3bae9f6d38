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
    category_bar,
    rounded,
    rows,
    table,
    time_filter,
    timeseries,
    where,
)

# Weekly views show complete weeks by default: the week containing the data end (and a first
# week the data starts in mid-week) is partial, labelled by weekly_scorecard.is_complete_week,
# and shown apart (PARTIAL_WEEK) instead of next to full weeks.
COMPLETE_WEEKS = where("is_complete_week")

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
    "    &middot; week of {{dateFormat week_start format='D MMM YYYY'}} (complete week)",
    "  </div>",
    "</div>",
    "{{else}}",
    '<div class="revwh-kpi-empty">No complete week in the selected range</div>',
    "{{/each}}",
]) + "\n"

def dollars(field: str) -> str:
    """Handlebars: $ and the amount, or n/a when it is null (unknown, never $0)."""
    return f"{{{{#if (eq {field} null)}}}}n/a{{{{else}}}}${{{{formatNumber {field}}}}}{{{{/if}}}}"


# The partial week so far: its days, and its figures with no comparison (a partial week is
# never set against a full one).
# The query's first row is the latest partial week in the range or, when the range has none,
# the latest complete week (Superset shows "No results", not the template, for no row at all).
PARTIAL_TEMPLATE = "\n".join([
    "{{#each data}}",
    "{{#if is_complete_week}}",
    '<div class="revwh-partial-empty">No partial week in the selected range: every week'
    " shown is complete</div>",
    "{{else}}",
    '<div class="revwh-partial-week" data-week="{{dateFormat week_start format=\'YYYY-MM-DD\'}}"',
    '     data-days="{{days_in_week}}" style="padding: 2px 8px;">',
    '  <div style="font-size: 14px; font-weight: 600;">',
    "    Partial week: {{dateFormat week_start format='D MMM YYYY'}}, {{days_in_week}} of 7"
    " days so far",
    "  </div>",
    '  <div style="font-size: 13px; margin-top: 4px;">',
    "    Spend " + dollars("shown_spend") + " &middot; Leads {{formatNumber leads}}"
    " &middot; MQLs {{formatNumber mqls}} &middot; SQLs {{formatNumber sqls}}"
    " &middot; Pipeline " + dollars("shown_pipeline")
    + " &middot; Won revenue " + dollars("shown_won_revenue"),
    "  </div>",
    '  <div style="font-size: 12px; opacity: 0.7; margin-top: 2px;">',
    "    not compared with last week, nor in the tiles and trends (complete weeks only)",
    "  </div>",
    "</div>",
    "{{/if}}",
    "{{/each}}",
]) + "\n"

# The headline tiles: (column of weekly_scorecard, label, prefix, suffix, fraction digits). A
# tile shows one week's row (the latest complete week in the range), so a ratio tile (CAC,
# ROAS) is that week's own figure, not an aggregate over weeks.
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
        description=(f"{label} of the latest complete week in the date range"
                     f" (weekly_scorecard.{metric}, is_complete_week), its change from the"
                     f" complete week before ({metric}_wow_change) and the week's target"
                     f" ({metric}_target, seed scorecard_targets). The partial week is apart."),
        params={
            "query_mode": "raw",
            "all_columns": ["week_start", metric, f"{metric}_wow_change", f"{metric}_target",
                            rounded(metric, "shown_value", digits),
                            rounded(f"{metric}_wow_change", "shown_wow", digits),
                            rounded(f"{metric}_target", "shown_target", digits)],
            "order_by_cols": [json.dumps(["week_start", False])],
            "row_limit": 1,
            "adhoc_filters": time_filter(WEEKLY_SCORECARD) + [COMPLETE_WEEKS],
            "handlebarsTemplate": KPI_TEMPLATE % {"metric": metric, "prefix": prefix,
                                                  "suffix": suffix, "digits": digits},
            "styleTemplate": "",
        })


PARTIAL_WEEK = Chart(
    key="scorecard.partial_week", name="This week so far (partial)", dataset=WEEKLY_SCORECARD,
    viz_type="handlebars", width=12, height=16,
    description=("The latest partial week in the date range (weekly_scorecard, is_complete_week"
                 " false: the week containing the data end): its days so far and its figures,"
                 " never compared with a full week; or, when every week of the range is"
                 " complete, a line saying so."),
    params={
        "query_mode": "raw",
        "all_columns": ["week_start", "is_complete_week", "days_in_week", "leads", "mqls", "sqls",
                        rounded("spend", "shown_spend", 0),
                        rounded("pipeline", "shown_pipeline", 0),
                        rounded("won_revenue", "shown_won_revenue", 0)],
        # the partial week first (false sorts before true), else the latest complete one
        "order_by_cols": [json.dumps(["is_complete_week", True]),
                          json.dumps(["week_start", False])],
        "row_limit": 1,
        "adhoc_filters": time_filter(WEEKLY_SCORECARD),
        "handlebarsTemplate": PARTIAL_TEMPLATE,
        "styleTemplate": "",
    })

# The waterfall in the contract's stage order: stage_label is "<stage_order>. <stage>"
# (funnel_stage_history.stage_order, reference.lead_stages), and the bars are sorted by it,
# never by people (sales-created leads enter SAL without being MQLs, so SAL can outnumber MQL).
FUNNEL = category_bar(
    "scorecard.funnel", "Lead waterfall: people per stage", FUNNEL_STAGE_HISTORY, "stage_label",
    ["people"], width=6, height=60, sort_by_x=True,
    description="People of the inquiry cohorts in the date range who entered each stage of the "
                "lead definition's waterfall (funnel_stage_history), in the contract's stage "
                "order (stage_order).")

CONVERSION = table(
    "scorecard.conversion", "Stage-to-stage conversion by channel", FUNNEL_CONVERSION_WEEKLY,
    ["channel"],
    ["inquiries", "mqls", "sals", "sqls", "opportunities", "customers", "inquiry_to_mql",
     "mql_to_sal", "sal_to_sql", "sql_to_opportunity", "opportunity_to_customer"],
    width=6, height=60,
    description="The waterfall's conversion between consecutive stages, by first-touch channel "
                "(funnel_conversion_weekly, inquiry cohorts in the date range).")

CHARTS = [
    *[kpi_tile(*headline) for headline in HEADLINES],
    PARTIAL_WEEK,
    FUNNEL,
    CONVERSION,
    timeseries("scorecard.trend_funnel", "Weekly leads, MQLs and SQLs against target",
               WEEKLY_SCORECARD, ["leads", "mqls", "mqls_target", "sqls", "sqls_target"],
               filters=[COMPLETE_WEEKS],
               description="Leads, MQLs and SQLs per complete week with their targets "
                           "(weekly_scorecard, is_complete_week)."),
    timeseries("scorecard.trend_money", "Weekly spend, pipeline and won revenue",
               WEEKLY_SCORECARD, ["spend", "pipeline", "won_revenue", "pipeline_target"],
               fmt=MONEY, filters=[COMPLETE_WEEKS],
               description="Ad spend, pipeline created and revenue won per complete week "
                           "(weekly_scorecard, is_complete_week)."),
    timeseries("scorecard.spend_by_channel", "Weekly spend by channel",
               DAILY_CHANNEL_PERFORMANCE, ["spend"], viz="bar", groupby=["channel"],
               stack=True, fmt=MONEY, filters=[COMPLETE_WEEKS],
               description="Ad spend per complete week and channel (daily_channel_performance, "
                           "is_complete_week)."),
    timeseries("scorecard.leads_by_channel", "Weekly leads by channel",
               DAILY_CHANNEL_PERFORMANCE, ["leads"], viz="bar", groupby=["channel"],
               stack=True, filters=[COMPLETE_WEEKS],
               description="Leads created per complete week by their original channel "
                           "(daily_channel_performance, is_complete_week)."),
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
    "shows the latest complete week in the date range, its change from the complete week "
    "before and the week's target; the current, partial week (the week of the newest day "
    "with data) is shown apart with its days so far and never compared with a full week. The "
    "tiles and weekly trends are company-wide (`weekly_scorecard` has no channel); the channel "
    "filter acts on the waterfall, the channel charts and the table.",
    rows(CHARTS), DAILY_CHANNEL_PERFORMANCE)
