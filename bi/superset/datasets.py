"""The datasets: one per published mart a dashboard reads, with its saved metrics.

Deal amounts (pipeline, revenue) are ``money(column)``: null (n/a) when the deals have no
amount, never 0 (a CRM export without amounts). Ratios are ``ratio(numerator, denominator)`` of
the mart's own additive columns (``money_ratio`` over money; costs are
``cost(spend, denominator)``: null without spend, shown as n/a), or the
flagged ``share`` of a per-person mart (see vocabulary). A ratio whose numerator or denominator
the mart does not publish is not offered as a saved metric. weekly_scorecard publishes each
ratio's numerator and denominator: CAC is spend / deals_won, win rate won / closed opportunities
(by creation week), SLA compliance met / (met + missed) (pending MQLs, whose window is still
open at the data end, are neither). Its speed to lead is a weekly median, which no sum
rebuilds: the saved metric is the average hours to first touch instead (total hours over
touched MQLs), and the headline tile reads one week's own median.
"""

from __future__ import annotations

from bi.superset.vocabulary import (
    COUNT,
    DECIMAL,
    MONEY,
    RATE,
    CalculatedColumn,
    Dataset,
    Metric,
    cost,
    count,
    median,
    money,
    money_ratio,
    ratio,
    share,
    total,
)

# weekly_scorecard's additive columns, each with its target column (seed scorecard_targets)
SCORECARD_ADDITIVE = {
    "spend": ("Spend", MONEY), "sessions": ("Sessions", COUNT), "leads": ("Leads", COUNT),
    "mqls": ("MQLs", COUNT), "sqls": ("SQLs", COUNT), "opportunities": ("Opportunities", COUNT),
    "pipeline": ("Pipeline", MONEY), "won_revenue": ("Won revenue", MONEY),
}
# ...of which deal amounts: null when the deals have no amount (unknown), summed by money()
SCORECARD_AMOUNTS = {"pipeline", "won_revenue"}


# weekly_scorecard's numerators and denominators of the ratios that are not headlines
SCORECARD_COUNTS = {
    "deals_won": "Deals won", "won_opportunities_created": "Won opportunities (by creation)",
    "closed_opportunities_created": "Closed opportunities (by creation)",
    "mqls_met_sla": "MQLs within SLA", "mqls_missed_sla": "MQLs past SLA",
    "mqls_sla_pending": "MQLs pending (SLA window open)", "mqls_touched": "MQLs touched",
}


def _scorecard_metrics() -> dict[str, Metric]:
    metrics: dict[str, Metric] = {}
    for name, (label, fmt) in SCORECARD_ADDITIVE.items():
        metrics[name] = (money if name in SCORECARD_AMOUNTS else total)(name, label, fmt)
        metrics[f"{name}_target"] = total(f"{name}_target", f"{label} target", fmt)
    # the ratios whose both sides the mart publishes (the targets of ratios are ratios too,
    # with no numerator and denominator targets: not summable, so not offered)
    for name, label in SCORECARD_COUNTS.items():
        metrics[name] = total(name, label)
    metrics["roas"] = money_ratio("won_revenue", "spend", "ROAS", DECIMAL)
    metrics["mql_to_sql_rate"] = ratio("sqls", "mqls", "MQL to SQL", RATE)
    metrics["cac"] = cost("spend", "deals_won", "CAC", MONEY)
    metrics["win_rate"] = ratio("won_opportunities_created", "closed_opportunities_created",
                                "Win rate", RATE)
    metrics["sla_compliance"] = ratio("mqls_met_sla", "mqls_met_sla + mqls_missed_sla",
                                      "SLA compliance", RATE)
    # the mean, not the median (a median of a range cannot be built from weekly figures)
    metrics["average_hours_to_first_touch"] = ratio(
        "total_hours_to_first_touch", "mqls_touched", "Average hours to first touch", DECIMAL)
    return metrics


STAGE_LABEL = ("stage_order::text || '. ' || CASE stage WHEN 'mql' THEN 'MQL' WHEN 'sal' THEN "
               "'SAL' WHEN 'sql' THEN 'SQL' ELSE initcap(stage) END")

WEEKLY_SCORECARD = Dataset("weekly_scorecard", "week_start", _scorecard_metrics(),
                           has_channel=False)

DAILY_CHANNEL_PERFORMANCE = Dataset("daily_channel_performance", "date_day", {
    "spend": total("spend", "Spend", MONEY), "sessions": total("sessions", "Sessions"),
    "leads": total("leads", "Leads"), "clicks": total("clicks", "Clicks")})

FUNNEL_STAGE_HISTORY = Dataset(
    "funnel_stage_history", "cohort_week", {"people": count("People")},
    channel_expression="first_touch_channel",
    calculated=[CalculatedColumn(
        "stage_label", "Stage", STAGE_LABEL,
        "The stage with its position on the waterfall, e.g. '2. MQL'.")])

FUNNEL_CONVERSION_WEEKLY = Dataset("funnel_conversion_weekly", "cohort_week", {
    "inquiries": total("inquiry_people", "Inquiries"),
    "mqls": total("mql_people", "MQLs"),
    "sals": total("sal_people", "SALs"),
    "sqls": total("sql_people", "SQLs"),
    "opportunities": total("opportunity_people", "Opportunities"),
    "customers": total("customer_people", "Customers"),
    "inquiry_to_mql": ratio("mql_people", "inquiry_people", "Inquiry to MQL", RATE),
    "mql_to_sal": ratio("sal_people", "mql_people", "MQL to SAL", RATE),
    "sal_to_sql": ratio("sql_people", "sal_people", "SAL to SQL", RATE),
    "sql_to_opportunity": ratio("opportunity_people", "sql_people", "SQL to opportunity",
                                RATE),
    "opportunity_to_customer": ratio("customer_people", "opportunity_people",
                                     "Opportunity to customer", RATE)},
    channel_expression="first_touch_channel")

# One row per channel and one per campaign (`breakdown`): a chart filters on one of them.
CHANNEL_EFFICIENCY = Dataset("channel_efficiency", None, {
    "spend": total("spend", "Spend", MONEY), "leads": total("leads", "Leads"),
    "mqls": total("mqls", "MQLs"), "sqls": total("sqls", "SQLs"),
    "opportunities": total("opportunities", "Opportunities"),
    "customers": total("customers", "Customers"),
    "sourced_pipeline": money("sourced_pipeline", "Sourced pipeline"),
    "sourced_revenue": money("sourced_revenue", "Sourced revenue"),
    "cost_per_mql": cost("spend", "mqls", "Cost per MQL", MONEY),
    "cost_per_sql": cost("spend", "sqls", "Cost per SQL", MONEY),
    "cost_per_opportunity": cost("spend", "opportunities", "Cost per opportunity", MONEY),
    "cac": cost("spend", "customers", "CAC", MONEY),
    "roas": money_ratio("sourced_revenue", "spend", "ROAS", DECIMAL),
    "pipeline_to_spend": money_ratio("sourced_pipeline", "spend", "Pipeline to spend",
                                     DECIMAL)})

ATTRIBUTION_OPPORTUNITIES = Dataset("attribution_opportunities", "opportunity_created_at", {
    "attributed_revenue": money("attributed_revenue", "Attributed revenue"),
    "attributed_pipeline": money("attributed_pipeline", "Attributed pipeline"),
    "attributed_opportunities": total("credit", "Attributed opportunities", DECIMAL)})

PIPELINE_SOURCED_INFLUENCED = Dataset("pipeline_sourced_influenced", None, {
    "sourced_pipeline": money("sourced_pipeline", "Sourced pipeline"),
    "influenced_pipeline": money("influenced_pipeline", "Influenced pipeline"),
    "sourced_revenue": money("sourced_revenue", "Sourced revenue"),
    "influenced_revenue": money("influenced_revenue", "Influenced revenue")})

# One row per MQL. touched_within_sla is null while the SLA window is open (pending): the share
# is of the MQLs whose window has closed, met or missed.
SALES_FOLLOW_UP = Dataset("sales_follow_up", "mql_at", {
    "mqls": count("MQLs"),
    "sla_compliance": Metric("SUM(touched_within_sla::int)::numeric"
                             " / NULLIF(COUNT(touched_within_sla), 0)", "Within SLA", RATE),
    "sla_missed": total("(sla_status = 'missed')::int", "SLA missed"),
    "sla_pending": total("(sla_status = 'pending')::int", "SLA pending"),
    "never_touched": total("is_never_touched::int", "Never touched"),
    "median_hours_to_first_touch": median("hours_to_first_touch",
                                          "Median hours to first touch")},
    channel_expression="first_touch_channel")

SALES_FEEDBACK_REASONS = Dataset("sales_feedback_reasons", None, {
    "people": total("people", "People")}, channel_expression="first_touch_channel")

# One row per person.
SELF_REPORTED_VS_TRACKED = Dataset("self_reported_vs_tracked", "cohort_week", {
    "people": count("People"),
    "agreement_rate": share("agrees", "Agreement rate")},
    channel_expression="first_touch_channel")

# Data quality. The anomalies dim_people and opportunities flag (comma-separated in `anomalies`),
# in crm_anomalies' order; a test checks the list against the mart's rows.
ANOMALIES = {
    "won_before_first_contact": "Won before first contact",
    "opportunity_before_first_contact": "Opportunity before first contact",
    "stage_before_created": "Stage before the record was created",
}


def _flagged(anomaly: str | None) -> str:
    """SQL: 1 when the row carries the anomaly (any anomaly: None), else 0."""
    test = ("anomalies IS NOT NULL" if anomaly is None
            else f"'{anomaly}' = ANY(string_to_array(anomalies, ','))")
    return f"CASE WHEN {test} THEN 1 ELSE 0 END"


IS_FLAGGED = CalculatedColumn("is_flagged", "Flagged", "anomalies IS NOT NULL",
                              "Whether the row carries an anomaly (anomalies not null).")

# One row per person (counted), with the anomalies their data shows.
DIM_PEOPLE = Dataset("dim_people", "inquiry_at", {
    "people": count("People"), "flagged_people": total(_flagged(None), "Flagged people"),
    **{anomaly: total(_flagged(anomaly), label) for anomaly, label in ANOMALIES.items()}},
    channel_expression="first_touch_channel", calculated=[IS_FLAGGED])

# One row per deal.
OPPORTUNITIES = Dataset("opportunities", "created_at", {
    "opportunities": count("Opportunities"),
    "flagged_opportunities": total(_flagged(None), "Flagged opportunities"),
    "pipeline": money("amount_reporting", "Pipeline")},
    channel_expression="first_touch_channel", calculated=[IS_FLAGGED])

# One row per anomaly and one per exclusion reason, zeros included; no date, no channel.
CRM_ANOMALIES = Dataset("crm_anomalies", None, {
    "people": total("people", "People"), "records": total("records", "CRM records")},
    has_channel=False)

PEOPLE_EXCLUSIONS = Dataset("people_exclusions", None, {
    "people": total("people", "People"), "records": total("records", "CRM records")},
    has_channel=False, calculated=[CalculatedColumn(
        "reason_label", "Reason", "sort_order::text || '. ' || exclusion_reason",
        "The reason with its display position, e.g. '1. test'.")])

DATASETS = {ds.table: ds for ds in [
    WEEKLY_SCORECARD, DAILY_CHANNEL_PERFORMANCE, FUNNEL_STAGE_HISTORY, FUNNEL_CONVERSION_WEEKLY,
    CHANNEL_EFFICIENCY, ATTRIBUTION_OPPORTUNITIES, PIPELINE_SOURCED_INFLUENCED, SALES_FOLLOW_UP,
    SALES_FEEDBACK_REASONS, SELF_REPORTED_VS_TRACKED, DIM_PEOPLE, OPPORTUNITIES, CRM_ANOMALIES,
    PEOPLE_EXCLUSIONS,
]}
