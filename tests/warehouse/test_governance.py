"""Governance: no clear PII in gold/ml, documented catalog, the right to be forgotten, Postgres roles."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from emporium.config import PROJECT_ROOT, Settings
from emporium.dbt import run_dbt
from emporium.engine import connect, fetch_all
from emporium.governance import purge_customer
from tests.support import postgres_settings, settings_for

PII_COLUMNS = ("first_name", "last_name", "email", "phone", "street_address")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")


def _normal(value: Any) -> str:
    return str(value).strip().lower()


def _values(rows: Iterable[tuple[Any, ...]]) -> set[str]:
    return {_normal(value) for row in rows for value in row if value is not None and _normal(value)}


def customer_pii(
    settings: Settings, where: str = "1 = 1", relation: str = "silver.int_customers__history"
) -> set[str]:
    """The clear PII values (normalised) of the customers matching `where`, from silver's full history:
    e-mail, phone, street address and full name. A first or last name alone is not a needle: Faker's cities
    and brands are made of them ('David', 'Cruz'), so they match legitimately."""
    full_name = "first_name || ' ' || last_name"
    with connect(settings) as connection:
        rows = fetch_all(
            connection, f"select email, phone, street_address, {full_name} from {relation} where {where}"
        )
    return _values(rows)


def scan(settings: Settings, schemas: Iterable[str], needles: set[str], *, emails: bool) -> list[str]:
    """`schema.table.column: value` for every value equal to a needle (or shaped like an e-mail)."""
    hits = []
    with connect(settings) as connection:
        columns = fetch_all(connection, (
            "select c.table_schema, c.table_name, c.column_name from information_schema.columns c"
            " join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name"
            " where t.table_type = 'BASE TABLE' order by 1, 2, 3"
        ))  # fmt: skip
        for schema, table, column in columns:
            if schema not in schemas:
                continue
            values = fetch_all(
                connection, f'select distinct cast("{column}" as varchar) from {schema}.{table}'
            )
            for (value,) in values:
                if value is not None and (_normal(value) in needles or (emails and EMAIL.search(value))):
                    hits.append(f"{schema}.{table}.{column}: {value}")
    return hits


def all_schemas(settings: Settings) -> list[str]:
    with connect(settings) as connection:
        rows = fetch_all(connection, "select distinct table_schema from information_schema.tables")
    return sorted(schema for (schema,) in rows if schema not in SYSTEM_SCHEMAS)


def assert_gold_and_ml_hold_no_clear_pii(settings: Settings) -> None:
    needles = customer_pii(settings)
    assert len(needles) > 100, "silver should hold the customers' clear PII"
    # the scanner finds what is there: silver keeps the clear values, for engineers
    assert any(".email: " in hit for hit in scan(settings, ["silver"], needles, emails=True))
    hits = scan(settings, ["gold", "ml"], needles, emails=True)
    assert not hits, f"clear PII in gold/ml: {hits[:10]}"


def test_gold_and_ml_hold_no_clear_pii(tiny_warehouse: Settings) -> None:
    assert_gold_and_ml_hold_no_clear_pii(tiny_warehouse)


# --- catalog and lineage ----------------------------------------------------------------------------------


def assert_docs_generate_documents_gold_and_ml(settings: Settings) -> None:
    run_dbt(settings, "docs", "generate", quiet=True)
    manifest = json.loads((settings.dbt_target_path / "manifest.json").read_text())
    catalog = json.loads((settings.dbt_target_path / "catalog.json").read_text())
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    published = {uid: n for uid, n in models.items() if n["schema"] in ("gold", "ml")}
    assert {n["name"] for n in published.values()} >= {
        "dim_customers",
        "fct_orders",
        "fm_customer_churn_features",
    }
    problems = []
    for uid, node in published.items():
        if not node["description"].strip():
            problems.append(f"{node['name']}: no description")
        if not node["config"]["meta"].get("owner"):
            problems.append(f"{node['name']}: no meta owner")
        documented = {name.lower(): c for name, c in node["columns"].items()}
        if uid in catalog["nodes"]:
            built = {c.lower() for c in catalog["nodes"][uid]["columns"]}  # the columns the table really has
            problems += [f"{node['name']}.{c}: not documented" for c in sorted(built - set(documented))]
        elif "python_inputs" not in node["tags"]:  # only a model after a job of its own may be unbuilt here
            problems.append(f"{node['name']}: not built")
        problems += [f"{node['name']}.{c}: empty description" for c, doc in documented.items()
                     if not doc["description"].strip()]  # fmt: skip
        problems += [f"{node['name']}.{c}: tagged pii in gold/ml" for c, doc in documented.items()
                     if doc["meta"].get("pii")]  # fmt: skip
    for node in models.values():  # PII columns are tagged in every layer
        problems += [f"{node['name']}.{c}: PII without meta pii: true" for c in node["columns"]
                     if c in PII_COLUMNS and node["columns"][c]["meta"].get("pii") is not True]  # fmt: skip
    assert not problems, problems
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert exposures["customer_churn_model"]["type"] == "ml"
    assert (
        "model.emporium.fm_customer_churn_features"
        in exposures["customer_churn_model"]["depends_on"]["nodes"]
    )
    dashboards = [e for e in exposures.values() if e["type"] == "dashboard"]
    assert len(dashboards) >= 2 and all(e["owner"]["name"] and e["depends_on"]["nodes"] for e in dashboards)


def test_docs_generate_documents_gold_and_ml(tiny_warehouse: Settings) -> None:
    assert_docs_generate_documents_gold_and_ml(tiny_warehouse)


def test_grants_config_matches_schema_readers() -> None:
    """dbt_project.yml repeats var('schema_readers') in its grants configs (project configs cannot read vars)."""
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    readers = project["vars"]["schema_readers"]
    found = {}

    def walk(config: dict[str, Any], schema: str | None) -> None:
        schema = config.get("+schema", schema)
        if "+grants" in config:
            found[schema] = re.findall(r"'(\w+)'", config["+grants"].split("]")[0].split("[")[1])
        for value in config.values():
            if isinstance(value, dict):
                walk(value, schema)

    for section in ("models", "seeds", "snapshots"):
        walk(project[section], None)
    assert set(found) == {"seeds", "bronze", "silver", "gold", "ml", "snapshots"}
    assert {schema: readers[schema] for schema in found} == found


# --- the right to be forgotten ----------------------------------------------------------------------------


def _aggregates(settings: Settings, customer_id: int) -> tuple[Any, ...]:
    with connect(settings) as connection:
        revenue = fetch_all(connection, "select * from gold.mart_daily_revenue order by revenue_date")
        orders = fetch_all(connection, "select count(*), sum(net_amount) from gold.fct_orders")
        items = fetch_all(connection, "select count(*), sum(net_amount) from gold.fct_order_items")
        theirs = fetch_all(
            connection, "select count(*) from gold.fct_orders where customer_id = %s", (customer_id,)
        )
    return revenue, orders, items, theirs


# bronze quarantines customer_id as text: a regex guard and a cast both engines run (Postgres has no try_cast)
QUARANTINED_ID = (
    "case when trim(customer_id) ~ '^[+-]?[0-9]{1,18}$' then cast(trim(customer_id) as bigint) end"
)


def assert_purge_erases_everywhere(
    settings: Settings, build_warehouse: Callable[[Settings, bool], None], keeps_pii: tuple[str, ...] = ()
) -> None:
    """Build, purge one customer, then check their PII is gone from every schema but `keeps_pii` after the
    purge, a full refresh and an incremental build, with every aggregate unchanged."""
    build_warehouse(settings, True)
    with connect(settings) as connection:
        # a customer with orders, several versions and (if any) a quarantined row: the hardest to erase
        [(customer_id,)] = fetch_all(connection, (
            "select h.customer_id from silver.int_customers__history h"
            " join gold.fct_orders o on o.customer_id = h.customer_id"
            " left join (select " + QUARANTINED_ID + " as customer_id, email from bronze.quarantine_customers) q"
            " on q.customer_id = h.customer_id"
            " group by 1 order by count(distinct q.email) desc, count(distinct h.valid_from) desc,"
            " count(distinct o.order_id) desc, 1 limit 1"
        ))  # fmt: skip
    theirs = customer_pii(settings, f"customer_id = {customer_id}")
    # and what bronze quarantined of theirs (malformed e-mails, ...)
    theirs |= customer_pii(settings, f"{QUARANTINED_ID} = {customer_id}", "bronze.quarantine_customers")
    needles = theirs - customer_pii(settings, f"customer_id <> {customer_id}")  # values only they have
    assert {_normal(v) for v in theirs if "@" in v} <= needles, "their e-mails are theirs alone"

    def schemas() -> list[str]:
        return [schema for schema in all_schemas(settings) if schema not in keeps_pii]

    assert {"bronze", "silver", "snapshots", "gold", "ml", "governance"} <= set(schemas())
    assert scan(settings, schemas(), needles, emails=False), "before the purge their PII is in the warehouse"
    before = _aggregates(settings, customer_id)
    assert before[3][0][0] > 0

    purge_customer(settings, customer_id)

    def assert_erased(when: str) -> None:
        hits = scan(settings, schemas(), needles, emails=False)
        assert not hits, f"{when}: customer {customer_id}'s PII remains: {hits[:10]}"
        assert _aggregates(settings, customer_id) == before, f"{when}: aggregates changed"
        with connect(settings) as connection:
            assert fetch_all(connection, "select customer_id from governance.erasure_requests") == [
                (customer_id,)
            ]
            flags = fetch_all(connection, "select distinct is_erased from gold.dim_customers where customer_id = %s",
                              (customer_id,))  # fmt: skip
            assert flags == [(True,)], when
            features = "select count(*) from ml.fm_customer_churn_features where customer_id = %s"
            assert fetch_all(connection, features, (customer_id,)) == [(0,)], when

    assert_erased("after the purge")
    build_warehouse(settings, True)  # a full refresh rebuilds every model from the landing zone
    assert_erased("after a full refresh")
    build_warehouse(settings, False)
    assert_erased("after an incremental build")


@pytest.mark.slow
def test_purge_customer_erases_everywhere_and_survives_rebuilds(
    tiny_landing: Settings, build_warehouse: Callable[[Settings, bool], None], tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, EMPORIUM_LANDING_DIR=str(tiny_landing.landing_dir))
    # raw and raw_truth are the landing feed's copy: they keep PII until the feed's retention window (README)
    assert_purge_erases_everywhere(settings, build_warehouse, keeps_pii=("raw", "raw_truth"))


PURGE_DATABASE = "emporium_purge"


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.full  # three more Postgres builds (4 min); make test purges on DuckDB, make spark-check on Spark
def test_postgres_purge_customer_erases_everywhere_and_survives_rebuilds(
    tiny_landing: Settings,
    postgres_server: dict[str, str],
    build_warehouse: Callable[[Settings, bool], None],
    tmp_path: Path,
) -> None:
    """The same guarantee on PostgreSQL, in a database of its own so the shared postgres_warehouse stays
    untouched. Schemas raw and raw_truth are the landing feed's copy: they keep PII until the feed's retention
    window (README), so the scan leaves them out."""
    import psycopg2

    settings = postgres_settings(
        tmp_path, tiny_landing.landing_dir, postgres_server, EMPORIUM_PG_DATABASE=PURGE_DATABASE
    )
    connection = psycopg2.connect(**{**settings.postgres.connection_params(),
                                     "dbname": postgres_server["EMPORIUM_PG_DATABASE"]})  # fmt: skip
    try:
        connection.autocommit = True  # create database cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute(f"drop database if exists {PURGE_DATABASE}")
            cursor.execute(f"create database {PURGE_DATABASE}")
    finally:
        connection.close()
    assert_purge_erases_everywhere(settings, build_warehouse, keeps_pii=("raw", "raw_truth"))


# --- Postgres: roles --------------------------------------------------------------------------------------

# role -> relation -> may it read it
ACCESS = {
    "analyst": {"gold.fct_orders": True, "gold.dim_customers": True, "silver.customers": False,
                "bronze.stg_shop__customers": False, "bronze.stg_shop__orders": False,
                "ml.fm_customer_churn_features": False, "snapshots.snap_customers": False, "raw.customers": False},
    "data_scientist": {"gold.fct_orders": True, "ml.fm_customer_churn_features": True, "silver.customers": False,
                       "silver.int_customers__history": False, "bronze.stg_shop__customers": False,
                       "snapshots.snap_customers": False},
    "engineer": {"gold.fct_orders": True, "ml.fm_customer_churn_features": True, "silver.customers": True,
                 "silver.int_customers__history": True, "bronze.stg_shop__customers": True,
                 "bronze.quarantine_customers": True, "snapshots.snap_customers": True, "seeds.channels": True,
                 "governance.erasure_requests": True, "raw.customers": True},
}  # fmt: skip


def _read_as(settings: Settings, role: str, relation: str) -> tuple[bool, str]:
    import psycopg2

    params = {**settings.postgres.connection_params(), "user": f"emporium_{role}"}
    connection = psycopg2.connect(**params)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"select count(*) from {relation}")
            return True, str(cursor.fetchone()[0])
    except psycopg2.errors.InsufficientPrivilege as error:
        return False, str(error).strip()
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_roles_read_only_what_they_may(postgres_warehouse: Settings) -> None:
    wrong = []
    for role, relations in ACCESS.items():
        for relation, allowed in relations.items():
            readable, detail = _read_as(postgres_warehouse, role, relation)
            if readable != allowed:
                wrong.append(f"{role} {'cannot' if allowed else 'can'} read {relation}: {detail}")
            elif not readable:
                assert "permission denied" in detail, detail
    assert not wrong, wrong
    # without schema USAGE the table grants decide nothing; check they are right as well
    with connect(postgres_warehouse) as connection:
        privileges = fetch_all(connection, (
            "select has_table_privilege('analyst', 'gold.fct_orders', 'select'),"
            " has_table_privilege('analyst', 'silver.customers', 'select'),"
            " has_table_privilege('analyst', 'ml.fm_customer_churn_features', 'select'),"
            " has_table_privilege('data_scientist', 'ml.fm_customer_churn_features', 'select'),"
            " has_table_privilege('data_scientist', 'silver.customers', 'select'),"
            " has_table_privilege('engineer', 'snapshots.snap_customers', 'select')"
        ))  # fmt: skip
    assert privileges == [(True, False, False, True, False, True)]


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_gold_has_no_clear_pii_and_docs_generate(postgres_warehouse: Settings) -> None:
    assert_gold_and_ml_hold_no_clear_pii(postgres_warehouse)
    assert_docs_generate_documents_gold_and_ml(postgres_warehouse)
