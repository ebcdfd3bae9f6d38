"""Every platform's fake at once, serving one simulated company, and the Airflow Connections
that point the pull at them: what the demo and `make airflow` pull from, and the tests' and
benchmark's whole-warehouse runs. The Salesforce fake speaks HTTPS and the Google Ads fake gRPC
with TLS, both with a certificate of a test CA made here (trustme)."""

from __future__ import annotations

import json
from pathlib import Path

from revwh.simulate.company import GOOGLE, LINKEDIN, META
from revwh.simulate.fakes import bigquery, ecb, google_ads, hubspot, linkedin, meta, salesforce
from revwh.simulate.fakes.auth import (
    FAKE_BEARER,
    FAKE_CLIENT_ID,
    FAKE_CLIENT_KEY,
    FAKE_DEVELOPER,
    FAKE_REFRESH,
    FAKE_SESSION,
)
from revwh.simulate.fakes.server import TestCA
from revwh.simulate.fakes.store import SimStore

GA4_PROJECT, GA4_DATASET = "acme-analytics", "analytics_313370001"


class FakeSuite:
    def __init__(self, store: SimStore, ca_folder: Path) -> None:
        self.store = store
        self.ca = TestCA(Path(ca_folder))
        self.http: dict = {}
        self.google_ads = None

    def start(self) -> FakeSuite:
        self.http = {
            "ecb": ecb.build(self.store).start(),
            "linkedin_ads": linkedin.build(self.store).start(),
            "hubspot": hubspot.build(self.store).start(),
            "meta_ads": meta.build(self.store).start(),
            "ga4": bigquery.build(self.store, GA4_PROJECT, GA4_DATASET).start(),
            "salesforce": salesforce.build(self.store, self.ca.server_context()).start(),
        }
        self.google_ads = google_ads.build(self.store, self.ca)
        return self

    def stop(self) -> None:
        for server in self.http.values():
            server.stop()
        if self.google_ads is not None:
            self.google_ads.stop()

    def __enter__(self) -> FakeSuite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def connections(self) -> dict[str, dict]:
        """platform -> its Airflow Connection (as AIRFLOW_CONN_* JSON takes it). The fakes'
        tokens are not secrets."""
        ca = str(self.ca.ca_file)
        http = {platform: server.url for platform, server in self.http.items()}
        return {
            "ecb": {"conn_type": "http", "host": http["ecb"]},
            "linkedin_ads": {"conn_type": "http", "host": http["linkedin_ads"],
                             "password": FAKE_BEARER,
                             "extra": {"account_id": LINKEDIN.account_id,
                                       "oauth_host": http["linkedin_ads"],
                                       "refresh_token": FAKE_REFRESH,
                                       "client_id": FAKE_CLIENT_ID,
                                       "client_secret": FAKE_CLIENT_KEY}},
            "hubspot": {"conn_type": "http", "host": http["hubspot"], "password": FAKE_BEARER},
            "meta_ads": {"conn_type": "http", "host": http["meta_ads"],
                         "password": FAKE_BEARER, "extra": {"account_id": META.account_id}},
            "ga4": {"conn_type": "http", "host": http["ga4"],
                    "extra": {"project": GA4_PROJECT, "dataset": GA4_DATASET}},
            "salesforce": {"conn_type": "http", "host": http["salesforce"],
                           "password": FAKE_SESSION, "extra": {"ca_bundle": ca}},
            "google_ads": {"conn_type": "generic", "host": self.google_ads.endpoint,
                           "extra": {"developer_token": FAKE_DEVELOPER,
                                     "customer_id": GOOGLE.account_id, "ca_bundle": ca}},
        }

    def credentials(self, platform: str) -> dict:
        """The plain values the ops layer would resolve from the Connection."""
        conn = self.connections()[platform]
        values = dict(conn.get("extra") or {})
        values["host"] = conn["host"]
        if conn.get("password"):
            values["access_token"] = conn["password"]
        return values

    def environment(self) -> dict[str, str]:
        """Every platform pulled (REVWH_PULL_<P>=api) from these fakes (AIRFLOW_CONN_*), and
        gRPC's roots for the Google Ads fake's certificate."""
        env = {"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(self.ca.ca_file)}
        for platform, conn in self.connections().items():
            env[f"REVWH_PULL_{platform.upper()}"] = "api"
            env[f"AIRFLOW_CONN_REVWH_{platform.upper()}"] = json.dumps(conn)
        return env
