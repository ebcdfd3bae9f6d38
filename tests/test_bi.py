"""Superset on the published marts, in a real headless Chromium.

`revwh bi` starts Superset (its own venv from bi/superset/uv.lock) on a warehouse
with 45 simulated days published to `marts`, logged in to as the read-only BI role. The browser
logs in, opens each dashboard, waits for every chart and fails on any chart error or empty
chart; the scorecard's headline tiles must equal weekly_scorecard read as the BI role.
Screenshots go to $REVWH_TEST_ARTIFACTS (default .local/test-artifacts/bi). Re-importing the
bundle with a renamed chart must rename it (Superset's API). Needs Debian's chromium
(`make browser`; REVWH_CHROMIUM to use another binary).
"""

from __future__ import annotations

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

REVWH = str(Path(sys.executable).parent / "revwh")  # the console script uv sync installs
ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "bi" / "superset" / "assets"
CHROMIUM = os.environ.get("REVWH_CHROMIUM") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("REVWH_TEST_ARTIFACTS") or ROOT / ".local" / "test-artifacts"
                 / "bi")
DASHBOARDS = ["weekly-scorecard", "attribution", "sales-follow-up", "self-reported-source"]
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
    publish("test-bi", datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 16, tzinfo=UTC),
            url=url)
    access.ensure_bi_role(url)
    yield SimpleNamespace(url=url, bi_url=access.bi_url(url), role=role, password=password)
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
    page.goto(f"{superset.base}/login/")
    page.fill('[data-test="username-input"]', superset.user)
    page.fill('[data-test="password-input"]', superset.password)
    page.click('[data-test="login-button"]')
    page.wait_for_url(lambda url: "/login" not in url)
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
