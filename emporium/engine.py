"""The warehouse engine: the one place that knows how DuckDB and Postgres differ on the Python side.

    engine = engine_for(settings)            # DuckDBEngine or PostgresEngine, from DBT_TARGET
    with engine.connect(read_only=True) as connection:
        rows = fetch_all(connection, "select ... where x = %s", (1,))

SQL differences live in dispatched dbt macros; this object covers connections, parameter style, the
SQLAlchemy URL (Great Expectations) and commits. Add an engine by subclassing `Engine` and registering it
in `ENGINES` under its dbt target name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from emporium.config import Settings


class Engine:
    name: ClassVar[str]
    placeholder: ClassVar[str]  # DB-API parameter marker
    single_writer: ClassVar[bool] = False  # one writing process at a time (an embedded file)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

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

    def describe(self) -> str:
        raise NotImplementedError


class DuckDBEngine(Engine):
    name = "duckdb"
    placeholder = "?"
    single_writer = True

    def _open(self, read_only: bool) -> Any:
        import duckdb

        path = self.settings.warehouse_path
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(path), read_only=read_only)
        connection.execute("set enable_progress_bar = false")
        return connection

    def begin(self, connection: Any) -> None:
        connection.begin()  # the Python client autocommits each statement otherwise

    def sqlalchemy_url(self) -> str:
        return f"duckdb:///{self.settings.warehouse_path}"

    def sqlalchemy_kwargs(self, *, read_only: bool = True) -> dict[str, Any]:
        return {"connect_args": {"read_only": read_only}}

    def describe(self) -> str:
        return f"DuckDB {self.settings.warehouse_path}"


class PostgresEngine(Engine):
    name = "postgres"
    placeholder = "%s"

    def _open(self, read_only: bool) -> Any:
        import psycopg2

        return psycopg2.connect(**self.settings.postgres.connection_params())

    def sqlalchemy_url(self) -> str:
        return self.settings.postgres.sqlalchemy_url()

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


@contextmanager
def connect(settings: Settings, *, read_only: bool = True) -> Iterator[Any]:
    """A DB-API connection to the configured warehouse; a writable one commits when the block succeeds."""
    with engine_for(settings).connect(read_only=read_only) as connection:
        yield connection


def fetch_all(connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of `sql`; write parameters as %s whatever the engine."""
    if not type(connection).__module__.startswith("psycopg2"):
        sql = sql.replace("%s", "?")
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params or None)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
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
