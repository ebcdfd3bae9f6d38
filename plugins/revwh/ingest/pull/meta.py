"""Meta Marketing API through its official client (facebook-business):

- `ads_insights`: an async insights report run per day (level ad, daily, the 1d_view and
  7d_click attribution windows), polled until it completes; a run that ends Failed or Skipped
  is started again (up to the policy's attempts), then its results read by cursor to the end;
- `accounts`: the ad account (a daily snapshot);
- `campaigns`, `adsets`, `ads`: every object of the account (cursor pages to the end), landed
  on the day of its `updated_time`; on the first pull of an entity (none landed yet), those
  updated before the run's first day land on that day (the account as it stands).

Throttling (error codes 4, 17, 32, 613, 80000-80014) waits for the usage headers' estimated
time to regain access. Credentials (Connection `revwh_meta_ads`): password = a system user's
access token (permission `ads_read`), extra `account_id` (without `act_`), optional
`app_secret` (appsecret_proof). host may point elsewhere (the fake).
"""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from revwh.ingest.pull import retry
from revwh.ingest.pull.base import PullContext
from revwh.ingest.pull.retry import Transient, classify_http, retry_after_seconds

API_VERSION = "v26.0"
PAGE = 500
INSIGHT_FIELDS = ("account_id", "account_currency", "campaign_id", "adset_id", "ad_id",
                  "date_start", "date_stop", "impressions", "clicks", "inline_link_clicks",
                  "spend", "actions", "action_values")
ACCOUNT_FIELDS = ("id", "account_id", "name", "currency", "timezone_name",
                  "timezone_offset_hours_utc")
OBJECT_FIELDS = {
    "campaigns": ("id", "account_id", "name", "objective", "status", "created_time",
                  "updated_time"),
    "adsets": ("id", "account_id", "campaign_id", "name", "status", "created_time",
               "updated_time", "daily_budget"),
    "ads": ("id", "account_id", "campaign_id", "adset_id", "name", "status", "created_time",
            "updated_time", "url_tags"),
}
THROTTLED = {4, 17, 32, 613} | set(range(80000, 80015))
DONE, FAILED = "Job Completed", ("Job Failed", "Job Skipped")


def _api(ctx: PullContext):
    from facebook_business.api import FacebookAdsApi
    from facebook_business.session import FacebookSession

    (token,) = ctx.require("access_token")
    session = FacebookSession(app_secret=ctx.credentials.get("app_secret"), access_token=token,
                              timeout=ctx.policy.timeout_seconds)
    session.requests.verify = ctx.credentials.get("ca_bundle") or True
    session.requests.trust_env = False
    if ctx.credentials.get("host"):
        session.GRAPH = ctx.credentials["host"].rstrip("/")
    return FacebookAdsApi(session, api_version=ctx.credentials.get("version") or API_VERSION)


def _request(api, method: str, path: tuple, params: dict) -> dict:
    """One Graph API call; throttling, 5xx and network errors are Transient."""
    from facebook_business.exceptions import FacebookRequestError

    try:
        return api.call(method, path, params=params).json()
    except FacebookRequestError as error:
        status = error.http_status()
        headers = dict(error.http_headers() or {})
        code = error.api_error_code()
        if code in THROTTLED:
            raise Transient(f"{status} (code {code})",
                            retry_after_seconds(headers), "throttled") from error
        classify_http(status, headers, str(error.api_error_message())[:200])
        error.status = f"{status} (code {code}: {error.api_error_message()})"
        raise
    except requests.Timeout as error:
        raise Transient("timeout", None, type(error).__name__) from error
    except requests.ConnectionError as error:
        raise Transient("connection", None, type(error).__name__) from error


def _pages(ctx: PullContext, api, path: tuple, params: dict, endpoint: str, day=None):
    """Every item of a cursor-paged edge, to the last page."""
    after = None
    while True:
        query = {**params, "limit": PAGE, **({"after": after} if after else {})}
        page = ctx.call(lambda q=query: _request(api, "GET", path, q), endpoint, day)
        yield from page.get("data", [])
        paging = page.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not after or "next" not in paging:
            return


def pull(ctx: PullContext) -> None:
    api = _api(ctx)
    (account,) = ctx.require("account_id")
    act = f"act_{account}"
    if (source := ctx.source("ads_insights")) is not None:
        for day in ctx.days_for(source):
            staged = ctx.batch.open(source, day)
            for record in _insights(ctx, api, act, day):
                staged.write_record(record)
    if (source := ctx.source("accounts")) is not None:
        record = ctx.call(lambda: _request(api, "GET", (act,),
                                           {"fields": ",".join(ACCOUNT_FIELDS)}), act)
        for day in ctx.days_for(source):
            ctx.batch.open(source, day).write_record(record)
    for entity, fields in OBJECT_FIELDS.items():
        source = ctx.source(entity)
        if source is None:
            continue
        days = ctx.days_for(source)
        first_pull = not ctx.batch.has_landed(source)
        staged = {day: ctx.batch.open(source, day) for day in days}
        for record in _pages(ctx, api, (act, entity), {"fields": ",".join(fields)},
                             f"{act}/{entity}"):
            updated = datetime.strptime(record["updated_time"], "%Y-%m-%dT%H:%M:%S%z")
            day = updated.astimezone(UTC).date()
            if day < ctx.days[0] and first_pull:
                day = ctx.days[0]
            if day in staged:
                staged[day].write_record(record)


def _insights(ctx: PullContext, api, act: str, day):
    """One day's insights by an async report run, started again if it fails or is skipped."""
    endpoint = f"{act}/insights"
    params = {"level": "ad", "time_increment": 1,
              "time_range": {"since": day.isoformat(), "until": day.isoformat()},
              "fields": ",".join(INSIGHT_FIELDS),
              "action_attribution_windows": ["1d_view", "7d_click"]}

    def run() -> str:
        started = ctx.call(lambda: _request(api, "POST", (act, "insights"), params),
                           endpoint, day)
        report = started["report_run_id"]
        wait = min(1.0, ctx.policy.poll_seconds)  # short reports finish in a second or two
        while True:
            state = ctx.call(lambda: _request(api, "GET", (report,), {}), report, day)
            status = state.get("async_status")
            if status == DONE and int(state.get("async_percent_completion", 100)) >= 100:
                return report
            if status in FAILED:
                raise Transient(status, None, f"report run {report}")
            retry.SLEEP(wait)
            wait = min(wait * 2, ctx.policy.poll_seconds)

    report = ctx.call(run, f"{endpoint} (async report run)", day)
    yield from _pages(ctx, api, (report, "insights"), {}, f"{report}/insights", day)
