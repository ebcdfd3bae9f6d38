"""``revwh``: the warehouse's command line (the Makefile's targets call it; `uv sync` installs it
into .venv/bin, and ``python -m revwh`` is the same).

    db start|stop|status|url      the embedded PostgreSQL
    generate                      write demo extracts into the landing folder
    migrate                       create or upgrade Airflow's metadata database
    dbt-manifest                  dbt parse: the manifest the DAG's per-model tasks are
                                  rendered from (dbt_project/target/manifest.json)
    bi-role [--show-url]          create/update the read-only BI role; how BI tools connect
    bi [start|stop|import|install] Superset with the dashboards on the marts (localhost:8088)
    run --start D [--days N]      run the nightly DAG through Airflow for each day (days
        [--full-refresh] [--platforms a,b]     before REVWH_START_DATE are refused), with the
                                  DAG's params of a manual run
    history --start D --end D     the initial load of an export spanning months or years:
        [--platforms a,b] [--workers N]        load every landed day of the range, build once
                                  (dbt build --full-refresh), audit the range, publish
    demo [--file-drop]            90 days of demo history (generate, history), then the
                                  nightly DAG for the last day, pulling it from the simulated
                                  company's APIs (loopback fakes; --file-drop: the simulator
                                  writes the landing zone instead), then headline numbers
    headline                      headline numbers from the published marts
    suites [--day D] [--out DIR]  the gate's expectation suites as they would run for day D
    checksums                     row-for-row checksums of every published mart
    ui [--file-drop]              the Airflow UI (airflow standalone): DAGs unpaused, login
                                  printed, Ctrl-C stops every component cleanly; the simulated
                                  company's APIs serve the last two weeks, so each scheduled
                                  run pulls its day
    airflow ARGS...               the airflow CLI in this project's environment
    crm-mapping validate ...      check a CRM export against its mapping (docs/byo-crm.md)
    metrics query ...             the semantic layer: MetricFlow's mf against the warehouse
    dbt ARGS...                   dbt with this project's profile, vars and target folder
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from revwh.core.config import PUBLISHED_SCHEMA, SUPERSET_DIR, settings
from revwh.simulate.company import SimConfig
from revwh.warehouse import embedded_pg

# the demo: 90 days of history loaded and built once (revwh history), then the nightly DAG
# through Airflow for the day after
DEMO_START = date(2026, 6, 3)
DEMO_DAYS = 90
DEMO_NIGHTLY_DAYS = 1


def _airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")


def cmd_db(args: argparse.Namespace) -> int:
    if settings().warehouse_url and args.action in ("start", "stop"):
        print("WAREHOUSE_URL is set: the embedded PostgreSQL is not used.")
        return 0
    if args.action == "start":
        server = embedded_pg.start()
        print(f"embedded PostgreSQL running (pid {server.pid}): {server.url('warehouse')}")
    elif args.action == "stop":
        print("stopped" if embedded_pg.stop() else "embedded PostgreSQL was not running")
    elif args.action == "status":
        server = embedded_pg.status()
        print(f"running (pid {server.pid}) on port {server.port}" if server else "not running")
        return 0 if server else 1
    elif args.action == "url":
        from revwh.warehouse.connection import warehouse_url

        print(warehouse_url())
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from revwh.simulate.company import Company, SimConfig
    from revwh.simulate.writers import write_extracts

    landing = Path(args.landing or settings().landing_url)
    config = SimConfig(start=args.start, days=args.days, seed=args.seed, scale=args.scale,
                       mess=not args.clean)
    counts = write_extracts(Company(config), landing, crm=args.crm)
    print(f"wrote {config.days} days from {config.start} to {landing}: "
          + ", ".join(f"{source} {rows} rows" for source, rows in counts.items()))
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from revwh.ops.airflow_env import airflow_env

    env = {**os.environ, **airflow_env()}
    result = subprocess.run([_airflow_bin(), "db", "migrate"], env=env, capture_output=True,
                            text=True)
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], file=sys.stderr)
        return result.returncode
    print("Airflow metadata database is up to date")
    return 0


def cmd_dbt_manifest(_: argparse.Namespace) -> int:
    from revwh.transform.cosmos_build import manifest_nodes, write_manifest

    path = write_manifest()
    nodes = manifest_nodes(path)
    models = sum(1 for uid in nodes if uid.startswith("model."))
    print(f"dbt manifest: {path} ({models} models, {len(nodes) - models} seeds)")
    return 0


def cmd_bi_role(args: argparse.Namespace) -> int:
    from revwh.warehouse import access
    from revwh.warehouse.connection import warehouse_url

    url = warehouse_url()
    role = access.ensure_bi_role(url)
    print(f"BI role '{role}': SELECT on schema '{PUBLISHED_SCHEMA}' only, read-only sessions, in "
          f"{url.split('@')[-1]}")
    if settings().bi_password:
        print("  password: from REVWH_BI_PASSWORD")
    else:
        print(f"  password: generated, kept in {access.password_file()} (mode 0600); set "
              "REVWH_BI_PASSWORD to choose it")
    if args.show_url:
        print(access.bi_url(url))
    else:
        print("  connection URL with the password: revwh bi-role --show-url")
    return 0


def cmd_bi(args: argparse.Namespace) -> int:
    from revwh.ops import superset
    from revwh.warehouse.connection import warehouse_url

    if args.action == "stop":
        print("Superset stopped" if superset.stop() else "Superset was not running")
        return 0
    if args.action == "install":
        print(f"Superset's environment: {superset.ensure_venv().parent.parent}")
        return 0
    url = warehouse_url()
    if args.action == "import":
        superset.import_assets(url, args.assets)
        print(f"imported {args.assets}")
        return 0
    env = superset.setup(url, args.assets)
    print(superset.login_banner(), flush=True)
    return superset.serve(env)


def setup_warehouse() -> None:
    """The warehouse's schemas, bookkeeping tables and BI role (idempotent)."""
    from revwh.warehouse import schema
    from revwh.warehouse.connection import connect

    with connect() as conn:
        schema.ensure(conn)
def _run_conf(args: argparse.Namespace) -> dict:
    """The params of a manual run, from the command line (only those given)."""
    conf: dict = {}
    if getattr(args, "full_refresh", False):
        conf["full_refresh"] = True
    if getattr(args, "platforms", None):
        conf["platforms"] = [p.strip() for p in args.platforms.split(",") if p.strip()]
    return conf


def cmd_run(args: argparse.Namespace) -> int:
    import json

    from revwh.core.config import before_start_message, start_date
    from revwh.ops.airflow_env import airflow_env

    if args.start < start_date():
        # the DAG's check_interval task would fail the run too; say so before starting Airflow
        print(f"{args.start}: FAILED: {before_start_message(args.start)}", file=sys.stderr)
        return 1
    if cmd_migrate(args):
        return 1
    setup_warehouse()
    env = {**os.environ, **airflow_env()}
    conf = _run_conf(args)
    from revwh.ops.retention import prune_logs

    prune_logs()
    logs = settings().home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for offset in range(args.days):
        day = args.start + timedelta(days=offset)
        log_path = logs / f"revenue_nightly-{day.isoformat()}.log"
        began = time.monotonic()
        with open(log_path, "w") as log:
            result = subprocess.run([sys.executable, "-m", "revwh.ops.dagrun", day.isoformat(),
                                     json.dumps(conf)], env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
        took = time.monotonic() - began
        if result.returncode != 0:
            print(f"{day}: FAILED after {took:.0f}s; log: {log_path}", file=sys.stderr)
            _print_errors(log_path)
            return 1
        print(f"{day}: success in {took:.0f}s (log: {log_path})")
    return 0


def _print_errors(log_path: Path) -> None:
    lines = log_path.read_text(errors="replace").splitlines()
    wanted = [line for line in lines if "Error" in line or "error" in line.split(" ", 3)[-1][:80]
              or "failed" in line]
    for line in (wanted or lines)[-15:]:
        print("   " + line[:400], file=sys.stderr)


def cmd_headline(_: argparse.Namespace) -> int:
    from psycopg import sql

    from revwh.warehouse.connection import connect, warehouse_url

    url = warehouse_url()
    m = PUBLISHED_SCHEMA

    def mart(name: str) -> sql.Identifier:
        return sql.Identifier(m, name)

    with connect(url) as conn:
        first, last, sessions = conn.execute(sql.SQL(
            "select min(date_day), max(date_day), sum(sessions) from {}").format(
            mart("daily_channel_performance"))).fetchone()
        spend = conn.execute(sql.SQL(
            "select platform, sum(spend), sum(clicks) from {} group by 1 order by 2 desc").format(
            mart("ad_performance_daily"))).fetchall()
        funnel = conn.execute(sql.SQL(
            "select count(*), count(mql_at), count(sal_at), count(sql_at), count(opportunity_at),"
            " count(customer_at), min(lead_definition_version) from {}").format(
            mart("dim_people"))).fetchone()
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s"
            " order by 1", (m,))]
    total = sum(row[1] for row in spend)
    people, mqls, sals, sqls, opportunities, customers, version = funnel
    print(f"\nPublished marts: schema '{m}' in {url.split('@')[-1]}")
    print(f"  tables: {', '.join(tables)}")
    print(f"  days {first} to {last}: {sessions:,} sessions; ad spend ${total:,.2f} "
          f"({', '.join(f'{p} ${s:,.0f}' for p, s, _ in spend)})")
    print(f"  funnel (lead definition {version}): {people:,} people, {mqls:,} MQLs, "
          f"{sals:,} SALs, {sqls:,} SQLs, {opportunities:,} opportunities, "
          f"{customers:,} customers")
    if mqls:
        print(f"  ad spend per MQL: ${total / mqls:,.2f}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from revwh.core.errors import WarehouseError
    from revwh.ops import history

    if not settings().warehouse_url:
        embedded_pg.start()
    setup_warehouse()
    platforms = [p.strip() for p in args.platforms.split(",") if p.strip()] \
        if args.platforms else None
    began = time.monotonic()
    try:
        result = history.load_history(args.start, args.end, landing_url=args.landing,
                                      platforms=platforms, workers=args.workers,
                                      report=lambda line: print(line, flush=True))
    except WarehouseError as err:
        print(f"history {args.start} to {args.end}: FAILED after "
              f"{time.monotonic() - began:.0f}s; nothing was published:\n{err}", file=sys.stderr)
        return 1
    print(history.describe(result))
    print(f"history {args.start} to {args.end}: success in {time.monotonic() - began:.0f}s")
    return 0


def simulated_sources(start: date, days: int, scale: float = 1.0):
    """The simulated company's own systems: its records (written into $REVWH_HOME/sim, not the
    landing zone) served by a loopback fake of each platform's API; started. Its
    environment() points every platform's pull at them (REVWH_PULL_<P>=api, AIRFLOW_CONN_*)."""
    import shutil

    from revwh.simulate.company import SimConfig
    from revwh.simulate.fakes.store import SimStore
    from revwh.simulate.fakes.suite import FakeSuite

    home = settings().home
    shutil.rmtree(home / "sim", ignore_errors=True)
    store = SimStore(home / "sim", SimConfig(start=start, days=days, seed=42, scale=scale))
    suite = FakeSuite(store, home / "sim-ca").start()
    print(f"simulated company, {days} days from {start}: its platforms' APIs on loopback "
          f"({', '.join(sorted(suite.connections()))})")
    return suite


def cmd_demo(args: argparse.Namespace) -> int:
    if not settings().warehouse_url:
        cmd_db(argparse.Namespace(action="start"))
    history_end = args.start + timedelta(days=args.days - 1)
    nightly_start = history_end + timedelta(days=1)
    # the history is an export that landed as files; the nightly days are pulled from the
    # simulated company's APIs, as from real accounts (--file-drop: they land as files too)
    landed_days = args.days + (args.nightly_days if args.file_drop else 0)
    gen = argparse.Namespace(start=args.start, days=landed_days, seed=42, scale=args.scale,
                             landing=None, clean=False, crm="both")
    cmd_generate(gen)
    if cmd_history(argparse.Namespace(start=args.start, end=history_end, landing=None,
                                      platforms=None, workers=None)):
        return 1
    if args.nightly_days and args.file_drop:
        if cmd_run(argparse.Namespace(start=nightly_start, days=args.nightly_days)):
            return 1
    elif args.nightly_days:
        suite = simulated_sources(args.start, args.days + args.nightly_days, args.scale)
        saved = dict(os.environ)
        try:
            os.environ.update(suite.environment())
            if cmd_run(argparse.Namespace(start=nightly_start, days=args.nightly_days)):
                return 1
        finally:
            os.environ.clear()
            os.environ.update(saved)
            suite.stop()
    return cmd_headline(args)


def cmd_suites(args: argparse.Namespace) -> int:
    import json

    from revwh.gate.suites import all_suites

    specs = [spec.to_json() for spec in all_suites([args.day])]
    if not args.out:
        print(json.dumps(specs, indent=2, default=str))
        return 0
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        (folder / f"{spec['name']}.json").write_text(json.dumps(spec, indent=2, default=str)
                                                     + "\n")
    print(f"wrote {len(specs)} suites to {folder}")
    return 0


def cmd_checksums(_: argparse.Namespace) -> int:
    from revwh.publish.checksums import mart_checksums

    for table, checksum in mart_checksums().items():
        print(f"{PUBLISHED_SCHEMA}.{table:<32} {checksum}")
    return 0


UI_DAGS = ("revenue_nightly",)
UI_SIMULATED_DAYS = 14  # the simulated company's days behind `revwh ui`: up to yesterday


def cmd_ui(args: argparse.Namespace) -> int:
    """airflow standalone in a session of its own: once it is up, unpause the project's DAGs
    and print the login. SIGINT or SIGTERM here (a terminal's Ctrl-C reaches only this process)
    stops every component within about 20 seconds: SIGINT to standalone's process group, then
    SIGTERM and SIGKILL to whatever of the stack is left (revwh.ops.processes)."""
    import signal

    from revwh.ops import processes
    from revwh.ops.airflow_env import airflow_env
    from revwh.ops.airflow_services import (
        AirflowServiceError,
        AirflowServices,
        default_interrupt_handling,
    )

    suite = None if args.file_drop else simulated_sources(
        date.today() - timedelta(days=UI_SIMULATED_DAYS), UI_SIMULATED_DAYS)
    # the simulated APIs for each platform not configured otherwise (the environment wins)
    env = {**(suite.environment() if suite else {}), **os.environ, **airflow_env(),
           "AIRFLOW__API__PORT": str(args.port), "PYTHONUNBUFFERED": "1"}
    # the workers' execution API is the API server's, on its port (Airflow assumes 8080)
    env.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
                   f"http://localhost:{args.port}/execution/")
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if not stopping:
            stopping.append(signum)
            print("\nstopping Airflow (SIGINT to every component, then SIGTERM and SIGKILL to "
                  "what is left) ...", flush=True)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    from revwh.ops.retention import prune_logs

    prune_logs()  # Airflow's logs older than REVWH_LOG_KEEP_DAYS, before it writes new ones
    processes.become_subreaper()  # orphaned workers come back to this process, to be stopped
    standalone = subprocess.Popen([_airflow_bin(), "standalone"], env=env,
                                  start_new_session=True, stdin=subprocess.DEVNULL,
                                  preexec_fn=default_interrupt_handling)
    services = AirflowServices(env, settings().home / "logs", {"standalone": standalone})
    try:
        services.wait_ready(UI_DAGS[0], timeout=args.timeout, abort=lambda: bool(stopping))
        for dag_id in UI_DAGS:
            services.unpause(dag_id)
        banner = [
            f"Airflow UI: http://localhost:{args.port}",
            f"login: admin   password: {services.password()}",
            f"  (from {services.passwords_file})",
            f"DAGs loaded and unpaused: {', '.join(UI_DAGS)}",
            "Ctrl-C stops Airflow (the scheduler, its workers, the API server, the DAG",
            "processor and the triggerer) within about 20 seconds.",
        ]
        width = max(map(len, banner)) + 4
        print("\n" + "=" * width + "\n" + "\n".join(f"  {line}" for line in banner) + "\n"
              + "=" * width + "\n", flush=True)
    except AirflowServiceError as err:
        if not stopping:
            print(f"Airflow did not come up: {err}", file=sys.stderr)
            stop(signal.SIGINT, None)
            stopping.append(-1)  # a failure, not a requested stop
    while standalone.poll() is None and not stopping:
        with contextlib.suppress(subprocess.TimeoutExpired):
            standalone.wait(timeout=1)
    stopped = processes.stop_stack(standalone)
    print(stopped.describe("Airflow"), flush=True)
    code = 0 if stopping and -1 not in stopping else 1
    if suite is not None:
        suite.stop()
        # the simulated company's records held for the fakes need no tearing down: leave at
        # once (measured: the interpreter's exit with them took 10-20 s of the 30 s promised)
        sys.stderr.flush()
        os._exit(code)
    return code


def cmd_airflow(args: argparse.Namespace) -> int:
    from revwh.ops.airflow_env import airflow_env

    env = {**os.environ, **airflow_env()}
    os.execve(_airflow_bin(), [_airflow_bin(), *args.rest], env)
    return 0  # not reached


def cmd_crm_mapping(args: argparse.Namespace) -> int:
    from revwh.ingest import crm_report

    return crm_report.main(args.rest)


def cmd_metrics(args: argparse.Namespace) -> int:
    from revwh.transform import metrics

    return metrics.main(args.rest)


def cmd_dbt(args: argparse.Namespace) -> int:
    from revwh.core.errors import WarehouseError
    from revwh.transform.dbt_runner import run_dbt

    try:
        result = run_dbt(args.rest)
    except WarehouseError as error:  # dbt's own log above names each failure in full
        print(error, file=sys.stderr)
        return 1
    print(f"dbt {' '.join(args.rest)}: {result.nodes} nodes")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="revwh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="the embedded PostgreSQL")
    db.add_argument("action", choices=["start", "stop", "status", "url"])
    db.set_defaults(func=cmd_db)
    gen = sub.add_parser("generate", help="write demo extracts")
    gen.add_argument("--start", type=date.fromisoformat, default=SimConfig.start)
    gen.add_argument("--days", type=int, default=SimConfig.days)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--scale", type=float, default=1.0)
    gen.add_argument("--landing", help="folder to write to (default: LANDING_URL)")
    gen.add_argument("--clean", action="store_true",
                     help="no mess: no duplicates, bots, restatements, malformed rows or drift")
    gen.add_argument("--crm", choices=["both", "hubspot", "salesforce", "csv_crm", "all"],
                     default="both", help="csv_crm also writes csv_crm/mapping.yml")
    gen.set_defaults(func=cmd_generate)
    sub.add_parser("migrate", help="Airflow's metadata database").set_defaults(func=cmd_migrate)
    sub.add_parser("dbt-manifest", help="dbt parse: the manifest the DAG is rendered from"
                   ).set_defaults(func=cmd_dbt_manifest)
    bi_role = sub.add_parser("bi-role", help="the read-only BI role and how BI tools connect")
    bi_role.add_argument("--show-url", action="store_true",
                    help="print the connection URL, password included (for local use)")
    bi_role.set_defaults(func=cmd_bi_role)
    superset = sub.add_parser("bi", help="Superset with the dashboards (Ctrl-C stops it)")
    superset.add_argument("action", nargs="?", choices=["start", "stop", "import", "install"],
                          default="start")
    superset.add_argument("--assets", type=Path, default=SUPERSET_DIR / "assets",
                          help="the asset bundle to import (default: bi/superset/assets)")
    superset.set_defaults(func=cmd_bi)
    run = sub.add_parser("run", help="run the nightly DAG for each day")
    run.add_argument("--start", type=date.fromisoformat, required=True)
    run.add_argument("--days", type=int, default=1)
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild the incremental dbt models from scratch (param full_refresh)")
    run.add_argument("--platforms", help="comma-separated platforms to extract and load "
                     "(the platforms param; default: all)")
    run.set_defaults(func=cmd_run)
    hist = sub.add_parser("history", help="load, build once, audit and publish a past range")
    hist.add_argument("--start", type=date.fromisoformat, required=True,
                      help="the history's first day")
    hist.add_argument("--end", type=date.fromisoformat, required=True,
                      help="its last day (included)")
    hist.add_argument("--landing", help="where the export landed (default: LANDING_URL)")
    hist.add_argument("--platforms", help="comma-separated platforms to load (default: all)")
    hist.add_argument("--workers", type=int, help="files loaded at once (default: the CPUs, "
                      "at most 4)")
    hist.set_defaults(func=cmd_history)
    demo = sub.add_parser("demo", help="generate, load the demo history, run the nightly DAG "
                          "for the last day, print headline numbers")
    demo.add_argument("--start", type=date.fromisoformat, default=DEMO_START,
                      help="the history's first day")
    demo.add_argument("--days", type=int, default=DEMO_DAYS, help="days of history")
    demo.add_argument("--nightly-days", type=int, default=DEMO_NIGHTLY_DAYS,
                      help="days after the history run through the nightly DAG")
    demo.add_argument("--scale", type=float, default=1.0, help="the simulated volume")
    demo.add_argument("--file-drop", action="store_true",
                      help="the nightly days land as files too (no API pulls)")
    demo.set_defaults(func=cmd_demo)
    sub.add_parser("headline", help="headline numbers").set_defaults(func=cmd_headline)
    suites = sub.add_parser("suites", help="the gate's expectation suites, as JSON")
    suites.add_argument("--day", type=date.fromisoformat,
                        default=date.today() - timedelta(days=1),
                        help="the run's day (default: yesterday, the nightly run's)")
    suites.add_argument("--out", help="write one file per suite into this folder")
    suites.set_defaults(func=cmd_suites)
    sub.add_parser("checksums", help="checksums of every published mart").set_defaults(
        func=cmd_checksums)
    ui = sub.add_parser("ui", help="the Airflow UI: DAGs unpaused, login printed")
    ui.add_argument("--port", type=int, default=int(os.environ.get("AIRFLOW__API__PORT") or 8080))
    ui.add_argument("--timeout", type=float, default=600,
                    help="seconds to wait for Airflow to come up")
    ui.add_argument("--file-drop", action="store_true",
                    help="no simulated APIs: the platforms are file drops (or real APIs)")
    ui.set_defaults(func=cmd_ui)
    af = sub.add_parser("airflow", help="the airflow CLI with this project's settings")
    af.add_argument("rest", nargs=argparse.REMAINDER)
    af.set_defaults(func=cmd_airflow)
    crm = sub.add_parser("crm-mapping", help="check a CRM export against its mapping",
                         add_help=False)
    crm.add_argument("rest", nargs=argparse.REMAINDER)
    crm.set_defaults(func=cmd_crm_mapping)
    mf = sub.add_parser("metrics", help="the semantic layer (MetricFlow's mf)", add_help=False)
    mf.add_argument("rest", nargs=argparse.REMAINDER)
    mf.set_defaults(func=cmd_metrics)
    dbt = sub.add_parser("dbt", help="dbt with this project's profile and vars", add_help=False)
    dbt.add_argument("rest", nargs=argparse.REMAINDER)
    dbt.set_defaults(func=cmd_dbt)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except embedded_pg.EmbeddedPgError as err:  # what to do, without a traceback
        print(f"revwh {args.command}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
