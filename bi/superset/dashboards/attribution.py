"""Attribution: revenue by channel under each model (slug attribution)."""

from __future__ import annotations

from bi.superset.datasets import ATTRIBUTION_OPPORTUNITIES, PIPELINE_SOURCED_INFLUENCED
from bi.superset.vocabulary import (
    MONEY,
    Dashboard,
    category_bar,
    rows,
    table,
    where,
)

MODELS = "first_touch, last_touch, linear, position_based, w_shaped, time_decay, markov"

CHARTS = [
    category_bar("attribution.pipeline", "Pipeline by channel under each attribution model",
                 ATTRIBUTION_OPPORTUNITIES, "channel", ["attributed_pipeline"],
                 groupby=["attribution_model"], width=12, height=60, fmt=MONEY,
                 description="Pipeline of the opportunities created in the date range, credited "
                             "to channels by each model (attribution_opportunities). No bar: "
                             "the opportunities have no amount (n/a), not 0."),
    category_bar("attribution.revenue", "Won revenue by channel under each attribution model",
                 ATTRIBUTION_OPPORTUNITIES, "channel", ["attributed_revenue"],
                 groupby=["attribution_model"], width=12, height=60, fmt=MONEY,
                 description="Closed revenue of the opportunities created in the date range, "
                             f"credited to channels by each model ({MODELS}) side by side "
                             "(attribution_opportunities). No bar: the won opportunities have "
                             "no amount (n/a), not 0."),
    # a table, not a pivot: Superset's pivot totals add in the browser and show $0 where every
    # amount is unknown (a CRM export without amounts); the table shows N/A
    table("attribution.matrix", "Attributed revenue and pipeline: channel x model",
          ATTRIBUTION_OPPORTUNITIES, ["channel", "attribution_model"],
          ["attributed_revenue", "attributed_pipeline", "attributed_opportunities"], height=60,
          description="The same credits as a table, one row per channel and model; per model "
                      "the channels add up to the whole won revenue (N/A: the opportunities "
                      "have no amount)."),
    table("attribution.sourced_influenced", "Sourced vs influenced pipeline by channel",
          PIPELINE_SOURCED_INFLUENCED, ["channel"],
          ["sourced_pipeline", "influenced_pipeline", "sourced_revenue", "influenced_revenue"],
          filters=[where("breakdown = 'channel'")], height=50,
          description="Sourced: first touch in the channel; influenced: any touch before the "
                      "opportunity (all time: pipeline_sourced_influenced has no date)."),
]

DASHBOARD = Dashboard(
    "attribution", "Attribution: revenue by channel under each model",
    "Who gets the credit for pipeline and won revenue, under first touch, last touch, "
    "linear, position-based (40/20/40), W-shaped, time decay and Markov removal effects, "
    "side by side. The date range selects opportunities by their creation.",
    rows(CHARTS), ATTRIBUTION_OPPORTUNITIES)
