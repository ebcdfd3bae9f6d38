"""Helpers the test modules share (pytest puts this folder on sys.path: `from support import`)."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row


def query_rows(url: str, query: str) -> list[dict]:
    """Every row of a query against the database at url, as dicts keyed by column name."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query).fetchall()
