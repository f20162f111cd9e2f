"""Accepted landing files into Spark's raw.<entity> (a Parquet table partitioned by landing day), through the
Spark Connect session: every value as the text DuckDB's reader gives it (ingest/duckdb_writer.py), read here
with pyarrow like the Postgres writer does, then appended in one write per entity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from emporium.contract import Entity
from emporium.engine import SparkEngine, ident
from ingest.landing_zone import LandingFile
from ingest.postgres_writer import json_lines_as_text, parquet_as_text, with_meta
from ingest.raw_tables import RAW_SCHEMA, LoadError, data_columns, raw_columns

ENGINE = SparkEngine  # the engine this writer loads (ingest/raw_load.py picks the writer by engine class)


def insert_files(connection: Any, entity: Entity, files: Sequence[LandingFile]) -> int:
    """Append the files' rows to raw.<entity>; returns the rows inserted."""
    tables = []
    for file in files:
        try:
            if entity.fmt == "csv":
                tables.append(_csv_as_text(file))
            else:
                tables.append(parquet_as_text(file) if entity.fmt == "parquet" else json_lines_as_text(file))
        except LoadError:
            raise
        except Exception as error:  # pyarrow and decoding errors name the file the same way
            message = " ".join(str(error).strip().splitlines())
            raise LoadError(f"{file.relative}: {type(error).__name__}: {message}") from None
    if not tables:
        return 0
    rows = pa.concat_tables([table.select(raw_columns(entity)) for table in tables])
    connection.append(f"{RAW_SCHEMA}.{ident(entity.name)}", rows)
    return rows.num_rows


def _csv_as_text(file: LandingFile) -> pa.Table:
    """Columns by name, every value text, an empty field (quoted or not) NULL, as DuckDB's read_csv gives it."""
    columns = data_columns(file.entity)
    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.string()),
        include_columns=columns,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    table = pa_csv.read_csv(file.path, convert_options=convert)
    return with_meta({name: table.column(name) for name in columns}, file, table.num_rows)
