"""Self-reported vs tracked source (slug self-reported-source)."""

from __future__ import annotations

from bi.superset.datasets import SELF_REPORTED_VS_TRACKED
from bi.superset.vocabulary import (
    COUNT,
    RATE,
    Chart,
    Dashboard,
    big_number_total,
    category_bar,
    rows,
    table,
    time_filter,
)

CHARTS = [
    big_number_total("self_reported.agreement", "Self-reported answers agreeing with tracking",
                     SELF_REPORTED_VS_TRACKED, "agreement_rate", RATE, width=6,
                     description="Share of the people who answered \"how did you hear about "
                                 "us\" whose answer agrees with their tracked first-touch "
                                 "channel (the contract's self_reported_sources)."),
    big_number_total("self_reported.answered", "People who answered",
                     SELF_REPORTED_VS_TRACKED, "people", COUNT, width=6),
    category_bar("self_reported.agreement_by_channel", "Agreement rate by tracked channel",
                 SELF_REPORTED_VS_TRACKED, "channel", ["agreement_rate"], fmt=RATE,
                 width=12, height=50),
    Chart("self_reported.confusion", "Self-reported answer vs tracked first-touch channel",
          SELF_REPORTED_VS_TRACKED, "heatmap_v2", {
              "x_axis": "self_reported_source", "groupby": "channel", "metric": "people",
              "adhoc_filters": time_filter(SELF_REPORTED_VS_TRACKED), "row_limit": 10000,
              "linear_color_scheme": "blue_white_yellow", "normalize_across": "heatmap",
              "show_legend": True, "show_percentage": False, "show_values": True,
              "sort_x_axis": "alpha_asc", "sort_y_axis": "alpha_asc", "value_bounds": [None, None],
              "y_axis_format": "SMART_NUMBER", "xscale_interval": -1, "yscale_interval": -1,
              "left_margin": "auto", "bottom_margin": "auto",
          }, 12, 70, "People by their answer (columns) and tracked first-touch channel (rows)."),
    table("self_reported.answers", "Answers and their agreement", SELF_REPORTED_VS_TRACKED,
          ["self_reported_source"], ["people", "agreement_rate"], width=12, height=50),
]

DASHBOARD = Dashboard(
    "self-reported-source", "Self-reported vs tracked source",
    "\"How did you hear about us?\" against the tracked first-touch channel (the date "
    "range selects people by their inquiry week).",
    rows(CHARTS), SELF_REPORTED_VS_TRACKED)
