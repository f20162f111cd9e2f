"""Per-developer schemas: a developer's target (`postgres_dev`) builds every layer into schemas prefixed with
the developer's own (`dbt_ana_bronze`, `dbt_ana_gold`), reading the shared sources, and leaves the bare layer
schemas the pipeline builds (`bronze`, `gold`) alone."""

from dataclasses import replace
from pathlib import Path

import pytest

from emporium.config import Settings
from emporium.dbt import run_dbt
from emporium.engine import connect, fetch_all
from ingest.raw_load import load_raw
from tests.support import postgres_settings

DATABASE = "emporium_dev_schemas"
DEV = "dbt_ana"


def _schemas(settings: Settings) -> dict[str, list[str]]:
    with connect(settings) as connection:
        rows = fetch_all(
            connection,
            "select table_schema, table_name from information_schema.tables"
            " where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2",
        )
    schemas: dict[str, list[str]] = {}
    for schema, table in rows:
        schemas.setdefault(schema, []).append(table)
    return schemas


@pytest.mark.postgres
def test_a_dev_target_builds_into_prefixed_schemas_and_leaves_the_bare_ones(
    tiny_landing: Settings,
    postgres_server: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg2

    prod = postgres_settings(
        tmp_path, tiny_landing.landing_dir, postgres_server, EMPORIUM_PG_DATABASE=DATABASE
    )
    admin = psycopg2.connect(
        **{**prod.postgres.connection_params(), "dbname": postgres_server["EMPORIUM_PG_DATABASE"]}
    )
    try:
        admin.autocommit = True  # create database cannot run in a transaction
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {DATABASE}")
            cursor.execute(f"create database {DATABASE}")
    finally:
        admin.close()
    load_raw(prod, None, run_id="dev-schemas")  # the shared source the pipeline loads
    with connect(prod, read_only=False) as connection:  # what prod built before: must stay as it is
        connection.cursor().execute("create schema gold; create table gold.built_by_prod (x int)")

    monkeypatch.setenv("EMPORIUM_DEV_SCHEMA", DEV)
    dev = replace(prod, dbt_target="postgres_dev")
    # one path through every layer: seeds, bronze, silver, a snapshot, gold (and the tests within it)
    selection = ("+dim_customers", "+dim_channels", "+snap_customers", "countries")
    run_dbt(
        dev,
        "build",
        "--select",
        *selection,
        "--indirect-selection",
        "cautious",
        "--exclude",
        "tag:truth",
        quiet=True,
    )

    schemas = _schemas(prod)
    built = {schema for schema in schemas if schema.startswith(f"{DEV}_")}
    assert {f"{DEV}_{layer}" for layer in ("seeds", "bronze", "silver", "snapshots", "gold")} <= built
    assert "dim_customers" in schemas[f"{DEV}_gold"] and "customers" in schemas[f"{DEV}_silver"]
    assert schemas["gold"] == ["built_by_prod"], "the bare gold schema is left as prod built it"
    assert not {"seeds", "bronze", "silver", "snapshots"} & schemas.keys(), "no bare layer schema is created"
