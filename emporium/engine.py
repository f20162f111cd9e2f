"""The warehouse engine: the one place that knows how DuckDB and Postgres differ on the Python side.

    engine = engine_for(settings)            # DuckDBEngine or PostgresEngine, from DBT_TARGET
    with engine.connect(read_only=True) as connection:
        rows = fetch_all(connection, "select ... where x = %s", (1,))

SQL differences live in dispatched dbt macros; this object covers connections, parameter style, the
SQLAlchemy URL (Great Expectations), commits, statements run inside a connection's transaction (`query`)
and bulk loads of CSV files (`load_csv`). Add an engine by subclassing `Engine` and registering it in
`ENGINES` under its dbt target name; code elsewhere asks the engine object (`engine_for(settings)`, or
`engine_of(connection)` where it only has a connection) and never compares engine names or drivers
(tests/test_engine_boundary.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from emporium.config import Settings


class Engine:
    name: ClassVar[str]
    placeholder: ClassVar[str]  # DB-API parameter marker
    driver_modules: ClassVar[tuple[str, ...]]  # top-level module(s) of the driver's connection class

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def owns(cls, connection: Any) -> bool:
        """Whether `connection` is a DB-API connection of this engine's driver."""
        return type(connection).__module__.split(".")[0] in cls.driver_modules

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
        sql = f"insert into {table} select * from read_csv(?, all_varchar = true, header = true)"
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


ENGINES: dict[str, type[Engine]] = {engine.name: engine for engine in (DuckDBEngine, PostgresEngine)}


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
    rows = fetch_all(
        connection,
        "select table_name from information_schema.tables where table_schema = %s order by table_name",
        (schema,),
    )
    return [name for (name,) in rows]


def ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def column_list(columns: Collection[str]) -> str:
    return ", ".join(ident(c) for c in columns)
