"""Pull benchmark (`make bench-pull`): the API pulls against the simulated company's fakes.

1. Records per second from each fake: after one untimed day (imports, first connections),
   DAYS days of each platform pulled, one run a day (lookback off), the fakes in a process of
   their own (so they do not share the pull's interpreter).
2. Pull plus load as a share of a nightly run at scale 1: after WARM_DAYS nights of history
   (pulled, loaded, built; not timed), one night timed step by step through the DAG's own
   functions (revwh.ops.pipeline): pull (each platform, its lookback included), extract + load,
   then the dbt build, the audit and the publish. Goal: pull + load <= 30% of the night.
3. Peak memory of one platform's pull (its own process, peak RSS) when a day's responses are
   10x larger (scale 1 vs 10). Goal: flat. The ad platforms' daily rows follow the simulated
   company's fixed set of ads (a few dozen a day), not its scale: for this figure each of their
   daily performance rows (AD_ROWS) is served AD_COPIES times at 1x (an account of thousands of
   ads) and ten times that at 10x.

The warehouse: WAREHOUSE_URL (or the embedded PostgreSQL), database revwh_bench_pull.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

START = date(2026, 9, 1)
DATABASE = "revwh_bench_pull"
PLATFORMS = ("ecb", "linkedin_ads", "meta_ads", "hubspot", "salesforce", "ga4", "google_ads")
# the ad platforms' daily performance rows, which do not grow with the simulated company's scale
AD_ROWS = (("google_ads", "campaign_stats"), ("google_ads", "ad_group_stats"),
           ("google_ads", "ad_stats"), ("meta_ads", "ads_insights"),
           ("linkedin_ads", "ad_analytics"))


def _inflate(root: Path, times: int) -> None:
    """Each ad platform's daily performance rows, each served `times` times."""
    for platform, entity in AD_ROWS:
        for path in (root / platform / entity).glob("dt=*/*"):
            lines = [line for line in path.read_bytes().splitlines() if line.strip()]
            path.write_bytes(b"".join(line + b"\n" for line in lines for _ in range(times)))


AD_COPIES = 200


def _serve(scale: float, days: int, folder: str, pipe, ad_copies: int = 1) -> None:
    """A child process: the simulated company's fakes, until told to stop."""
    from revwh.simulate.company import SimConfig
    from revwh.simulate.fakes.store import SimStore
    from revwh.simulate.fakes.suite import FakeSuite

    store = SimStore(Path(folder) / "sim", SimConfig(start=START, days=days, seed=42,
                                                      scale=scale))
    if ad_copies > 1:
        _inflate(store.root, ad_copies)
    with FakeSuite(store, Path(folder) / "ca") as suite:
        pipe.send({p: suite.credentials(p) for p in PLATFORMS} | {
            "_env": suite.environment()})
        pipe.recv()


class Fakes:
    def __init__(self, scale: float, days: int, ad_copies: int = 1) -> None:
        self.folder = tempfile.mkdtemp(prefix="revwh-bench-pull-")
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(scale, days, self.folder, child, ad_copies), daemon=True)
        self.process.start()
        self.credentials = self.pipe.recv()

    def stop(self) -> None:
        self.pipe.send("stop")
        self.process.join(30)


def _interval(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _sources(platform: str):
    from revwh.core.sources import SOURCES

    return [s for s in SOURCES.values() if s.platform == platform]


def throughput(scale: float, days: int) -> dict[str, dict]:
    """Each platform: one day pulled untimed (imports, first connections), then `days` days
    pulled one run each (lookback off), timed: records landed per second."""
    from revwh.ingest.pull.runner import pull

    fakes = Fakes(scale, days + 1)
    out = {}
    try:
        for platform in PLATFORMS:
            os.environ[f"LOOKBACK_DAYS_{platform.upper()}"] = "0"
            landing = tempfile.mkdtemp(prefix="revwh-bench-landing-")
            pull(platform, *_interval(START), fakes.credentials[platform], landing,
                 _sources(platform))
            began = time.perf_counter()
            records = 0
            for offset in range(1, days + 1):
                landed = pull(platform, *_interval(START + timedelta(days=offset)),
                              fakes.credentials[platform], landing, _sources(platform))
                records += sum(f["records"] for f in landed)
            seconds = time.perf_counter() - began
            out[platform] = {"records": records, "days": days, "seconds": round(seconds, 2),
                             "records_per_second": round(records / seconds)}
            print(f"  {platform:<13} {records:>8} records in {seconds:6.2f} s "
                  f"({seconds / days:5.2f} s a day): {records / seconds:>9,.0f} records/s",
                  flush=True)
            del os.environ[f"LOOKBACK_DAYS_{platform.upper()}"]
    finally:
        fakes.stop()
    return out


def nightly_share(warm_days: int) -> dict:
    from revwh.warehouse.connection import _with_database, ensure_database, warehouse_url

    url = _with_database(warehouse_url(), DATABASE)
    ensure_database(url)
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for schema in ("raw_google_ads", "raw_meta_ads", "raw_linkedin_ads", "raw_ga4",
                       "raw_hubspot", "raw_ecb", "audit", "marts", "staging", "intermediate",
                       "reference", "ops"):
            conn.execute(f"drop schema if exists {schema} cascade")
    fakes = Fakes(1.0, warm_days + 1)
    landing = tempfile.mkdtemp(prefix="revwh-bench-landing-")
    os.environ.update({"WAREHOUSE_URL": url, "LANDING_URL": landing,
                       "REVWH_EVIDENCE_DIR": tempfile.mkdtemp(prefix="revwh-bench-evidence-"),
                       **fakes.credentials["_env"]})
    from revwh.core.sources import enabled_sources
    from revwh.ingest.pull.runner import pull
    from revwh.ops import pipeline
    from revwh.warehouse import schema
    from revwh.warehouse.connection import connect

    with connect(url) as conn:
        schema.ensure(conn)
    platforms = sorted({s.platform for s in enabled_sources().values()})
    steps: dict[str, float] = {}
    try:
        for offset in range(warm_days + 1):
            day = START + timedelta(days=offset)
            start, end = _interval(day)
            timed = offset == warm_days
            began = time.perf_counter()
            for platform in platforms:
                pull(platform, start, end, fakes.credentials[platform], landing,
                     pipeline.platform_sources(platform))
            pulled = time.perf_counter()
            for platform in platforms:
                pipeline.load_platform(platform, pipeline.extract_platform(platform, start,
                                                                           end))
            loaded = time.perf_counter()
            run_id = f"bench-{day}"
            pipeline.claim_build(run_id)
            pipeline.build_marts(full_refresh=offset == 0)
            built = time.perf_counter()
            if timed:
                pipeline.audit_marts(start, end, run_id)
            audited = time.perf_counter()
            if timed:
                pipeline.publish_marts(start, end, run_id)
            published = time.perf_counter()
            pipeline.release_build(run_id)
            if timed:
                steps = {"pull": pulled - began, "load": loaded - pulled, "build": built - loaded,
                         "audit": audited - built, "publish": published - audited}
            print(f"  night {day}: {'timed' if timed else 'warm-up'} "
                  f"({time.perf_counter() - began:.0f} s)", flush=True)
    finally:
        fakes.stop()
    total = sum(steps.values())
    share = (steps["pull"] + steps["load"]) / total
    for name, seconds in steps.items():
        print(f"  {name:<8} {seconds:7.1f} s  {seconds / total:6.1%}")
    print(f"  pull + load: {share:.1%} of the night ({total:.0f} s; goal <= 30%)")
    return {"steps": {k: round(v, 1) for k, v in steps.items()}, "share": round(share, 3)}


def _measure(platform: str, credentials: str) -> None:
    """A child process: one day of one platform pulled; its peak RSS."""
    from revwh.ingest.pull.runner import pull

    os.environ[f"LOOKBACK_DAYS_{platform.upper()}"] = "0"
    landing = tempfile.mkdtemp(prefix="revwh-bench-landing-")
    landed = pull(platform, *_interval(START), json.loads(credentials), landing,
                  _sources(platform))
    print(json.dumps({"records": sum(f["records"] for f in landed),
                      "bytes": sum(f["bytes"] for f in landed),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                           / 1024, 1)}))


def memory(scales: list[float], platforms: tuple[str, ...] = PLATFORMS) -> dict:
    out: dict = {}
    for scale in scales:
        fakes = Fakes(scale, 1, ad_copies=round(scale * AD_COPIES))
        try:
            for platform in platforms:
                env = {**os.environ, **fakes.credentials["_env"]}
                result = subprocess.run(
                    [sys.executable, __file__, "--measure", platform,
                     json.dumps(fakes.credentials[platform])], env=env, capture_output=True,
                    text=True, timeout=1800)
                if result.returncode != 0:
                    raise RuntimeError(result.stderr[-2000:])
                figures = json.loads(result.stdout.strip().splitlines()[-1])
                out.setdefault(platform, {})[f"{scale:g}x"] = figures
                print(f"  {platform:<13} {scale:>3g}x: {figures['records']:>8} records "
                      f"{figures['bytes'] / 1e6:7.1f} MB landed, peak RSS "
                      f"{figures['peak_rss_mb']:6.1f} MB", flush=True)
        finally:
            fakes.stop()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="throughput's scale")
    parser.add_argument("--days", type=int, default=7, help="throughput's days")
    parser.add_argument("--warm-days", type=int, default=7)
    parser.add_argument("--memory-scales", default="1,10")
    parser.add_argument("--platforms", default=",".join(PLATFORMS),
                        help="the platforms of the memory figures")
    parser.add_argument("--only", choices=["throughput", "nightly", "memory"])
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args()
    if args.measure:
        _measure(*args.measure)
        return 0
    figures: dict = {}
    if args.only in (None, "throughput"):
        print(f"records per second from each fake (scale {args.scale:g}, {args.days} days, "
              "one run a day, after one untimed):")
        figures["throughput"] = throughput(args.scale, args.days)
    if args.only in (None, "memory"):
        print("peak memory of one day's pull, a day's responses 1x and 10x:")
        figures["memory"] = memory([float(s) for s in args.memory_scales.split(",")],
                                   tuple(args.platforms.split(",")))
    if args.only in (None, "nightly"):
        print(f"a nightly run at scale 1 after {args.warm_days} nights of history:")
        figures["nightly"] = nightly_share(args.warm_days)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
