"""Where a gate's Great Expectations batches come from: one GX datasource per gate, chosen by what the engine
offers (emporium/engine.py), so quality/gates.py validates the same expectations on every engine.

- SQL engines (DuckDB, Postgres): GX's SQL datasource on the engine's SQLAlchemy URL, one query asset per
  relation, all of a layer validated in one checkpoint run; every connection GX opened is closed afterwards.
- Spark: GX's Spark datasource on the cluster's Spark Connect session (GX reuses the session the engine
  opened: `SparkDFExecutionEngine.get_or_create_spark_session`), one dataframe asset per relation whose
  batch is the table as a DataFrame, given at run time, so one checkpoint run per relation. The queries run
  on the cluster (`{batch}` becomes a temporary view of the table). Spark has no information_schema: the
  catalog's columns of the validated layers are served as a temporary view, and the schema checks' queries
  read that instead (tests/quality/test_gx_sources.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from emporium.engine import Engine
from quality.suites import COLUMNS_CATALOG


@dataclass
class CheckpointRun:
    """Relations validated in one checkpoint run, and the batch parameters that run passes."""

    batches: dict[str, Any]  # relation -> its GX batch definition
    parameters: dict[str, Any] | None = None


class WarehouseSource(Protocol):
    def query(self, sql: str) -> str:
        """An unexpected-rows query as this datasource must run it."""
        ...

    def add(self, context: Any, name: str, relations: list[str]) -> list[CheckpointRun]:
        """Add datasource `name` to the GX context with an asset per relation; the checkpoint runs."""
        ...

    def release(self) -> None:
        """Close what the datasource opened on the warehouse."""
        ...


def source_for(engine: Engine) -> WarehouseSource:
    session = engine.spark_session()
    return SqlSource(engine) if session is None else SparkSource(session)


class SqlSource:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.datasource: Any = None

    def query(self, sql: str) -> str:
        return sql

    def add(self, context: Any, name: str, relations: list[str]) -> list[CheckpointRun]:
        # Assets declared with the datasource: added one by one, GX re-serialises its config for each.
        self.datasource = context.data_sources.add_sql(
            name=name,
            connection_string=self.engine.sqlalchemy_url(),
            kwargs=self.engine.sqlalchemy_kwargs(),
            assets=[
                {
                    "type": "query",
                    "name": relation,
                    "query": f"select * from {relation}",
                    "batch_definitions": [{"name": "all"}],
                }
                for relation in relations
            ],
        )
        batches = {r: self.datasource.get_asset(r).get_batch_definition("all") for r in relations}
        return [CheckpointRun(batches)]

    def release(self) -> None:
        """Close every connection GX opened on the warehouse, so no process keeps the DuckDB file open.

        The datasource has two engines: its own (it tests the connection) and its execution engine's, whose
        persisted connection (gx_duckdb) GX never closes itself. write_results opens the warehouse for
        writing right after this, which fails in-process while any of them is still open.
        """
        if self.datasource is None:
            return
        execution_engine = self.datasource.get_execution_engine()
        connection = getattr(execution_engine, "_connection", None)
        if connection is not None:
            connection.close()
            execution_engine._connection = None
        execution_engine.engine.dispose()
        self.datasource.get_engine().dispose()


# the temporary view of the catalog's columns that the schema checks read on Spark
COLUMNS_VIEW = "gate_information_schema_columns"


class SparkSource:
    def __init__(self, session: Any) -> None:
        self.session = session

    def query(self, sql: str) -> str:
        return sql.replace(COLUMNS_CATALOG, COLUMNS_VIEW)

    def add(self, context: Any, name: str, relations: list[str]) -> list[CheckpointRun]:
        self._publish_columns(sorted({relation.split(".", 1)[0] for relation in relations}))
        datasource = context.data_sources.add_spark(name=name)
        runs = []
        for relation in relations:
            batch = datasource.add_dataframe_asset(relation).add_batch_definition_whole_dataframe("all")
            runs.append(CheckpointRun({relation: batch}, {"dataframe": self.session.table(relation)}))
        return runs

    def _publish_columns(self, schemas: list[str]) -> None:
        catalog = self.session.catalog
        rows = [
            (schema, table.name, column.name, column.dataType)
            for schema in schemas
            if catalog.databaseExists(schema)
            for table in catalog.listTables(schema)
            if not table.isTemporary
            for column in catalog.listColumns(table.name, schema)
        ]
        columns = "table_schema string, table_name string, column_name string, data_type string"
        self.session.createDataFrame(rows, columns).createOrReplaceTempView(COLUMNS_VIEW)

    def release(self) -> None:
        """The session stays open for the process (emporium/spark_session.py); the temporary views with it."""
