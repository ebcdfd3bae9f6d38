"""Sales follow-up: speed to lead and feedback (slug sales-follow-up)."""

from __future__ import annotations

from bi.superset.datasets import SALES_FEEDBACK_REASONS, SALES_FOLLOW_UP
from bi.superset.vocabulary import (
    COUNT,
    DECIMAL,
    RATE,
    Dashboard,
    big_number_total,
    category_bar,
    rows,
    table,
    where,
)

CHARTS = [
    big_number_total("follow_up.sla", "MQLs touched within the SLA", SALES_FOLLOW_UP,
                     "sla_compliance", RATE, width=4,
                     description="Share of the MQLs (date range by MQL time) first touched "
                                 "within the contract's follow-up SLA (sales_follow_up)."),
    big_number_total("follow_up.never_touched", "Never-touched MQLs", SALES_FOLLOW_UP,
                     "never_touched", COUNT, width=4),
    big_number_total("follow_up.speed", "Median hours to first touch", SALES_FOLLOW_UP,
                     "median_hours_to_first_touch", DECIMAL, width=4),
    table("follow_up.by_owner", "SLA compliance and never-touched MQLs by owner",
          SALES_FOLLOW_UP, ["owner_name", "team"],
          ["mqls", "sla_compliance", "never_touched", "median_hours_to_first_touch"],
          width=6, height=60),
    table("follow_up.by_channel", "SLA compliance and never-touched MQLs by channel",
          SALES_FOLLOW_UP, ["channel"],
          ["mqls", "sla_compliance", "never_touched", "median_hours_to_first_touch"],
          width=6, height=60),
    category_bar("follow_up.never_touched_by_owner", "Never-touched MQLs by owner and channel",
                 SALES_FOLLOW_UP, "owner_name", ["never_touched"], groupby=["channel"],
                 stack=True, width=12, height=50),
    category_bar("follow_up.rejection_reasons", "Why sales rejected leads",
                 SALES_FEEDBACK_REASONS, "reason", ["people"], groupby=["channel"],
                 stack=True, horizontal=True, width=6, height=60,
                 filters=[where("reason_type = 'rejected'")],
                 description="People sales disqualified before accepting them, by the reason "
                             "recorded (sales_feedback_reasons, all time)."),
    category_bar("follow_up.lost_reasons", "Why deals were lost", SALES_FEEDBACK_REASONS,
                 "reason", ["people"], groupby=["channel"], stack=True, horizontal=True,
                 width=6, height=60, filters=[where("reason_type = 'lost'")],
                 description="People whose first deal was lost, by lost reason "
                             "(sales_feedback_reasons, all time)."),
]

DASHBOARD = Dashboard(
    "sales-follow-up", "Sales follow-up: speed to lead and feedback",
    "Whether sales touched each MQL within the contract's SLA, the MQLs never touched, by "
    "owner and channel (the date range selects MQLs by when they became MQLs), and sales' "
    "reasons for rejecting leads and losing deals (all time).",
    rows(CHARTS), SALES_FOLLOW_UP)
