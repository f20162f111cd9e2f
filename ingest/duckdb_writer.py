"""Accepted landing files into DuckDB's raw.<entity>: one `insert ... select` per entity over the list of
files, read with the one fixed dialect the contract allows (the text each value gets is what bronze used to
read from the files directly: CSV all_varchar, Parquet values cast to varchar, JSON lines as raw lines).
The readers are chosen per file so that the common case reads at the speed of the disk: a header in the
contract's order with a fixed schema, a plain JSON lines file as one-column CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emporium.contract import Entity
from emporium.engine import DuckDBEngine, column_list, ident
from ingest.landing_zone import LandingFile
from ingest.raw_tables import JSON_LINE_COLUMN, RAW_SCHEMA, data_columns
from ingest.validation import MAX_LINE_BYTES

ENGINE = DuckDBEngine  # the engine this writer loads (ingest/raw_load.py picks the writer by engine class)

# `_source_file` and `date` from the path itself (`.../<entity>/date=<day>/<file>`), so a normalised copy
# in a staging folder gets the same values as the original
SOURCE_FILE = r"regexp_extract(filename, '([^/]+/date=[^/]+/[^/]+)$', 1)"
LANDING_DAY = r"regexp_extract(filename, '/date=([^/]+)/[^/]+$', 1)"
CSV_DIALECT = "all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"'"


# JSON lines read as one-column CSV: no delimiter, quote or escape, so a line is one value, at memory speed
# (splitting read_text's whole file with string_split cost ten times the CPU). The CSV reader also ends a
# line at a lone CR, splits at the NUL byte it is given as delimiter and makes an empty line NULL, so only
# plain files (LandingFile.plain: none of these) go this way; the others keep read_text's exact split.
# DuckDB's default line limit is 2,000,000 bytes; validation lets lines up to MAX_LINE_BYTES (2 MiB) through.
LINES_DIALECT = (
    "header = false, delim = chr(0), quote = '', escape = '', auto_detect = false, "
    f"max_line_size = {2 * MAX_LINE_BYTES}"
)


def _select(entity: Entity, files: Sequence[LandingFile]) -> tuple[str, list[list[str]]]:
    """A select over the files giving raw.<entity>'s columns in order, and its parameters (file lists)."""
    meta = f"{SOURCE_FILE} as _source_file, {LANDING_DAY} as date"
    data = column_list(data_columns(entity))
    if entity.fmt == "csv":
        # a header in the contract's order: read with the fixed schema, no sniffing of each file's header;
        # columns in another order are read by name (union_by_name sniffs every file, so only those)
        fixed: list[LandingFile] = []
        by_name: list[LandingFile] = []
        for file in files:
            (fixed if _header(file) == ",".join(entity.columns) else by_name).append(file)
        schema = "{" + ", ".join(f"'{c}': 'varchar'" for c in entity.columns) + "}"
        readers = {
            f"read_csv(?, {CSV_DIALECT}, columns = {schema}, auto_detect = false, filename = true)": fixed,
            f"read_csv(?, {CSV_DIALECT}, filename = true, union_by_name = true)": by_name,
        }
        return _union({f"select {data}, {meta} from {r}": group for r, group in readers.items()})
    if entity.fmt == "parquet":
        casts = ", ".join(f"cast({ident(c)} as varchar) as {ident(c)}" for c in data_columns(entity))
        reader = "read_parquet(?, filename = true, union_by_name = true)"
        return _union({f"select {casts}, {meta} from {reader}": list(files)})
    # JSON lines: the raw lines, trailing newlines dropped, so a broken line is bronze's to quarantine
    line = ident(JSON_LINE_COLUMN)
    plain = f"read_csv(?, {LINES_DIALECT}, columns = {{'{JSON_LINE_COLUMN}': 'varchar'}}, filename = true)"
    split = f"unnest(string_split(rtrim(content, chr(10)), chr(10))) as {line}"
    return _union(
        {
            f"select {line}, {meta} from {plain}": [f for f in files if f.plain],
            f"select {split}, {meta} from read_text(?) where content <> ''": [
                f for f in files if not f.plain
            ],
        }
    )


def _header(file: LandingFile) -> str:
    with file.path.open("rb") as handle:
        return handle.readline().rstrip(b"\n").decode("utf-8", errors="replace")


def _union(selects: dict[str, list[LandingFile]]) -> tuple[str, list[list[str]]]:
    used = {sql: group for sql, group in selects.items() if group}
    return " union all ".join(used), [[str(file.path) for file in group] for group in used.values()]


def insert_files(connection: Any, entity: Entity, files: Sequence[LandingFile]) -> int:
    """Append the files' rows to raw.<entity>; returns the rows inserted."""
    if not files:
        return 0
    table = f"{RAW_SCHEMA}.{ident(entity.name)}"
    columns = column_list([*data_columns(entity), "_source_file", "date"])
    select, parameters = _select(entity, files)
    (inserted,) = connection.execute(f"insert into {table} ({columns}) {select}", parameters).fetchone()
    return int(inserted)
