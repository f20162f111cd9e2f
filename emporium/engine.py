"""The warehouse engine: the one place that knows how DuckDB and Postgres differ on the Python side.

    engine = engine_for(settings)            # DuckDBEngine or PostgresEngine, from DBT_TARGET
    with engine.connect(read_only=True) as connection:
        rows = fetch_all(connection, "select ... where x = %s", (1,))

SQL differences live in dispatched dbt macros; this object covers connections, parameter style, the
SQLAlchemy URL or Spark session (Great Expectations), DDL type names, commits, statements run inside a
connection's transaction (`query`) and bulk loads of CSV files and data frames (`load_csv`, `load_frame`).
Add an engine by subclassing `Engine` and registering it in `ENGINES` under its dbt target name; code
elsewhere asks the engine object (`engine_for(settings)`, or `engine_of(connection)` where it only has a
connection) and never compares engine names or drivers (tests/test_engine_boundary.py).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from emporium.config import Settings


class Engine:
    name: ClassVar[str]
    placeholder: ClassVar[str]  # DB-API parameter marker
    driver_modules: ClassVar[tuple[str, ...]]  # top-level module(s) of the driver's connection class
    text_type: ClassVar[str] = "text"  # the column type of free text in DDL the Python side writes
    table_options: ClassVar[str] = ""  # after a CREATE TABLE's column list (the storage format)
    # standard SQL type names this engine spells differently in DDL (column_type)
    type_spellings: ClassVar[dict[str, str]] = {}

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def owns(cls, connection: Any) -> bool:
        """Whether `connection` is a DB-API connection of this engine's driver."""
        return type(connection).__module__.split(".")[0] in cls.driver_modules

    @classmethod
    def column_type(cls, declaration: str) -> str:
        """A column's type in DDL (`varchar not null`, `double precision`) as this engine spells it."""
        for standard, spelling in cls.type_spellings.items():
            declaration = re.sub(rf"\b{standard}\b", spelling, declaration)
        return declaration

    @classmethod
    def query(cls, connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of `sql` (parameters written %s) run on `connection` itself, inside the transaction it has
        open (`begin`), so a multi-statement load commits or rolls back as one."""
        return _cursor_rows(connection, sql.replace("%s", cls.placeholder), params)

    @classmethod
    def load_csv(cls, connection: Any, table: str, columns: Sequence[str], path: Path) -> None:
        """Append the rows of a CSV file with a header row (`columns`, in file order) to `table`, an existing
        table of text columns (a qualified SQL name), every value as text, on `connection` itself."""
        raise NotImplementedError

    @classmethod
    def load_frame(cls, connection: Any, table: str, frame: Any) -> None:
        """Append a pandas DataFrame's rows (its columns by name; NaN and None are null) to `table` through
        a CSV file and `load_csv`: one bulk statement, where a multi-row insert of parameters binds each value
        on its own."""
        with tempfile.TemporaryDirectory(prefix="emporium-rows-") as folder:
            path = Path(folder) / "rows.csv"
            frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, na_rep="")
            cls.load_csv(connection, table, [str(column) for column in frame.columns], path)

    @classmethod
    def tables(cls, connection: Any, schema: str) -> list[str]:
        """The tables of `schema`, by name."""
        rows = cls.query(
            connection,
            "select table_name from information_schema.tables where table_schema = %s order by table_name",
            (schema,),
        )
        return [name for (name,) in rows]

    @classmethod
    def columns(cls, connection: Any, schema: str, table: str) -> list[str]:
        """The columns of `schema.table` in order; empty when there is no such table."""
        rows = cls.query(
            connection,
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
            " order by ordinal_position",
            (schema, table),
        )
        return [name for (name,) in rows]

    @classmethod
    def create_text_table(cls, connection: Any, table: str, columns: Sequence[str]) -> None:
        """Create `table` (qualified) of text columns."""
        definition = ", ".join(f"{ident(c)} {cls.text_type}" for c in columns)
        cls.query(connection, f"create table {table} ({definition}){cls.table_options}")

    @classmethod
    def delete_partitions(cls, connection: Any, table: str, partition: str, values: Collection[str]) -> None:
        """Remove the rows of `table` whose `partition` column holds one of `values` (text literals)."""
        if values:
            listed = ", ".join("'" + value.replace("'", "''") + "'" for value in sorted(values))
            cls.query(connection, f"delete from {table} where {ident(partition)} in ({listed})")

    @classmethod
    def delete_where(cls, connection: Any, table: str, predicate: str) -> None:
        """Remove the rows of `table` where the SQL `predicate` holds."""
        cls.query(connection, f"delete from {table} where {predicate}")

    @classmethod
    def update_row(cls, connection: Any, table: str, key: tuple[str, Any], values: dict[str, Any]) -> None:
        """Set `values` (column -> value) on the rows of `table` whose key column (key[0]) equals key[1]."""
        assignments = ", ".join(f"{column} = %s" for column in values)
        cls.query(
            connection, f"update {table} set {assignments} where {key[0]} = %s", (*values.values(), key[1])
        )

    def _open(self, read_only: bool) -> Any:
        raise NotImplementedError

    @contextmanager
    def connect(self, *, read_only: bool = True) -> Iterator[Any]:
        connection = self._open(read_only)
        try:
            yield connection
            if not read_only:
                connection.commit()
        finally:
            connection.close()

    def begin(self, connection: Any) -> None:
        """Open an explicit transaction on a connection from `connect` (a no-op where one is always open)."""

    def sqlalchemy_url(self) -> str:
        raise NotImplementedError

    def sqlalchemy_kwargs(self, *, read_only: bool = True) -> dict[str, Any]:
        return {}

    def spark_session(self) -> Any | None:
        """The Spark session whose tables Great Expectations reads as DataFrames (its Spark datasource); None
        where GX reads the warehouse through SQLAlchemy (`sqlalchemy_url`)."""
        return None

    def copy_for_readers(self, schema: str, tables: Sequence[str], dest: Path) -> bool:
        """Copy `schema`.`tables` into a file `dest` that other processes may read while the warehouse is
        written; False when the engine's readers query the server itself (nothing copied)."""
        return False

    def evidence_source(self, copy: Path, schema: str) -> tuple[dict[str, Any], dict[str, str]]:
        """An Evidence data source reading `schema` (its connection.yaml as a dict) and the secrets it takes
        from the environment (EVIDENCE_SOURCE__<name>__<option>); `copy` is where copy_for_readers wrote."""
        raise NotImplementedError(f"no Evidence connector configured for {self.describe()}")

    def describe(self) -> str:
        raise NotImplementedError


class DuckDBEngine(Engine):
    name = "duckdb"
    placeholder = "?"
    driver_modules = ("duckdb", "_duckdb")  # the connection class lives in the extension module _duckdb

    def _open(self, read_only: bool) -> Any:
        import duckdb

        path = self.settings.warehouse_path
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(path), read_only=read_only)
        connection.execute("set enable_progress_bar = false")
        # SET, not connect(config=...): a second connection to the same file in this process (tests, Great
        # Expectations) would otherwise fail on a configuration that differs from the first one's
        for name, value in self.settings.duckdb.config().items():
            (current,) = connection.execute("select current_setting(?)", [name]).fetchone()
            if str(current) == value:
                continue
            quoted = value.replace("'", "''")
            try:
                connection.execute(f"set {name} = '{quoted}'")
            except duckdb.NotImplementedException:
                # the database is open in this process and has spilled already: DuckDB keeps its directory
                if name != "temp_directory":
                    raise
        return connection

    def begin(self, connection: Any) -> None:
        connection.begin()  # the Python client autocommits each statement otherwise

    @classmethod
    def query(cls, connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # not through a cursor: a DuckDB cursor() is a second connection, whose statements would escape the
        # transaction open on this one
        result = connection.execute(sql.replace("%s", cls.placeholder), list(params) or None)
        return [tuple(row) for row in result.fetchall()] if result.description else []

    @classmethod
    def load_csv(cls, connection: Any, table: str, columns: Sequence[str], path: Path) -> None:
        # the file's columns (`columns`, in file order) by name, whatever the table's order
        read = "read_csv(?, all_varchar = true, header = true)"
        sql = f"insert into {table} ({column_list(columns)}) select * from {read}"
        connection.execute(sql, [str(path)])

    def sqlalchemy_url(self) -> str:
        return f"duckdb:///{self.settings.warehouse_path}"

    def sqlalchemy_kwargs(self, *, read_only: bool = True) -> dict[str, Any]:
        return {"connect_args": {"read_only": read_only}}

    def describe(self) -> str:
        return f"DuckDB {self.settings.warehouse_path}"

    def copy_for_readers(self, schema: str, tables: Sequence[str], dest: Path) -> bool:
        # One writer per DuckDB file: a reader in another process would block the pipeline (or be blocked).
        import duckdb

        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        with duckdb.connect(str(partial)) as connection:
            warehouse = str(self.settings.warehouse_path).replace("'", "''")  # ATTACH takes no parameters
            connection.execute(f"attach '{warehouse}' as warehouse (read_only)")
            connection.execute(f"create schema {schema}")
            for table in tables:
                connection.execute(
                    f"create table {schema}.{table} as select * from warehouse.{schema}.{table}"
                )
        partial.replace(dest)
        return True

    def evidence_source(self, copy: Path, schema: str) -> tuple[dict[str, Any], dict[str, str]]:
        return {"type": "duckdb", "options": {"filename": str(copy)}}, {}


class PostgresEngine(Engine):
    name = "postgres"
    placeholder = "%s"
    driver_modules = ("psycopg2",)

    def _open(self, read_only: bool) -> Any:
        import psycopg2

        return psycopg2.connect(**self.settings.postgres.connection_params())

    @classmethod
    def load_csv(cls, connection: Any, table: str, columns: Sequence[str], path: Path) -> None:
        with connection.cursor() as cursor, path.open("rb") as stream:
            copy = f"copy {table} ({column_list(columns)}) from stdin with (format csv, header true)"
            cursor.copy_expert(copy, stream)

    def sqlalchemy_url(self) -> str:
        return self.settings.postgres.sqlalchemy_url()

    def evidence_source(self, copy: Path, schema: str) -> tuple[dict[str, Any], dict[str, str]]:
        pg = self.settings.postgres
        options = {
            "host": pg.host,
            "port": pg.port,
            "user": pg.user,
            "database": pg.database,
            "schema": schema,
        }
        return {"type": "postgres", "options": {**options, "ssl": False}}, {"password": pg.password}

    def describe(self) -> str:
        pg = self.settings.postgres
        return f"PostgreSQL {pg.host}:{pg.port}/{pg.database}"


class SparkEngine(Engine):
    """Spark through a Spark Connect server (scripts/spark-cluster.sh starts one on a standalone cluster):
    plain Parquet tables, no transactions, no UPDATE or DELETE. Slices are replaced as table partitions and
    small tables rewritten whole (docs/scaling.md). Needs the `spark` extra (.venv-spark)."""

    name = "spark"
    placeholder = "?"
    driver_modules = ()
    text_type = "string"
    # not partitioned by day: 120 day partitions made every write and scan of the tiny world ~8x slower here
    table_options = " using parquet"
    type_spellings: ClassVar[dict[str, str]] = {  # Spark's varchar needs a length
        "varchar": "string",
        "text": "string",
        "double precision": "double",
    }

    @classmethod
    def owns(cls, connection: Any) -> bool:
        from emporium.spark_session import SparkConnection

        return isinstance(connection, SparkConnection)

    def _open(self, read_only: bool) -> Any:
        from emporium.spark_session import SparkConnection

        return SparkConnection.open(self.settings.spark_remote)

    @classmethod
    def load_csv(cls, connection: Any, table: str, columns: Sequence[str], path: Path) -> None:
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        convert = pa_csv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        )
        connection.append(table, pa_csv.read_csv(path, convert_options=convert).select(list(columns)))

    @classmethod
    def tables(cls, connection: Any, schema: str) -> list[str]:
        if schema not in {name for (name,) in cls.query(connection, "show schemas")}:
            return []
        rows = cls.query(connection, f"show tables in {schema}")
        return sorted(name for _, name, temporary in rows if not temporary)

    @classmethod
    def columns(cls, connection: Any, schema: str, table: str) -> list[str]:
        if table not in cls.tables(connection, schema):
            return []
        return [name for (name,) in cls.query(connection, f"show columns in {schema}.{ident(table)}")]

    @classmethod
    def delete_partitions(cls, connection: Any, table: str, partition: str, values: Collection[str]) -> None:
        if values:
            listed = ", ".join("'" + value.replace("'", "''") + "'" for value in sorted(values))
            cls.delete_where(connection, table, f"{ident(partition)} in ({listed})")

    @classmethod
    def delete_where(cls, connection: Any, table: str, predicate: str) -> None:
        connection.rewrite(table, f"select * from {table} where not coalesce({predicate}, false)")

    @classmethod
    def update_row(cls, connection: Any, table: str, key: tuple[str, Any], values: dict[str, Any]) -> None:
        described = cls.query(connection, f"describe table {table}")
        types = {name: kind for name, kind, _ in described if name and not name.startswith("#")}
        select = ", ".join(
            f"case when {key[0]} = ? then cast(? as {kind}) else {name} end as {name}"
            if name in values
            else name
            for name, kind in types.items()
        )
        params = [param for name in types if name in values for param in (key[1], values[name])]
        connection.rewrite(table, f"select {select} from {table}", params)

    def sqlalchemy_url(self) -> str:
        raise NotImplementedError(
            "Spark has no SQLAlchemy URL: Great Expectations reads it as a Spark datasource (spark_session)"
        )

    def spark_session(self) -> Any:
        from emporium.spark_session import SparkConnection

        return SparkConnection.open(self.settings.spark_remote).session

    def describe(self) -> str:
        return f"Spark {self.settings.spark_remote}"


ENGINES: dict[str, type[Engine]] = {
    engine.name: engine for engine in (DuckDBEngine, PostgresEngine, SparkEngine)
}


def engine_for(settings: Settings) -> Engine:
    try:
        return ENGINES[settings.dbt_target](settings)
    except KeyError:
        known = "', '".join(ENGINES)
        raise ValueError(f"unknown DBT_TARGET {settings.dbt_target!r}: expected '{known}'") from None


def engine_of(connection: Any) -> type[Engine]:
    """The engine a DB-API connection (from `connect`) belongs to, for code that holds only the connection."""
    for engine in ENGINES.values():
        if engine.owns(connection):
            return engine
    kind = type(connection)
    raise TypeError(f"{kind.__module__}.{kind.__qualname__} is not a connection of a known engine")


@contextmanager
def connect(settings: Settings, *, read_only: bool = True) -> Iterator[Any]:
    """A DB-API connection to the configured warehouse; a writable one commits when the block succeeds."""
    with engine_for(settings).connect(read_only=read_only) as connection:
        yield connection


def fetch_all(connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of `sql`, through a cursor; write parameters as %s whatever the engine. Inside a load's
    transaction use `engine.query` instead (on DuckDB a cursor is a connection of its own)."""
    return _cursor_rows(connection, sql.replace("%s", engine_of(connection).placeholder), params)


def _cursor_rows(connection: Any, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params or None)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    finally:
        cursor.close()


def fetch_frame(connection: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    """Rows of `sql` as a pandas DataFrame with the statement's column names (parameters written %s)."""
    import pandas as pd

    cursor = connection.cursor()
    try:
        cursor.execute(sql.replace("%s", engine_of(connection).placeholder), params or None)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame([tuple(row) for row in cursor.fetchall()], columns=columns)
    finally:
        cursor.close()


def execute(connection: Any, sql: str, params: Sequence[Any] = ()) -> None:
    fetch_all(connection, sql, params)


def list_tables(connection: Any, schema: str) -> list[str]:
    return engine_of(connection).tables(connection, schema)


def ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def column_list(columns: Collection[str]) -> str:
    return ", ".join(ident(c) for c in columns)
