"""Accepted landing files into Postgres' raw.<entity> with COPY, one file at a time.

Every value gets the text DuckDB's reader gives it (ingest/duckdb_writer.py), so both engines hold the
same raw rows: CSV through COPY with empty fields as NULL (quoted or not, like read_csv), Parquet rendered
like DuckDB's `::varchar`, JSON lines as the raw line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from emporium.contract import Entity
from emporium.engine import PostgresEngine, column_list, ident
from ingest.landing_zone import LandingFile
from ingest.raw_tables import JSON_LINE_COLUMN, RAW_SCHEMA, LoadError, data_columns, raw_columns

ENGINE = PostgresEngine  # the engine this writer loads (ingest/raw_load.py picks the writer by engine class)


def insert_files(connection: Any, entity: Entity, files: Sequence[LandingFile]) -> int:
    """Append the files' rows to raw.<entity>; returns the rows inserted."""
    table = f"{RAW_SCHEMA}.{ident(entity.name)}"
    total = 0
    with connection.cursor() as cursor:
        for file in files:
            try:
                if entity.fmt == "csv":
                    total += _copy_csv(cursor, table, file)
                else:
                    text = parquet_as_text(file) if entity.fmt == "parquet" else json_lines_as_text(file)
                    total += _copy_arrow(cursor, table, raw_columns(entity), text)
            except LoadError:
                raise
            except Exception as error:  # psycopg2, pyarrow and decoding errors all name the file the same way
                message = " ".join(str(error).strip().splitlines())
                raise LoadError(f"{file.relative}: {type(error).__name__}: {message}") from None
    return total


def _copy_csv(cursor: Any, table: str, file: LandingFile) -> int:
    """COPY the file into a temp table shaped like its header (columns by name), then into raw."""
    with file.path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    staging = ident(f"_stage_{file.entity.name}")
    cursor.execute(f"create temp table {staging} ({', '.join(f'{ident(c)} text' for c in header)})")
    names = column_list(header)
    # FORCE_NULL: a quoted empty field is NULL too, as DuckDB's read_csv gives it
    options = f"format csv, header true, encoding 'UTF8', force_null ({names})"
    with file.path.open("rb") as stream:
        cursor.copy_expert(f"copy {staging} ({names}) from stdin with ({options})", stream)
    columns = column_list(data_columns(file.entity))
    cursor.execute(
        f'insert into {table} ({columns}, _source_file, "date") select {columns}, %s, %s from {staging}',
        (file.relative, file.day.isoformat()),
    )
    loaded = int(cursor.rowcount)
    cursor.execute(f"drop table {staging}")  # the next file may have another header
    return loaded


def _copy_arrow(cursor: Any, table: str, columns: list[str], arrow: pa.Table) -> int:
    """COPY an all-string Arrow table (columns in `columns` order, meta columns included) as CSV."""
    if arrow.num_rows == 0:
        return 0
    buffer = io.BytesIO()
    # quoting "needed": NULL is an empty field and '' is `""`, which COPY keeps apart
    pa_csv.write_csv(arrow, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    buffer.seek(0)
    cursor.copy_expert(
        f"copy {table} ({column_list(columns)}) from stdin with (format csv, encoding 'UTF8')", buffer
    )
    return arrow.num_rows


def with_meta(columns: dict[str, pa.Array], file: LandingFile, rows: int) -> pa.Table:
    meta = {"_source_file": pa.repeat(file.relative, rows), "date": pa.repeat(file.day.isoformat(), rows)}
    return pa.table({**columns, **meta})


def parquet_as_text(file: LandingFile) -> pa.Table:
    table = pq.read_table(file.path)
    columns = {
        name: duckdb_varchar(table.column(name).combine_chunks(), f"{file.relative}: column {name}")
        for name in file.entity.columns
    }
    return with_meta(columns, file, table.num_rows)


def duckdb_varchar(values: pa.Array, where: str = "value") -> pa.Array:
    """The text DuckDB's `::varchar` gives for each value of a contract parquet type (NULL stays NULL)."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values.cast(pa.string())
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_decimal(kind):
        return values.cast(pa.string())  # 42, true/false, 12.30 (scale digits kept) as in DuckDB
    if pa.types.is_date(kind):
        return values.cast(pa.date32()).cast(pa.string())
    if pa.types.is_timestamp(kind) and kind.tz is None:
        # DuckDB: `YYYY-MM-DD HH:MM:SS`, then the microseconds without trailing zeros when not zero
        text = values.cast(pa.timestamp("us")).cast(pa.string())
        return pc.replace_substring_regex(text, pattern=r"\.?0+$", replacement="")
    raise LoadError(f"{where}: parquet type {kind} is not in the landing contract")


def json_lines_as_text(file: LandingFile) -> pa.Table:
    """One row per line, split exactly like the DuckDB reader (trailing newlines dropped, nothing else)."""
    content = file.path.read_bytes().decode("utf-8")
    lines = content.rstrip("\n").split("\n") if content else []
    return with_meta({JSON_LINE_COLUMN: pa.array(lines, pa.string())}, file, len(lines))
