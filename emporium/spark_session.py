"""A DB-API-shaped connection over a Spark Connect session, so the Python side (raw load, truth load,
summaries, tests) talks to Spark the way it talks to DuckDB and Postgres (emporium/engine.py, SparkEngine).

Statements run at once (`?` parameters); there are no transactions: commit and rollback do nothing. pyspark
is imported only here and only when a connection opens (the `spark` extra, .venv-spark).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse


class SparkUnavailable(RuntimeError):
    """No Spark Connect server answers at the configured address (EMPORIUM_SPARK_REMOTE)."""


def check_reachable(remote: str, timeout: float = 5.0) -> None:
    """A clear error instead of gRPC's retries when nothing listens at `remote` (sc://host:port)."""
    address = urlparse(remote)
    if address.scheme != "sc" or not address.hostname or not address.port:
        raise SparkUnavailable(
            f"EMPORIUM_SPARK_REMOTE={remote!r} is not a Spark Connect URL (sc://host:port)"
        )
    try:
        with socket.create_connection((address.hostname, address.port), timeout=timeout):
            pass
    except OSError as error:
        raise SparkUnavailable(
            f"no Spark Connect server at {remote} ({error.strerror or error}): start the cluster with "
            '`scripts/spark-cluster.sh start` and `eval "$(scripts/spark-cluster.sh env)"`'
        ) from None


class SparkCursor:
    def __init__(self, session: Any) -> None:
        self._session = session
        self.description: list[tuple[Any, ...]] | None = None
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        frame = self._session.sql(sql, args=list(params)) if params else self._session.sql(sql)
        fields = frame.schema.fields
        self._rows = [tuple(row) for row in frame.collect()]
        self.description = [
            (f.name, f.dataType.simpleString(), None, None, None, None, f.nullable) for f in fields
        ]
        if not fields:
            self.description = None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def close(self) -> None:
        self._rows = []


# rows per write of SparkConnection.append: about 50 MB of text for web events, well inside the driver's heap
APPEND_ROWS = 250_000


class SparkConnection:
    def __init__(self, session: Any) -> None:
        self.session = session

    @classmethod
    def open(cls, remote: str) -> SparkConnection:
        check_reachable(remote)
        from pyspark.sql import SparkSession

        # the client logs every failed statement with its JVM stack trace; callers get the exception anyway
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        return cls(SparkSession.builder.remote(remote).getOrCreate())

    def cursor(self) -> SparkCursor:
        return SparkCursor(self.session)

    def append(self, table: str, arrow: Any) -> None:
        """Append an Arrow table (columns in `table`'s order) to `table`, each column cast to the table's type
        (Spark refuses to store text in a typed column implicitly; the other engines' loads cast).

        In slices of APPEND_ROWS: the rows travel to the cluster through the Connect server (the driver), which
        holds each slice in its heap; a whole entity at once (7 M web events at SF 1) ran a 2 GB driver out
        of memory."""
        fields = self.session.table(table).schema.fields if arrow.num_rows else []
        for start in range(0, arrow.num_rows, APPEND_ROWS):
            frame = self.session.createDataFrame(arrow.slice(start, APPEND_ROWS))
            casts = [
                frame[name].cast(field.dataType) for name, field in zip(frame.columns, fields, strict=True)
            ]
            frame.select(*casts).write.insertInto(table)

    def rewrite(self, table: str, select: str, params: Sequence[Any] = ()) -> None:
        """Replace `table` by the rows of `select` (which may read `table`): Parquet tables have no UPDATE or
        DELETE, and Spark refuses to overwrite a table it reads, so the rows go to a new table on the cluster
        that then takes the old one's name (not atomic: a reader in between may find no table)."""
        staged = f'{table[:-1]}__rewrite"' if table.endswith('"') else f"{table}__rewrite"  # quoted or not
        self.run(f"drop table if exists {staged}")
        self.run(f"create table {staged} using parquet as {select}", params)
        self.run(f"drop table {table}")
        self.run(f"alter table {staged} rename to {table}")

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one statement now; its rows."""
        return (self.session.sql(sql, args=list(params)) if params else self.session.sql(sql)).collect()

    def commit(self) -> None:
        """Statements take effect at once."""

    def rollback(self) -> None:
        """Nothing to roll back."""

    def close(self) -> None:
        """The session stays for the process's next connection (a new one costs a round trip per setting)."""
