"""Row-for-row checksums of the published marts: two warehouses (or one before and after a
rerun) hold the same marts exactly when every table's checksum is equal.

A table's checksum is its row count and the MD5 of its rows' text, sorted, so it does not
depend on the physical order of the rows.
"""

from __future__ import annotations

from psycopg import sql

from revwh.core.config import PUBLISHED_SCHEMA
from revwh.warehouse.connection import connect


def mart_checksums(url: str | None = None, schema: str = PUBLISHED_SCHEMA) -> dict[str, str]:
    """{table: "<rows>:<md5 of the sorted rows>"} for every table of the schema."""
    with connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s"
            " and table_type = 'BASE TABLE' order by 1", (schema,))]
        return {table: conn.execute(sql.SQL(
            "select count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|'"
            " order by t::text)), '') from {} t").format(
            sql.Identifier(schema, table))).fetchone()[0] for table in tables}


def differing_marts(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """The marts whose checksums (mart_checksums) differ between a and b, or that only one
    of them has."""
    return sorted(mart for mart in a.keys() | b.keys() if a.get(mart) != b.get(mart))


def mart_differences(url_a: str, url_b: str, tables: list[str], schema: str = PUBLISHED_SCHEMA,
                     limit: int = 5) -> dict[str, dict[str, list[str]]]:
    """For each table, up to `limit` rows (as text) found only in a and only in b: what an
    unequal checksum hides."""
    def rows(url: str, table: str) -> set[str]:
        with connect(url) as conn:
            return {row[0] for row in conn.execute(sql.SQL("select t::text from {} t").format(
                sql.Identifier(schema, table)))}

    differences = {}
    for table in tables:
        a, b = rows(url_a, table), rows(url_b, table)
        differences[table] = {"only_in_a": sorted(a - b)[:limit],
                              "only_in_b": sorted(b - a)[:limit]}
    return differences
