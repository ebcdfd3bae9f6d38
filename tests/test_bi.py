"""Superset on the published marts, in a real headless Chromium.

`revwh bi` starts Superset (its own venv from bi/superset/uv.lock) on a warehouse
with 45 simulated days published to `marts`, logged in to as the read-only BI role. The browser
logs in, opens each dashboard, waits for every chart and fails on any chart error or empty
chart; the scorecard's headline tiles must equal weekly_scorecard read as the BI role; the
data-quality dashboard shows the anomalies (none here: it says so) and the exclusions. Then the
marts a hand-written CRM export without amounts builds (tests/fixtures/funnel_export) replace the
published ones: every money metric is null as the BI role reads it, and the dashboards show n/a
for money while the counts stay right; the 45 days are published again at the end.
Screenshots go to $REVWH_TEST_ARTIFACTS (default .local/test-artifacts/bi). Re-importing the
bundle with a renamed chart must rename it (Superset's API). Needs Debian's chromium
(`make browser`; REVWH_CHROMIUM to use another binary).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
import yaml
from support import FUNNEL_EXPORT, build_crm_export

REVWH = str(Path(sys.executable).parent / "revwh")  # the console script uv sync installs
ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "bi" / "superset" / "assets"
CHROMIUM = os.environ.get("REVWH_CHROMIUM") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("REVWH_TEST_ARTIFACTS") or ROOT / ".local" / "test-artifacts"
                 / "bi")
DASHBOARDS = ["weekly-scorecard", "attribution", "sales-follow-up", "self-reported-source",
              "data-quality"]
HEADLINES = ["spend", "leads", "mqls", "sqls", "pipeline", "won_revenue", "cac", "roas",
             "speed_to_lead_hours"]
PIXEL = "https://apachesuperset.gateway.scarf.sh/pixel/"
STARTUP_SECONDS = 900  # first start: install from the uv cache, migrate, init, import

# the first test here may build the session's metrics warehouse (minutes) before Superset starts
pytestmark = pytest.mark.timeout(2700)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}
                                     if token else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read().decode()
    return json.loads(body) if body.startswith(("{", "[")) else body


def _post(url: str, payload: dict[str, Any]) -> Any:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())


@pytest.fixture(scope="module")
def published(metrics_warehouse: SimpleNamespace) -> Iterator[SimpleNamespace]:
    """The 45 days published to marts, and a BI role of this test session's own (the role is
    cluster-wide: a shared test server must not have its password changed under us)."""
    from revwh.publish.marts import publish
    from revwh.warehouse import access

    role = f"revwh_bi_test_{os.getpid()}"
    password = secrets.token_urlsafe(18)
    saved = {key: os.environ.get(key) for key in ("REVWH_BI_ROLE", "REVWH_BI_PASSWORD")}
    os.environ.update({"REVWH_BI_ROLE": role, "REVWH_BI_PASSWORD": password})
    url = metrics_warehouse.url

    def republish() -> None:
        publish("test-bi", datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 16, tzinfo=UTC),
                url=url)

    republish()
    access.ensure_bi_role(url)
    yield SimpleNamespace(url=url, bi_url=access.bi_url(url), role=role, password=password,
                          republish=republish)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'drop owned by "{role}"')  # its grants here, and on the database
        try:
            conn.execute(f'drop role if exists "{role}"')
        except psycopg.errors.DependentObjectsStillExist as error:  # granted elsewhere too
            print(f"BI test role {role} left in place: {error}")
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def superset(published: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[SimpleNamespace]:
    """`revwh bi` running on a free port; its log in the artifacts folder."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "WAREHOUSE_URL": published.url, "SUPERSET_PORT": str(port),
           "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(12)}
    log_path = ARTIFACTS / "superset.log"
    log = open(log_path, "w")  # noqa: SIM115 - open for the server's whole life
    process = subprocess.Popen([REVWH, "bi"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"revwh bi exited with {process.returncode}:\n"
                            + log_path.read_text()[-4000:])
            try:  # up, and a worker has rendered a page
                if _get(f"{base}/health") == "OK" and "<html" in _get(f"{base}/login/"):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Superset not up after {STARTUP_SECONDS}s:\n"
                            + log_path.read_text()[-4000:])
            time.sleep(2)
        yield SimpleNamespace(base=base, env=env, user="admin",
                              password=env["SUPERSET_ADMIN_PASSWORD"], log=log_path)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` (Debian's chromium) or set "
                    "REVWH_CHROMIUM")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield instance
        instance.close()


LOGIN_TRIES = 3
LOGIN_SECONDS = 120


def _log_in(page: Any, superset: SimpleNamespace) -> None:
    """Sign in through the login form. A sign-in the server answers without leaving /login (an
    error page, "Invalid username or password") is tried again, up to LOGIN_TRIES times; each
    failed try keeps a screenshot, and the last fails with what the page and the server said."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    seen: list[str] = []
    for attempt in range(1, LOGIN_TRIES + 1):
        answers: list[str] = []

        def note(response: Any, answers: list[str] = answers) -> None:
            if "/login" in response.url or "/security/" in response.url:
                answers.append(f"{response.request.method} {response.url} -> {response.status}")

        page.on("response", note)
        try:
            page.goto(f"{superset.base}/login/")
            page.fill('[data-test="username-input"]', superset.user)
            page.fill('[data-test="password-input"]', superset.password)
            page.click('[data-test="login-button"]')
            page.wait_for_url(lambda url: "/login" not in url, timeout=LOGIN_SECONDS * 1000)
            return
        except PlaywrightTimeout as error:
            shot = ARTIFACTS / f"login-try-{attempt}.png"
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shot), full_page=True)
            text = ""
            with contextlib.suppress(Exception):
                text = " ".join(page.inner_text("body").split())[:600]
            seen.append(f"try {attempt}: {error.message.splitlines()[0]}; at {page.url}; "
                        f"responses: {answers}; page: {text!r}; screenshot: {shot}")
        finally:
            page.remove_listener("response", note)
    pytest.fail(f"Superset's sign-in did not leave /login in {LOGIN_TRIES} tries:\n"
                + "\n".join(seen) + "\nSuperset's log ends:\n"
                + superset.log.read_text()[-3000:])


@pytest.fixture(scope="module")
def page(browser: Any, superset: SimpleNamespace, request: pytest.FixtureRequest
         ) -> Iterator[Any]:
    """A logged-in page; every request it makes is recorded (nothing may leave localhost)."""
    # tall enough for the longest dashboard: a full-page screenshot needs no resize (which
    # would redraw every chart)
    context = browser.new_context(viewport={"width": 1600, "height": 3200}, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.set_default_navigation_timeout(300_000)  # the workers' first pages, on a busy machine
    outside: list[str] = []

    def keep_local(route: Any) -> None:
        """Anything not for Superset is recorded and never sent."""
        if route.request.url.startswith((superset.base, "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", keep_local)
    _log_in(page, superset)
    page.outside_requests = outside  # type: ignore[attr-defined]
    page.revwh_reporter = request.config.pluginmanager.get_plugin(  # type: ignore[attr-defined]
        "terminalreporter")
    yield page
    context.close()


def _token(superset: SimpleNamespace) -> str:
    answer = _post(f"{superset.base}/api/v1/security/login",
                   {"username": superset.user, "password": superset.password,
                    "provider": "db", "refresh": False})
    return answer["access_token"]


def _dashboard_charts(superset: SimpleNamespace, token: str, slug: str) -> list[dict[str, Any]]:
    return _get(f"{superset.base}/api/v1/dashboard/{slug}/charts", token)["result"]


CHART_STATES = """() => Array.from(
    document.querySelectorAll('[data-test="chart-grid-component"]')).map(slice => {
        const container = slice.querySelector('[data-test="chart-container"]');
        const text = container ? container.innerText.trim() : '';
        return {
            name: slice.getAttribute('data-test-chart-name'),
            viz: slice.getAttribute('data-test-viz-type'),
            loading: !!slice.querySelector('[data-test="loading-indicator"], .loading'),
            error: !!slice.querySelector('[role="alert"], .ant-alert-error, .alert-danger,'
                                         + ' [data-test="error-tooltip"]'),
            empty: !!slice.querySelector('[data-test="empty-state"]')
                || /No results were returned|No data|No week in the selected range/.test(text),
            rendered: !!container && (!!container.querySelector('canvas, svg, table')
                                      || text.length > 0),
            text: text.slice(0, 200),
        };
    })"""


def _chart_states(page: Any) -> list[dict[str, Any]]:
    """Each chart on the dashboard: its name and type, whether it shows an error or no data,
    is still loading, or has drawn something."""
    return page.evaluate(CHART_STATES)


def _open_dashboard(page: Any, superset: SimpleNamespace, slug: str, expected: int
                    ) -> list[dict[str, Any]]:
    page.goto(f"{superset.base}/superset/dashboard/{slug}/")
    page.wait_for_selector('[data-test="chart-grid-component"]')
    deadline = time.monotonic() + 300
    settled_before = False
    while True:
        states = _chart_states(page)
        settled = len(states) >= expected and all(
            not s["loading"] and (s["rendered"] or s["error"] or s["empty"]) for s in states)
        # settled twice in a row, 2 s apart: the dashboard can re-render its grid once more
        # after the first charts draw (its filter state), which would empty it for a moment
        if (settled and settled_before) or time.monotonic() > deadline:
            break
        settled_before = settled
        page.wait_for_timeout(2000 if settled else 1000)
    shot = ARTIFACTS / f"{slug}.png"
    page.screenshot(path=str(shot), full_page=True)
    _report(page, f"screenshot of {slug}: {shot}")
    return states


def _report(page: Any, line: str) -> None:
    print(line)
    reporter = page.revwh_reporter
    if reporter is not None:
        reporter.write_line(line)


@pytest.mark.parametrize("slug", DASHBOARDS)
def test_dashboard_renders_every_chart_with_data(page: Any, superset: SimpleNamespace,
                                                 slug: str) -> None:
    token = _token(superset)
    charts = _dashboard_charts(superset, token, slug)
    assert len(charts) >= 4, f"{slug}: {len(charts)} charts"
    states = _open_dashboard(page, superset, slug, len(charts))
    assert len(states) == len(charts), (slug, [s["name"] for s in states])
    problems = [s for s in states if s["loading"] or s["error"] or s["empty"]
                or not s["rendered"]]
    assert not problems, f"{slug}: charts with an error, no data or not rendered: " + json.dumps(
        problems, indent=1)
    # Superset's front end always renders a usage pixel (an image on its analytics host); the
    # Content-Security-Policy (superset_config.py) keeps the browser from loading it
    unexpected = [url for url in page.outside_requests if not url.startswith(PIXEL)]
    assert not unexpected, f"requests beyond Superset: {unexpected}"


def _tiles(page: Any) -> dict[str, dict[str, str]]:
    tiles = page.evaluate("""() => Array.from(document.querySelectorAll('.revwh-kpi')).map(
        t => ({metric: t.dataset.metric, week: t.dataset.week, value: t.dataset.value,
               wow: t.dataset.wow, target: t.dataset.target, text: t.innerText}))""")
    return {tile["metric"]: tile for tile in tiles}


def _assert_tiles_equal_the_mart(page: Any, published: SimpleNamespace,
                                 where: str = "true") -> None:
    """The tiles show the latest complete week the filters select (never the partial one)."""
    shown = _tiles(page)
    assert sorted(shown) == sorted(HEADLINES), shown
    columns = ", ".join(f"{m}, {m}_wow_change, {m}_target" for m in HEADLINES)
    with psycopg.connect(published.bi_url) as conn:
        assert conn.info.user == published.role
        row = conn.execute(f"select week_start, {columns} from marts.weekly_scorecard"
                           f" where is_complete_week and {where}"
                           " order by week_start desc limit 1").fetchone()
    week = row[0]
    for index, metric in enumerate(HEADLINES):
        value, wow, target = row[1 + 3 * index: 4 + 3 * index]
        tile = shown[metric]
        assert tile["week"] == week.isoformat(), (metric, tile)
        for label, expected, text in (("value", value, tile["value"]), ("wow", wow, tile["wow"]),
                                      ("target", target, tile["target"])):
            if expected is None:
                assert text in ("", "null"), (metric, label, tile)
            else:
                assert abs(Decimal(text) - Decimal(expected)) < Decimal("0.000001"), (
                    metric, label, expected, tile)
        assert "target" in tile["text"] and "last week" in tile["text"], tile


def test_scorecard_headlines_equal_the_marts_read_as_the_bi_role(
        page: Any, superset: SimpleNamespace, published: SimpleNamespace) -> None:
    if "weekly-scorecard" not in page.url:
        _open_dashboard(page, superset, "weekly-scorecard", 1)
    page.wait_for_function("(count) => document.querySelectorAll('.revwh-kpi').length === count",
                           arg=len(HEADLINES), timeout=300_000)
    _assert_tiles_equal_the_mart(page, published)
    # the data end, Thursday 15 October 2026: its week is shown apart, labelled partial, with
    # its 4 days; the tiles show the complete week before it
    assert {t["week"] for t in _tiles(page).values()} == {"2026-10-05"}
    partial = page.wait_for_selector(".revwh-partial-week", timeout=300_000)
    assert partial.get_attribute("data-week") == "2026-10-12"
    assert partial.get_attribute("data-days") == "4"
    assert "Partial week" in partial.inner_text() and "4 of 7 days" in partial.inner_text()


def test_date_and_channel_filters_narrow_the_scorecard(
        page: Any, superset: SimpleNamespace, published: SimpleNamespace) -> None:
    """The dashboard's filters, as a shared link sets them: the tiles show the latest week in
    the range, and the channel charts only the channel."""
    time_range = "2026-09-14 : 2026-10-05"
    state = ("(NATIVE_FILTER-channel:(extraFormData:(filters:!((col:channel,op:IN,"
             "val:!(paid_search)))),filterState:(value:!(paid_search)),id:NATIVE_FILTER-channel),"
             f"NATIVE_FILTER-date-range:(extraFormData:(time_range:'{time_range}'),"
             f"filterState:(value:'{time_range}'),id:NATIVE_FILTER-date-range))")
    page.goto(f"{superset.base}/superset/dashboard/weekly-scorecard/?native_filters="
              + urllib.parse.quote(state, safe="(),:!"))
    page.wait_for_selector('[data-test="chart-grid-component"]')
    # every tile (they render one by one, in no fixed order) showing a week in the range
    page.wait_for_function("""(count) => {
        const tiles = document.querySelectorAll('.revwh-kpi');
        return tiles.length === count && Array.from(tiles).every(
            t => t.dataset.week < '2026-10-05');
    }""", arg=len(HEADLINES), timeout=300_000)
    _assert_tiles_equal_the_mart(
        page, published, "week_start >= '2026-09-14' and week_start < '2026-10-05'")
    # every week of the range is complete: the partial-week block says so (not "No results")
    empty = page.wait_for_selector(".revwh-partial-empty", timeout=300_000)
    assert "No partial week in the selected range" in empty.inner_text()
    assert page.query_selector(".revwh-partial-week") is None
    table = page.wait_for_function("""() => {
        const chart = Array.from(document.querySelectorAll('[data-test="chart-grid-component"]'))
            .find(c => c.getAttribute('data-test-chart-name')
                       === 'Stage-to-stage conversion by channel');
        const rows = chart ? chart.querySelectorAll('tbody tr') : [];
        return rows.length > 0 && Array.from(rows).map(r => r.cells[0].innerText.trim());
    }""").json_value()
    assert table == ["paid_search"], table


def test_reimport_after_a_chart_rename_shows_the_new_name(
        superset: SimpleNamespace, tmp_path: Path) -> None:
    bundle = tmp_path / "assets"
    shutil.copytree(ASSETS, bundle)
    chart_file = bundle / "charts" / "scorecard__kpi__spend.yaml"
    chart = yaml.safe_load(chart_file.read_text())
    old_name, new_name = chart["slice_name"], f"{chart['slice_name']} (renamed {os.getpid()})"
    chart["slice_name"] = new_name
    chart_file.write_text(yaml.safe_dump(chart, sort_keys=False))
    dataset_file = bundle / "datasets" / "revenue_warehouse" / "weekly_scorecard.yaml"
    dataset = yaml.safe_load(dataset_file.read_text())
    dataset["description"] = "renamed by the re-import test"
    dataset_file.write_text(yaml.safe_dump(dataset, sort_keys=False))

    def reimport(assets: Path) -> None:
        result = subprocess.run([REVWH, "bi", "import", "--assets",
                                 str(assets)], cwd=ROOT, env=superset.env, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]

    def names_and_description() -> tuple[set[str], str]:
        token = _token(superset)
        charts = _dashboard_charts(superset, token, "weekly-scorecard")
        datasets = _get(f"{superset.base}/api/v1/dashboard/weekly-scorecard/datasets", token)
        dataset_id = next(d["id"] for d in datasets["result"]
                          if d["table_name"] == "weekly_scorecard")
        description = _get(f"{superset.base}/api/v1/dataset/{dataset_id}", token)["result"][
            "description"]
        return {c["slice_name"] for c in charts}, description

    reimport(bundle)
    names, description = names_and_description()
    assert new_name in names and old_name not in names, names
    assert description == "renamed by the re-import test"
    reimport(ASSETS)
    names, description = names_and_description()
    assert old_name in names and new_name not in names, names


def test_content_security_policy_keeps_the_browser_on_superset(superset: SimpleNamespace
                                                               ) -> None:
    """The usage pixel and every third-party host are outside the policy: nothing phones home."""
    with urllib.request.urlopen(f"{superset.base}/login/", timeout=30) as response:
        policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    for directive in ("default-src", "img-src", "connect-src", "font-src", "style-src"):
        sources = set(directives[directive].split())
        assert sources <= {"'self'", "data:", "blob:", "'unsafe-inline'"}, (directive, sources)


def _table_rows(page: Any, chart_name: str) -> list[dict[str, str]]:
    """The rows a table chart shows, each as {column header: cell text}."""
    return page.wait_for_function("""(name) => {
        const chart = Array.from(document.querySelectorAll('[data-test="chart-grid-component"]'))
            .find(c => c.getAttribute('data-test-chart-name') === name);
        const rows = chart ? chart.querySelectorAll('tbody tr') : [];
        if (!rows.length) return false;
        const headers = Array.from(chart.querySelectorAll('thead th')).map(
            h => h.innerText.trim());
        return Array.from(rows).map(r => Object.fromEntries(Array.from(r.cells).map(
            (cell, i) => [headers[i], cell.innerText.trim()])));
    }""", arg=chart_name, timeout=300_000).json_value()


def _listing(page: Any, kind: str) -> dict[str, Any]:
    """A data-quality listing (flagged people or deals): its rows' cells, or its "none" line."""
    return page.wait_for_function("""(kind) => {
        const shown = document.querySelector(`.revwh-flagged[data-kind="${kind}"]`);
        if (!shown) return false;
        return {none: shown.classList.contains('revwh-none') ? shown.innerText.trim() : null,
                flagged: Array.from(shown.querySelectorAll('tr.revwh-flagged-row')).map(
                    r => ({flag: r.dataset.flag,
                           cells: Array.from(r.cells).map(c => c.innerText.trim())}))};
    }""", arg=kind, timeout=300_000).json_value()


def test_data_quality_shows_the_anomalies_and_exclusions_of_the_marts(
        page: Any, superset: SimpleNamespace, published: SimpleNamespace) -> None:
    """The simulated company's CRM has no anomalies (the counts are 0 and the listings say
    "None"), and test, internal and spam records, excluded and counted per reason."""
    with psycopg.connect(published.bi_url) as conn:
        assert conn.info.user == published.role
        anomalies = conn.execute("select anomaly, description, people, records"
                                 " from marts.crm_anomalies order by sort_order").fetchall()
        exclusions = conn.execute("select exclusion_reason, description, people, records"
                                  " from marts.people_exclusions order by sort_order").fetchall()
        flagged = conn.execute("select (select count(*) from marts.dim_people where anomalies"
                               " is not null), (select count(*) from marts.opportunities"
                               " where anomalies is not null)").fetchone()
    assert [(a[0], a[2], a[3]) for a in anomalies] == [
        ("won_before_first_contact", 0, 0), ("opportunity_before_first_contact", 0, 0),
        ("stage_before_created", 0, 0)]
    assert flagged == (0, 0)
    assert {e[0]: (e[2], e[3]) for e in exclusions} == {
        "test": (4, 4), "internal": (3, 3), "spam": (3, 3), "competitor": (0, 0),
        "no email": (0, 0), "deleted": (0, 0), "deleted deal": (0, 0)}
    _open_dashboard(page, superset, "data-quality", 6)
    shown = _table_rows(page, "CRM anomalies: people and records flagged")
    assert [(r["anomaly"], r["description"], r["people"], r["records"]) for r in shown] == [
        (a[0], a[1], str(a[2]), str(a[3])) for a in anomalies]
    shown = _table_rows(page, "People excluded, per reason")
    assert [(r["exclusion_reason"], r["people"], r["records"]) for r in shown] == [
        (e[0], str(e[2]), str(e[3])) for e in exclusions]
    for kind, what in (("people", "person"), ("deals", "deal")):
        listing = _listing(page, kind)
        assert listing["flagged"] == [], listing
        assert listing["none"].startswith(f"None: no {what} ") and "flagged" in listing[
            "none"], listing


# The marts of a hand-written CRM export without amounts (tests/fixtures/funnel_export): 12
# people, 5 won deals, none with an amount; the week of 2017-11-20 is complete and has one deal
# created and won (and one lead, an MQL).
NO_AMOUNTS_WEEK = "2017-11-20"


@pytest.fixture(scope="module")
def without_amounts(published: SimpleNamespace, database_factory: Any,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """The export's marts in place of the published ones (copied in one transaction), the 45
    days published again afterwards. The last tests of the module use it."""
    from bi.superset.dashboards import DASHBOARDS as BOARDS
    from bi.superset.datasets import DATASETS

    read = {dataset.table for board in BOARDS for dataset in board.datasets}
    assert read <= set(DATASETS), read - set(DATASETS)
    built = build_crm_export(database_factory, tmp_path_factory.mktemp("byo-home"),
                             "revwh_test_bi_no_amounts", *FUNNEL_EXPORT)
    try:
        with psycopg.connect(built.url) as source, psycopg.connect(published.url) as target, \
                target.transaction():
            for table in sorted(read):
                columns = ("select column_name, data_type from information_schema.columns"
                           " where table_schema = %s and table_name = %s"
                           " order by ordinal_position")
                assert (source.execute(columns, ("audit", table)).fetchall()
                        == target.execute(columns, ("marts", table)).fetchall()), table
                target.execute(f"delete from marts.{table}")
                with source.cursor().copy(f"copy audit.{table} to stdout (format binary)"
                                          ) as rows, target.cursor().copy(
                        f"copy marts.{table} from stdin (format binary)") as copy:
                    for data in rows:
                        copy.write(data)
        yield built
    finally:
        published.republish()


def test_money_metrics_are_null_without_amounts_read_as_the_bi_role(
        without_amounts: SimpleNamespace, published: SimpleNamespace) -> None:
    """Every saved metric over deal amounts is null (n/a), not 0, on the export without
    amounts, over the whole marts and per week; the counts and rates are the export's."""
    from bi.superset.datasets import DATASETS, WEEKLY_SCORECARD

    values: dict[tuple[str, str], Any] = {}
    with psycopg.connect(published.bi_url) as conn:
        assert conn.info.user == published.role
        for dataset in DATASETS.values():
            breakdown = (" where breakdown = 'channel'" if dataset.table in (
                "channel_efficiency", "pipeline_sourced_influenced") else "")
            for name, metric in dataset.metrics.items():
                values[dataset.table, name] = conn.execute(
                    f"select {metric.expression} from marts.{dataset.table}{breakdown}"
                ).fetchone()[0]
        weekly = conn.execute(
            f"select week_start, opportunities, {WEEKLY_SCORECARD.metrics['pipeline'].expression}"
            " from marts.weekly_scorecard group by 1, 2 order by 1").fetchall()
    money = sorted(key for key in values
                   if "bool_or(" in DATASETS[key[0]].metrics[key[1]].expression)
    assert len(money) == 14, money
    assert {key: values[key] for key in money} == dict.fromkeys(money)
    # a week without deals has no pipeline (0); a week whose deals have no amount: unknown
    assert [(w[1], w[2]) for w in weekly if w[1]] == [(1, None)] * 5
    assert {w[2] for w in weekly if not w[1]} == {0}
    # counts and rates stay right; costs are undefined without spend
    expected = {
        ("weekly_scorecard", "leads"): 12, ("weekly_scorecard", "mqls"): 12,
        ("weekly_scorecard", "opportunities"): 5, ("weekly_scorecard", "deals_won"): 5,
        ("weekly_scorecard", "win_rate"): 1, ("weekly_scorecard", "spend"): 0,
        ("weekly_scorecard", "cac"): None, ("funnel_conversion_weekly", "customers"): 5,
        ("funnel_conversion_weekly", "opportunity_to_customer"): 1,
        ("channel_efficiency", "customers"): 5, ("channel_efficiency", "cac"): None,
        ("attribution_opportunities", "attributed_opportunities"): 35,  # 5 deals x 7 models
        ("opportunities", "opportunities"): 5, ("opportunities", "flagged_opportunities"): 1,
        ("dim_people", "people"): 12, ("dim_people", "flagged_people"): 1,
        ("crm_anomalies", "people"): 2,  # one person, two anomalies
    }
    assert {key: values[key] for key in expected} == expected


def _chart_errors(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in states if s["loading"] or s["error"] or not (s["rendered"] or s["empty"])]


def test_the_scorecard_shows_na_for_unknown_money(
        page: Any, superset: SimpleNamespace, published: SimpleNamespace,
        without_amounts: SimpleNamespace) -> None:
    token = _token(superset)
    states = _open_dashboard(page, superset, "weekly-scorecard",
                             len(_dashboard_charts(superset, token, "weekly-scorecard")))
    assert not _chart_errors(states), states
    time_range = f"{NO_AMOUNTS_WEEK} : 2017-11-27"
    state = (f"(NATIVE_FILTER-date-range:(extraFormData:(time_range:'{time_range}'),"
             f"filterState:(value:'{time_range}'),id:NATIVE_FILTER-date-range))")
    page.goto(f"{superset.base}/superset/dashboard/weekly-scorecard/?native_filters="
              + urllib.parse.quote(state, safe="(),:!"))
    page.wait_for_function("""([count, week]) => {
        const tiles = document.querySelectorAll('.revwh-kpi');
        return tiles.length === count && Array.from(tiles).every(t => t.dataset.week === week);
    }""", arg=[len(HEADLINES), NO_AMOUNTS_WEEK], timeout=300_000)
    page.screenshot(path=str(ARTIFACTS / "weekly-scorecard-without-amounts.png"), full_page=True)
    _assert_tiles_equal_the_mart(page, published, f"week_start <= '{NO_AMOUNTS_WEEK}'")
    values = {metric: tile["text"].splitlines()[0].strip()
              for metric, tile in _tiles(page).items()}
    assert values == {"spend": "$0", "leads": "1", "mqls": "1", "sqls": "1",
                      "pipeline": "n/a", "won_revenue": "n/a", "cac": "n/a", "roas": "n/a",
                      "speed_to_lead_hours": "n/a"}, values
    rows = {r["channel"]: r for r in _table_rows(page, "Efficiency by channel and campaign")}
    assert {c: r["Opportunities"] for c, r in rows.items() if r["Opportunities"] != "0"} == {
        "direct": "1", "paid_search": "3", "paid_social": "1"}, rows
    for channel, row in rows.items():  # the deals a channel sourced: none with an amount
        unknown = "N/A" if row["Opportunities"] != "0" else "0"  # none sourced: 0
        assert [row[c] for c in ("Spend", "Sourced pipeline", "Sourced revenue", "CAC", "ROAS")
                ] == ["0", unknown, unknown, "N/A", "N/A"], (channel, row)


def test_attribution_and_data_quality_show_na_for_unknown_money(
        page: Any, superset: SimpleNamespace, without_amounts: SimpleNamespace) -> None:
    token = _token(superset)
    states = _open_dashboard(page, superset, "attribution",
                             len(_dashboard_charts(superset, token, "attribution")))
    assert not _chart_errors(states), states
    rows = _table_rows(page, "Attributed revenue and pipeline: channel x model")
    assert len(rows) == 3 * 7, rows  # the channels with deals, each under the 7 models
    for row in rows:
        assert (row["Attributed revenue"], row["Attributed pipeline"]) == ("N/A", "N/A"), row
    rows = _table_rows(page, "Sourced vs influenced pipeline by channel")
    assert sorted(r["channel"] for r in rows) == ["direct", "paid_search", "paid_social"]
    for row in rows:
        assert [row[c] for c in ("Sourced pipeline", "Influenced pipeline", "Sourced revenue",
                                 "Influenced revenue")] == ["N/A"] * 4, row
    states = _open_dashboard(page, superset, "data-quality",
                             len(_dashboard_charts(superset, token, "data-quality")))
    assert not _chart_errors(states), states
    shown = _table_rows(page, "CRM anomalies: people and records flagged")
    assert [(r["anomaly"], r["people"], r["records"]) for r in shown] == [
        ("won_before_first_contact", "1", "1"), ("opportunity_before_first_contact", "1", "1"),
        ("stage_before_created", "0", "0")]
    flag = "won_before_first_contact,opportunity_before_first_contact"
    people = _listing(page, "people")
    assert people["none"] is None
    assert [(r["flag"], r["cells"][1]) for r in people["flagged"]] == [(flag, "MQL-0012")]
    deals = _listing(page, "deals")
    assert deals["none"] is None
    (deal,) = deals["flagged"]
    assert deal["flag"] == flag and deal["cells"][2] == "MQL-0012", deal
    assert deal["cells"][4] == "n/a", deal  # the deal's amount: unknown
