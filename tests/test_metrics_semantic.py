"""The semantic layer answers with the marts' numbers: MetricFlow (mf query, through
revwh.metrics) against the warehouse, compared with the same figures queried from the marts."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg


def test_mf_query_equals_the_marts(metrics_warehouse, tmp_path: Path):
    out = tmp_path / "metrics.csv"
    env = {**os.environ, "WAREHOUSE_URL": metrics_warehouse.url}
    result = subprocess.run(
        [sys.executable, "-m", "revwh.metrics", "query", "--metrics", "spend,mqls,sqls",
         "--group-by", "metric_time__day", "--csv", str(out)],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    with open(out) as handle:
        rows = [r for r in csv.DictReader(handle) if r["metric_time__day"]]
    by_day = {r["metric_time__day"][:10]: r for r in rows}
    with psycopg.connect(metrics_warehouse.url) as conn:
        spend = dict(conn.execute("select spend_date::text, sum(spend) from"
                                  " audit.ad_performance_daily group by 1").fetchall())
        mqls = dict(conn.execute("select (mql_at at time zone current_setting('TimeZone'))"
                                 "::date::text, count(*) from audit.dim_people"
                                 " where mql_at is not null group by 1").fetchall())
    assert spend and mqls
    for day, amount in spend.items():
        assert abs(Decimal(by_day[day]["spend"]) - amount) < Decimal("0.000001"), day
    for day, count in mqls.items():
        assert int(float(by_day[day]["mqls"])) == count, day
    assert sum(int(float(r["mqls"] or 0)) for r in rows) == sum(mqls.values())
