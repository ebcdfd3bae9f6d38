"""The Google Ads API's GoogleAdsService.SearchStream over gRPC with TLS (the client always uses
TLS: the server's certificate comes from the test CA), answering the GAQL the pull sends
(`FROM campaign|ad_group|ad_group_ad WHERE segments.date = 'D'`, `FROM change_event` for a
day, `FROM campaign` for budgets) with the simulated company's rows, in batches. Requests
without a valid developer-token are refused. `exhaust(n, seconds)` answers the next n calls with
RESOURCE_EXHAUSTED carrying a GoogleAdsFailure whose quota error has that retry_delay; `fail`
and `stall` give UNAVAILABLE and a call slower than the client's deadline."""

from __future__ import annotations

import re
import threading
import time
from concurrent import futures
from datetime import date

import grpc

from revwh.simulate.fakes.auth import FAKE_DEVELOPER
from revwh.simulate.fakes.store import SimStore

PLATFORM = "google_ads"
VERSION = "v26"
RESOURCES = {"campaign": "campaign_stats", "ad_group": "ad_group_stats",
             "ad_group_ad": "ad_stats"}
BATCH = 1000


class GoogleAdsFake:
    def __init__(self, store: SimStore) -> None:
        self.store = store
        self.calls: list[str] = []
        self.developer_tokens = {FAKE_DEVELOPER}
        self.faults: list[tuple[str, float]] = []  # (kind, seconds) for the next calls
        self.cuts: list[int] = []  # streams to reset after that many batches
        self._lock = threading.Lock()
        self._server: grpc.Server | None = None
        self.port = 0

    def exhaust(self, times: int = 1, seconds: int = 30) -> None:
        self.faults += [("exhausted", seconds)] * times

    def fail(self, times: int = 1) -> None:
        self.faults += [("unavailable", 0)] * times

    def stall(self, seconds: float) -> None:
        self.faults.append(("stall", seconds))

    def cut(self, after_batches: int = 1) -> None:
        """The next stream long enough ends after that many batches with UNAVAILABLE (a
        connection reset half-way: the rows already streamed have reached the client)."""
        self.cuts.append(after_batches)

    def _types(self):
        from google.ads.googleads.v26.services.types import google_ads_service as types

        return types

    def _abort_exhausted(self, context, seconds: int) -> None:
        from google.ads.googleads.v26.errors.types import errors, quota_error
        from google.protobuf import duration_pb2

        failure = errors.GoogleAdsFailure(errors=[errors.GoogleAdsError(
            error_code=errors.ErrorCode(
                quota_error=quota_error.QuotaErrorEnum.QuotaError.RESOURCE_EXHAUSTED),
            message="Too many requests. Retry in the given delay.",
            details=errors.ErrorDetails(quota_error_details=errors.QuotaErrorDetails(
                rate_name="Requests per developer per day",
                retry_delay=duration_pb2.Duration(seconds=seconds))))],
            request_id="fake-request")
        context.set_trailing_metadata((
            (f"google.ads.googleads.{VERSION}.errors.googleadsfailure-bin",
             errors.GoogleAdsFailure.serialize(failure)),
            ("request-id", "fake-request")))
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "Resource has been exhausted")

    def _rows(self, query: str) -> list[dict]:
        resource = re.search(r"\bFROM\s+(\w+)", query, re.I).group(1)
        when = re.search(r"segments\.date\s*=\s*'(\d{4}-\d{2}-\d{2})'", query)
        if resource in RESOURCES and when:
            return list(self.store.records(PLATFORM, RESOURCES[resource],
                                           date.fromisoformat(when.group(1))))
        if resource == "change_event":
            day = re.search(r"change_date_time\s*>=\s*'(\d{4}-\d{2}-\d{2})", query).group(1)
            rows = []
            for record in self.store.records(PLATFORM, "campaign_history",
                                             date.fromisoformat(day)):
                campaign = {k: v for k, v in record["campaign"].items() if k != "start_date"}
                if "start_date" in record["campaign"]:
                    campaign["start_date_time"] = record["campaign"]["start_date"] + " 00:00:00"
                rows.append({"change_event": {
                    "change_date_time": record["change_date"],
                    "change_resource_type": "CAMPAIGN",
                    "campaign": f"customers/{record['customer']['id']}/campaigns/"
                                f"{campaign['id']}",
                    "new_resource": {"campaign": campaign}}})
            return rows
        if resource == "campaign":  # the campaigns as they stand: their budgets
            latest: dict[str, dict] = {}
            for day in self.store.days(PLATFORM, "campaign_history"):
                for record in self.store.records(PLATFORM, "campaign_history", day):
                    latest[record["campaign"]["id"]] = {
                        "campaign": {"id": record["campaign"]["id"]},
                        "campaign_budget": record.get("campaign_budget") or {}}
            return list(latest.values())
        return []

    def search_stream(self, request, context):
        from google.protobuf import json_format

        types = self._types()
        from google.ads.googleads.v26.services.types.google_ads_service import GoogleAdsRow

        metadata = dict(context.invocation_metadata())
        if metadata.get("developer-token") not in self.developer_tokens:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "The developer token is not valid")
        with self._lock:
            self.calls.append(request.query)
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            kind, seconds = fault
            if kind == "exhausted":
                self._abort_exhausted(context, int(seconds))
            elif kind == "unavailable":
                context.abort(grpc.StatusCode.UNAVAILABLE, "The service is unavailable")
            elif kind == "stall":
                time.sleep(seconds)
        rows = self._rows(request.query)
        for number, start in enumerate(range(0, max(len(rows), 1), BATCH)):
            with self._lock:
                cut = bool(self.cuts) and number == self.cuts[0]
                if cut:
                    self.cuts.pop(0)
            if cut:
                context.abort(grpc.StatusCode.UNAVAILABLE, "Connection reset by peer")
            batch = []
            for record in rows[start:start + BATCH]:
                row = GoogleAdsRow.pb(GoogleAdsRow())
                json_format.ParseDict(record, row)
                batch.append(GoogleAdsRow.wrap(row))
            yield types.SearchGoogleAdsStreamResponse(results=batch, request_id="fake-request")

    def start(self, cert_chain: bytes, private_key: bytes) -> GoogleAdsFake:
        types = self._types()
        handler = grpc.method_handlers_generic_handler(
            f"google.ads.googleads.{VERSION}.services.GoogleAdsService",
            {"SearchStream": grpc.unary_stream_rpc_method_handler(
                self.search_stream,
                request_deserializer=types.SearchGoogleAdsStreamRequest.deserialize,
                response_serializer=types.SearchGoogleAdsStreamResponse.serialize)})
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        server.add_generic_rpc_handlers((handler,))
        credentials = grpc.ssl_server_credentials(((private_key, cert_chain),))
        self.port = server.add_secure_port("127.0.0.1:0", credentials)
        server.start()
        self._server = server
        return self

    @property
    def endpoint(self) -> str:
        return f"localhost:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None


def build(store: SimStore, ca) -> GoogleAdsFake:
    """Started on 127.0.0.1 (as `localhost`) with a certificate of the test CA (TestCA)."""
    return GoogleAdsFake(store).start(ca.cert_file.read_bytes(), ca.key_file.read_bytes())
