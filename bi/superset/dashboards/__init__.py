"""The dashboards, one module each, in the order they are written."""

from __future__ import annotations

from bi.superset.dashboards import (
    attribution,
    data_quality,
    sales_follow_up,
    self_reported_source,
    weekly_scorecard,
)
from bi.superset.vocabulary import Dashboard

DASHBOARDS: list[Dashboard] = [
    weekly_scorecard.DASHBOARD,
    attribution.DASHBOARD,
    sales_follow_up.DASHBOARD,
    self_reported_source.DASHBOARD,
    data_quality.DASHBOARD,
]
