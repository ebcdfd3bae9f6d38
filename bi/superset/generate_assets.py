"""Write the Superset asset bundle (bi/superset/assets/) from the dashboards' definitions.

The YAML files it writes are what Superset imports (``revwh bi``) and what is
committed; this is how they were written and how to rewrite them after changing a chart. The
charts are defined in bi/superset/dashboards/ (one module per dashboard), from the vocabulary
(bi/superset/vocabulary.py: metric, chart and filter builders) and the datasets with their
saved metrics (bi/superset/datasets.py). Column types come from the published marts of a
warehouse (``--url``, default: WAREHOUSE_URL or the configured one), or with ``--offline``
from the committed bundle itself (a chart or metric change needs no warehouse); column and
table descriptions come from the dbt models' yml under dbt_project/models/marts (any folder).
UUIDs are derived from each object's key, so they stay the same from one run to the next
(Superset matches imported objects by UUID). From the repository root:

    .venv/bin/python -m bi.superset.generate_assets [--url URL | --offline]
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from bi.superset.dashboards import DASHBOARDS
from bi.superset.vocabulary import Chart, Dashboard, Dataset, stable_uuid

ROOT = Path(__file__).resolve().parents[2]
ASSETS = Path(__file__).resolve().parent / "assets"
MARTS_YML = ROOT / "dbt_project" / "models" / "marts"
SCHEMA = "marts"
DATABASE_KEY = "revenue_warehouse"
VERSION = "1.0.0"
# Where the YAML's connection points (no password): the import replaces host, port, database and
# user with the configured warehouse and the BI role, and supplies the password from the
# environment.
PLACEHOLDER_URI = "postgresql+psycopg2://revwh_bi@127.0.0.1:54329/warehouse"

ColumnTypes = dict[str, list[tuple[str, str]]]  # table: [(column, TYPE)]


def descriptions(marts: Path = MARTS_YML) -> dict[str, tuple[str, dict[str, str]]]:
    """table: (description, {column: description}) from the marts' dbt yml, in any folder."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for path in sorted(marts.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            columns = {c["name"]: " ".join(str(c.get("description", "")).split())
                       for c in model.get("columns", [])}
            found[model["name"]] = (" ".join(str(model.get("description", "")).split()),
                                    columns)
    return found


def column_types(url: str, schema: str = SCHEMA) -> ColumnTypes:
    """The columns of each table of a warehouse schema, in order, with their types."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select table_name, column_name, upper(data_type) from information_schema.columns"
            " where table_schema = %s order by table_name, ordinal_position", (schema,)
        ).fetchall()
    types: ColumnTypes = {}
    for table_name, column, data_type in rows:
        types.setdefault(table_name, []).append((column, data_type))
    return types


def bundle_column_types(assets: Path = ASSETS) -> ColumnTypes:
    """The marts' column types as the committed bundle's datasets hold them."""
    types: ColumnTypes = {}
    for path in sorted((assets / "datasets").rglob("*.yaml")):
        dataset = yaml.safe_load(path.read_text())
        types[dataset["table_name"]] = [(c["column_name"], c["type"])
                                        for c in dataset["columns"] if not c["expression"]]
    return types


def _column(name: str, data_type: str, description: str | None,
            expression: str | None = None, verbose_name: str | None = None) -> dict[str, Any]:
    return {
        "column_name": name, "verbose_name": verbose_name,
        "is_dttm": data_type.startswith(("DATE", "TIMESTAMP")), "is_active": True,
        "type": data_type, "advanced_data_type": None, "groupby": True, "filterable": True,
        "expression": expression, "description": description, "python_date_format": None,
        "extra": None,
    }


def dataset_document(ds: Dataset, types: list[tuple[str, str]],
                     described: tuple[str, dict[str, str]]) -> dict[str, Any]:
    if not types:
        raise SystemExit(f"{ds.table} is not in the warehouse: publish the marts")
    table_description, column_descriptions = described
    columns = [_column(name, data_type, column_descriptions.get(name) or None)
               for name, data_type in types]
    names = {name for name, _ in types}
    if ds.dttm and ds.dttm not in names:
        raise SystemExit(f"marts.{ds.table} has no column {ds.dttm}")
    if ds.channel_expression:
        columns.append(_column(
            "channel", "TEXT", f"The {ds.channel_expression} (so the dashboards' channel filter "
            "reaches this dataset).", ds.channel_expression, "Channel"))
    elif "channel" not in names and ds.has_channel:
        raise SystemExit(f"marts.{ds.table} has no channel column")
    for calculated in ds.calculated:
        columns.append(_column(calculated.name, "TEXT", calculated.description,
                               calculated.expression, calculated.verbose_name))
    metrics = [{
        "metric_name": name, "verbose_name": metric.label, "metric_type": None,
        "expression": metric.expression, "description": None, "d3format": metric.fmt,
        "currency": None, "extra": None, "warning_text": None,
    } for name, metric in ds.metrics.items()]
    return {
        "table_name": ds.table, "main_dttm_col": ds.dttm, "description": table_description,
        "default_endpoint": None, "offset": 0, "cache_timeout": None, "catalog": None,
        "schema": SCHEMA, "sql": None, "params": None, "template_params": None,
        "filter_select_enabled": True, "fetch_values_predicate": None, "extra": None,
        "normalize_columns": False, "always_filter_main_dttm": False, "uuid": ds.uuid,
        "metrics": metrics, "columns": columns, "version": VERSION,
        "database_uuid": stable_uuid("database", DATABASE_KEY),
    }


def chart_document(chart: Chart) -> dict[str, Any]:
    params = {"viz_type": chart.viz_type, **chart.params}
    return {
        "slice_name": chart.name, "description": chart.description, "certified_by": None,
        "certification_details": None, "viz_type": chart.viz_type, "params": params,
        "query_context": None, "cache_timeout": None, "uuid": chart.uuid, "version": VERSION,
        "dataset_uuid": chart.dataset.uuid,
    }


def _native_filters(board: Dashboard, ids: dict[str, int]) -> list[dict[str, Any]]:
    all_ids = [ids[chart.key] for chart in board.charts]
    not_temporal = [ids[chart.key] for chart in board.charts if not chart.temporal]
    channel_less = [ids[chart.key] for chart in board.charts if not chart.dataset.has_channel]
    common = {"cascadeParentIds": [], "type": "NATIVE_FILTER", "tabsInScope": [],
              "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}}}
    return [
        {**common, "id": "NATIVE_FILTER-date-range", "name": "Date range",
         "filterType": "filter_time", "targets": [{}],
         "controlValues": {"enableEmptyFilter": False},
         "description": "Acts on each chart's date column (the charts on marts without a date "
                        "show all time).",
         "scope": {"rootPath": ["ROOT_ID"], "excluded": not_temporal},
         "chartsInScope": [i for i in all_ids if i not in not_temporal]},
        {**common, "id": "NATIVE_FILTER-channel", "name": "Channel",
         "filterType": "filter_select",
         "targets": [{"column": {"name": "channel"},
                      "datasetUuid": board.channel_dataset.uuid}],
         "controlValues": {"multiSelect": True, "enableEmptyFilter": False,
                           "defaultToFirstItem": False, "inverseSelection": False,
                           "searchAllOptions": False},
         "description": "The marketing channel (first-touch channel for people and funnel "
                        "marts).",
         "scope": {"rootPath": ["ROOT_ID"], "excluded": channel_less},
         "chartsInScope": [i for i in all_ids if i not in channel_less]},
    ]


def dashboard_document(board: Dashboard) -> dict[str, Any]:
    ids = {chart.key: number for number, chart in enumerate(board.charts, start=1)}
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": board.title}},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    intro_row = "ROW-intro"
    position["GRID_ID"]["children"].append(intro_row)
    position[intro_row] = {"type": "ROW", "id": intro_row, "children": ["MARKDOWN-intro"],
                           "parents": ["ROOT_ID", "GRID_ID"],
                           "meta": {"background": "BACKGROUND_TRANSPARENT"}}
    position["MARKDOWN-intro"] = {
        "type": "MARKDOWN", "id": "MARKDOWN-intro", "children": [],
        "parents": ["ROOT_ID", "GRID_ID", intro_row],
        "meta": {"width": 12, "height": 14, "code": board.intro}}
    for number, row in enumerate(board.rows, start=1):
        row_id = f"ROW-{number}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [],
                            "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for chart in row:
            chart_id = f"CHART-{chart.key.replace('.', '-').replace('_', '-')}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "type": "CHART", "id": chart_id, "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"chartId": ids[chart.key], "uuid": chart.uuid, "sliceName": chart.name,
                         "width": chart.width, "height": chart.height}}
    metadata = {
        "native_filter_configuration": _native_filters(board, ids),
        "chart_configuration": {}, "global_chart_configuration": {
            "scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []},
        "cross_filters_enabled": False, "color_scheme": "supersetColors",
        "refresh_frequency": 0, "expanded_slices": {}, "label_colors": {},
        "timed_refresh_immune_slices": [], "default_filters": "{}",
    }
    return {
        "dashboard_title": board.title, "description": None, "css": "", "slug": board.slug,
        "certified_by": None, "certification_details": None, "published": True,
        "uuid": board.uuid, "position": position, "metadata": metadata, "version": VERSION,
    }


def bundle(types: ColumnTypes, described: dict[str, tuple[str, dict[str, str]]],
           dashboards: list[Dashboard] = DASHBOARDS) -> dict[str, dict[str, Any]]:
    """Every document of the bundle by its path under assets/, in writing order."""
    documents: dict[str, dict[str, Any]] = {
        "metadata.yaml": {"version": VERSION, "type": "assets",
                          "timestamp": "2026-01-01T00:00:00+00:00"},
        f"databases/{DATABASE_KEY}.yaml": {
            "database_name": "Revenue warehouse (marts)", "sqlalchemy_uri": PLACEHOLDER_URI,
            "cache_timeout": None, "expose_in_sqllab": True, "allow_run_async": False,
            "allow_ctas": False, "allow_cvas": False, "allow_dml": False,
            "allow_file_upload": False,
            "extra": {"allows_virtual_table_explore": True, "metadata_params": {},
                      "engine_params": {}, "schemas_allowed_for_file_upload": []},
            "uuid": stable_uuid("database", DATABASE_KEY), "version": VERSION,
        },
    }
    used = {ds.table: ds for board in dashboards for ds in board.datasets}
    for table_name in sorted(used):
        documents[f"datasets/{DATABASE_KEY}/{table_name}.yaml"] = dataset_document(
            used[table_name], types.get(table_name, []), described.get(table_name, ("", {})))
    for board in dashboards:
        for chart in board.charts:
            documents[f"charts/{chart.key.replace('.', '__')}.yaml"] = chart_document(chart)
        documents[f"dashboards/{board.slug}.yaml"] = dashboard_document(board)
    return documents


def render(document: dict[str, Any]) -> str:
    """A document as the YAML written to its file."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def write(types: ColumnTypes, assets: Path = ASSETS) -> list[Path]:
    """Replace the bundle under `assets` with the generated one."""
    documents = bundle(types, descriptions())
    if assets.exists():
        shutil.rmtree(assets)
    written: list[Path] = []
    for relative, document in documents.items():
        path = assets / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(document))
        written.append(path)
    return written


def _warehouse_url() -> str:
    """The configured warehouse: revwh's, where revwh is importable, else WAREHOUSE_URL."""
    try:
        from revwh.warehouse.connection import warehouse_url
    except ImportError:
        url = os.environ.get("WAREHOUSE_URL")
        if not url:
            raise SystemExit("no warehouse: pass --url (or --offline), set WAREHOUSE_URL, or "
                             "install the project (uv sync) so revwh is importable") from None
        return url
    return warehouse_url()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--url", help="warehouse URL (default: the configured warehouse)")
    source.add_argument("--offline", action="store_true",
                        help="take the column types from the committed bundle, not a warehouse")
    parser.add_argument("--types-schema", default=SCHEMA,
                        help="schema to read the column types from (default: marts; audit has"
                             " the same tables before a publish)")
    args = parser.parse_args(argv)
    if args.offline:
        types = bundle_column_types()
    else:
        types = column_types(args.url or _warehouse_url(), args.types_schema)
    written = write(types)
    print(f"wrote {len(written)} files under {ASSETS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
