"""GA4's BigQuery export through the official client (google-cloud-bigquery): each day's
`events_YYYYMMDD` table read with `list_rows` (the tabledata API: no query job, no query cost),
page by page to the end, each row written as the export's JSON row. The export rewrites a day's
table for up to 72 hours (late events), so the lookback days are read again and land as a new
version when they changed. A lookback day whose table does not exist is skipped; a day of the
run's interval without its table fails the pull (the export is not there yet).

Credentials (Connection `revwh_ga4`): extra `project` (the billing project), `dataset` (the
export's `analytics_<property id>`), optional `data_project` (the export's project, default
`project`), and `keyfile_dict` (a service account's JSON key with BigQuery Data Viewer on the
dataset and BigQuery Read Session User / Job User on the project; scope
`https://www.googleapis.com/auth/bigquery.readonly`). host may point elsewhere (the fake,
anonymous credentials).
"""

from __future__ import annotations

import json

from revwh.ingest.pull.base import PullContext
from revwh.ingest.pull.retry import Transient, classify_http

PAGE = 2_000  # rows a page: memory holds one page (the client parses a page whole)


def _client(ctx: PullContext):
    from google.api_core.client_options import ClientOptions
    from google.cloud import bigquery

    (project,) = ctx.require("project")
    options = ClientOptions(api_endpoint=ctx.credentials["host"]) \
        if ctx.credentials.get("host") else None
    if ctx.credentials.get("keyfile_dict"):
        from google.oauth2 import service_account

        info = ctx.credentials["keyfile_dict"]
        credentials = service_account.Credentials.from_service_account_info(
            json.loads(info) if isinstance(info, str) else info,
            scopes=["https://www.googleapis.com/auth/bigquery.readonly"])
    elif options is not None:
        from google.auth.credentials import AnonymousCredentials

        credentials = AnonymousCredentials()
    else:
        credentials = None  # application default credentials
    return bigquery.Client(project=project, credentials=credentials, client_options=options)


def _sorted(error: Exception) -> None:
    """Google's errors: 429/5xx (and RESOURCE_EXHAUSTED) transient; a timeout transient."""
    import requests
    from google.api_core import exceptions as google

    if isinstance(error, google.GoogleAPICallError):
        status = error.code or 0
        headers = dict(getattr(error.response, "headers", None) or {}) \
            if getattr(error, "response", None) is not None else {}
        classify_http(int(status), headers, str(error.message)[:200])
        error.status = status
        return
    if isinstance(error, requests.Timeout):
        raise Transient("timeout", None, type(error).__name__) from error
    if isinstance(error, requests.ConnectionError):
        raise Transient("connection", None, type(error).__name__) from error


def pull(ctx: PullContext) -> None:
    source = ctx.source("events")
    if source is None:
        return
    from google.api_core import exceptions as google

    client = _client(ctx)
    (dataset,) = ctx.require("dataset")
    data_project = ctx.credentials.get("data_project") or ctx.credentials["project"]
    timeout = ctx.policy.timeout_seconds
    no_retry = None  # the pull's one policy retries, not the client's default
    for day in ctx.days_for(source):
        table_id = f"{data_project}.{dataset}.events_{day:%Y%m%d}"
        endpoint = f"tables/events_{day:%Y%m%d}"

        def get_table(t=table_id):
            try:
                return client.get_table(t, retry=no_retry, timeout=timeout)
            except google.NotFound:
                return None
            except Exception as error:
                _sorted(error)
                raise

        table = ctx.call(get_table, endpoint, day)
        if table is None:
            if day in ctx.days:
                from revwh.core.errors import PullFailed

                raise PullFailed("ga4", endpoint, 404, day,
                                 f"the export table {table_id} does not exist (yet)")
            continue
        if day not in ctx.days:  # a lookback day: read again only if the export rewrote it
            pulled = ctx.batch.pulled_at(source, day)
            if pulled is not None and table.modified is not None and table.modified < pulled:
                continue
        staged = ctx.batch.open(source, day)
        token = None
        while True:
            def page(t=table, tok=token):
                try:
                    rows = client.list_rows(t, page_token=tok, page_size=PAGE,
                                            retry=no_retry, timeout=timeout)
                    first = next(rows.pages)
                    names = [field.name for field in t.schema]
                    # row[i], not row.items(): items() deep-copies every value
                    return ([{name: row[i] for i, name in enumerate(names)} for row in first],
                            rows.next_page_token)
                except Exception as error:
                    _sorted(error)
                    raise

            records, token = ctx.call(page, f"{endpoint}/data", day)
            for record in records:
                staged.write_record(record)
            if not token:
                break
