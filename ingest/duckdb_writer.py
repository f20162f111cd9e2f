"""Accepted landing files into DuckDB's raw.<entity>: one `insert ... select` per entity over the list of
files, read with the one fixed dialect the contract allows (the text each value gets is what bronze used to
read from the files directly: CSV all_varchar, Parquet values cast to varchar, JSON lines as raw lines)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emporium.contract import Entity
from emporium.engine import DuckDBEngine, column_list, ident
from ingest.landing_zone import LandingFile
from ingest.raw_tables import JSON_LINE_COLUMN, RAW_SCHEMA, data_columns

ENGINE = DuckDBEngine  # the engine this writer loads (ingest/raw_load.py picks the writer by engine class)

# `_source_file` and `date` from the path itself (`.../<entity>/date=<day>/<file>`), so a normalised copy
# in a staging folder gets the same values as the original
SOURCE_FILE = r"regexp_extract(filename, '([^/]+/date=[^/]+/[^/]+)$', 1)"
LANDING_DAY = r"regexp_extract(filename, '/date=([^/]+)/[^/]+$', 1)"
CSV_DIALECT = "all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"'"


def _select(entity: Entity) -> str:
    """A select over the files bound to the one parameter, giving raw.<entity>'s columns in order."""
    meta = f"{SOURCE_FILE} as _source_file, {LANDING_DAY} as date"
    if entity.fmt == "csv":
        # union_by_name: a file with the contract's columns in another order is read by name
        reader = f"read_csv(?, {CSV_DIALECT}, filename = true, union_by_name = true)"
        return f"select {column_list(data_columns(entity))}, {meta} from {reader}"
    if entity.fmt == "parquet":
        casts = ", ".join(f"cast({ident(c)} as varchar) as {ident(c)}" for c in data_columns(entity))
        return f"select {casts}, {meta} from read_parquet(?, filename = true, union_by_name = true)"
    # JSON lines: the raw lines, trailing newlines dropped, so a broken line is bronze's to quarantine
    lines = f"unnest(string_split(rtrim(content, chr(10)), chr(10))) as {JSON_LINE_COLUMN}"
    return f"select {lines}, {meta} from read_text(?) where content <> ''"


def insert_files(connection: Any, entity: Entity, files: Sequence[LandingFile]) -> int:
    """Append the files' rows to raw.<entity>; returns the rows inserted."""
    if not files:
        return 0
    table = f"{RAW_SCHEMA}.{ident(entity.name)}"
    columns = column_list([*data_columns(entity), "_source_file", "date"])
    sql = f"insert into {table} ({columns}) {_select(entity)}"
    (inserted,) = connection.execute(sql, [[str(file.path) for file in files]]).fetchone()
    return int(inserted)
