"""The GX-on-DuckDB workaround (quality/gx_duckdb.py): fails as soon as GX changes under it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations as gx
from great_expectations.execution_engine import sqlalchemy_execution_engine as engine_module

from quality import gx_duckdb


def test_gx_still_has_the_persisted_connection_tuple() -> None:
    assert isinstance(engine_module._PERSISTED_CONNECTION_DIALECTS, tuple)
    assert all(hasattr(d, "value") for d in engine_module._PERSISTED_CONNECTION_DIALECTS)
    gx_duckdb.apply()
    gx_duckdb.apply()  # idempotent
    assert gx_duckdb.is_applied()
    assert sum(d == "duckdb" for d in engine_module._PERSISTED_CONNECTION_DIALECTS) == 1
    assert engine_module._dialect_requires_persisted_connection(connection_string="duckdb:///x.duckdb")


def test_tiny_duckdb_table_validates_with_the_right_counts(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema silver")
        connection.execute(
            "create table silver.t as select * from (values (1, 'a'), (2, null), (2, 'b')) v(id, s)"
        )
    gx_duckdb.apply()
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="t", connection_string=f"duckdb:///{path}")
    batch = source.add_query_asset(name="t", query="select * from silver.t").add_batch_definition_whole_table(
        "all"
    )
    nulls = batch.get_batch().validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="s"))
    unique = batch.get_batch().validate(gx.expectations.ExpectColumnValuesToBeUnique(column="id"))
    assert nulls.success is False and nulls.result["unexpected_count"] == 1
    assert unique.success is False and unique.result["unexpected_count"] == 2
    ok = batch.get_batch().validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="id"))
    assert ok.success is True and ok.result["unexpected_count"] == 0
