"""`emporium load`: copy the landing zone into Postgres schema `raw`, the shape DuckDB's `shop` source reads.

One text table per entity: the contract's columns in contract order (web_events: `raw_line`), then
`_source_file` (path relative to the landing root) and `date` (the landing day). Every value is the text
DuckDB's source gives for it: CSV through COPY with empty fields as NULL (quoted or not, like read_csv),
Parquet rendered like DuckDB's `::varchar`, JSON lines as the raw line. Loading a landing day replaces that
day's rows, so loads are idempotent. `_truth/*.csv` goes to schema `raw_truth` for the reconciliation tests.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from emporium.config import Settings, load_settings
from generator.entities import ENTITIES, Entity

RAW_SCHEMA = "raw"
TRUTH_SCHEMA = "raw_truth"
META_COLUMNS = ("_source_file", "date")
JSON_LINE_COLUMN = "raw_line"  # the one column DuckDB's web_events source exposes
_PARTITION = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


class LoadError(RuntimeError):
    """A landing file could not be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class LandingFile:
    entity: Entity
    path: Path
    relative: str  # to the landing root, as `_source_file`
    day: str  # YYYY-MM-DD, as `date`


def raw_columns(entity: Entity) -> list[str]:
    """The columns of raw.<entity>, in order."""
    data = [JSON_LINE_COLUMN] if entity.fmt == "jsonl" else list(entity.columns)
    return [*data, *META_COLUMNS]


def landing_files(landing_dir: Path, entity: Entity, since: dt.date | None = None) -> list[LandingFile]:
    """The entity's files (`<entity>/date=YYYY-MM-DD/*.<ext>`) of landing days >= since, oldest first."""
    files = []
    for partition in sorted((landing_dir / entity.name).glob("*/")):
        match = _PARTITION.match(partition.name)
        if not match:
            raise LoadError(f"{partition}: not a landing partition (expected date=YYYY-MM-DD)")
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError as error:
            raise LoadError(f"{partition}: bad partition date ({error})") from None
        if since is not None and day < since:
            continue
        for path in sorted(partition.glob(f"*.{entity.ext}")):
            files.append(LandingFile(entity, path, path.relative_to(landing_dir).as_posix(), day.isoformat()))
    return files


def load_landing(
    settings: Settings, connection_params: Mapping[str, Any], since: dt.date | None = None
) -> dict[str, int]:
    """Load every entity's landing days >= since (all when None) into schema raw, replacing those days.

    One transaction: a failed load leaves raw as it was. Returns rows loaded per entity."""
    import psycopg2

    landing_dir = settings.landing_dir
    if not landing_dir.is_dir():
        raise LoadError(f"{landing_dir}: landing zone not found")
    connection = psycopg2.connect(**connection_params)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {RAW_SCHEMA}")
            counts = {entity.name: _load_entity(cursor, landing_dir, entity, since) for entity in ENTITIES}
            _load_truth(cursor, landing_dir / "_truth")
    finally:
        connection.close()
    return counts


def _load_entity(cursor: Any, landing_dir: Path, entity: Entity, since: dt.date | None) -> int:
    table = f"{RAW_SCHEMA}.{entity.name}"
    columns = raw_columns(entity)
    _ensure_table(cursor, RAW_SCHEMA, entity.name, columns, replace=since is None)
    if since is None:
        cursor.execute(f"truncate {table}")
    else:
        cursor.execute(f'delete from {table} where "date" >= %s', (since.isoformat(),))
    total = 0
    for file in landing_files(landing_dir, entity, since):
        loaded, expected = _load_file(cursor, table, columns, file)
        if expected is not None and loaded != expected:
            raise LoadError(f"{file.path}: loaded {loaded} rows but the file has {expected}")
        total += loaded
    return total


def _ensure_table(cursor: Any, schema: str, name: str, columns: list[str], *, replace: bool) -> None:
    cursor.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
        " order by ordinal_position",
        (schema, name),
    )
    existing = [row[0] for row in cursor.fetchall()]
    if existing == columns:
        return
    if existing and not replace:
        raise LoadError(
            f"{schema}.{name} has columns {existing}, the contract {columns}: load all (no --since)"
        )
    cursor.execute(f"drop table if exists {schema}.{name}")
    cursor.execute(f"create table {schema}.{name} ({_text_columns(columns)})")
    if "date" in columns:
        cursor.execute(f'create index {name}_date_idx on {schema}.{name} ("date")')


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text_columns(columns: list[str]) -> str:
    return ", ".join(f"{_ident(c)} text" for c in columns)


def _load_file(cursor: Any, table: str, columns: list[str], file: LandingFile) -> tuple[int, int | None]:
    """Rows COPYed from one file, and the rows the file holds when known independently."""
    try:
        if file.entity.fmt == "csv":
            return _copy_csv(cursor, table, columns, file), None
        arrow = _parquet_as_text(file) if file.entity.fmt == "parquet" else _json_lines_as_text(file)
        return _copy_arrow(cursor, table, columns, arrow), arrow.num_rows
    except LoadError:
        raise
    except Exception as error:  # psycopg2, pyarrow and decoding errors all name the file the same way
        message = str(error).strip().splitlines()
        raise LoadError(f"{file.path}: {type(error).__name__}: {' '.join(message)}") from None


def _copy_csv(cursor: Any, table: str, columns: list[str], file: LandingFile) -> int:
    """COPY the file into a temp table shaped like its header, then insert it with `_source_file`/`date`."""
    header = _csv_header(file.path)
    unknown = [c for c in header if c not in columns[: -len(META_COLUMNS)]]
    if unknown or len(set(header)) != len(header):
        raise LoadError(f"{file.path}: header {header} does not match the contract columns {columns[:-2]}")
    staging = _ident(f"_stage_{file.entity.name}")
    cursor.execute(f"create temp table {staging} ({_text_columns(header)})")
    names = ", ".join(_ident(c) for c in header)
    # FORCE_NULL: a quoted empty field is NULL too, as DuckDB's read_csv gives it
    options = f"format csv, header true, encoding 'UTF8', force_null ({names})"
    with file.path.open("rb") as stream:
        cursor.copy_expert(f"copy {staging} ({names}) from stdin with ({options})", stream)
    cursor.execute(
        f'insert into {table} ({names}, _source_file, "date") select {names}, %s, %s from {staging}',
        (file.relative, file.day),
    )
    loaded = cursor.rowcount
    cursor.execute(f"drop table {staging}")  # the next file may have another header
    return loaded


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        try:
            return next(csv.reader(handle))
        except StopIteration:
            raise LoadError(f"{path}: empty file, expected at least a header row") from None
        except UnicodeDecodeError as error:
            raise LoadError(f"{path}: header is not UTF-8 ({error})") from None


def _copy_arrow(cursor: Any, table: str, columns: list[str], arrow: pa.Table) -> int:
    """COPY an all-string Arrow table (columns in `columns` order, meta columns included) as CSV."""
    if arrow.num_rows == 0:
        return 0
    buffer = io.BytesIO()
    # quoting "needed": NULL is an empty field and '' is `""`, which COPY keeps apart
    pa_csv.write_csv(arrow, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    buffer.seek(0)
    names = ", ".join(_ident(c) for c in columns)
    cursor.copy_expert(f"copy {table} ({names}) from stdin with (format csv, encoding 'UTF8')", buffer)
    return arrow.num_rows


def _with_meta(columns: dict[str, pa.Array], file: LandingFile, rows: int) -> pa.Table:
    meta = {"_source_file": pa.repeat(file.relative, rows), "date": pa.repeat(file.day, rows)}
    return pa.table({**columns, **meta})


def _parquet_as_text(file: LandingFile) -> pa.Table:
    table = pq.read_table(file.path)
    unknown = [c for c in table.column_names if c not in file.entity.columns]
    if unknown:
        raise LoadError(f"{file.path}: columns {unknown} are not in the contract for {file.entity.name}")
    columns = {}
    for name in file.entity.columns:  # a column the file lacks is NULL, as with union_by_name
        if name in table.column_names:
            columns[name] = duckdb_varchar(table.column(name).combine_chunks(), f"{file.path}: column {name}")
        else:
            columns[name] = pa.nulls(table.num_rows, pa.string())
    return _with_meta(columns, file, table.num_rows)


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


def _json_lines_as_text(file: LandingFile) -> pa.Table:
    """One row per line, split exactly like the DuckDB source (trailing newlines dropped, nothing else)."""
    try:
        content = file.path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise LoadError(f"{file.path}: not UTF-8 ({error})") from None
    lines = content.rstrip("\n").split("\n") if content else []
    return _with_meta({JSON_LINE_COLUMN: pa.array(lines, pa.string())}, file, len(lines))


def _load_truth(cursor: Any, truth_dir: Path) -> None:
    """Each `_truth/*.csv` as raw_truth.<name>, all text, replaced on every load."""
    if not truth_dir.is_dir():
        return
    cursor.execute(f"create schema if not exists {TRUTH_SCHEMA}")
    for path in sorted(truth_dir.glob("*.csv")):
        header = _csv_header(path)
        _ensure_table(cursor, TRUTH_SCHEMA, path.stem, header, replace=True)
        cursor.execute(f"truncate {TRUTH_SCHEMA}.{path.stem}")
        names = ", ".join(_ident(c) for c in header)
        try:
            with path.open("rb") as stream:
                copy = f"copy {TRUTH_SCHEMA}.{path.stem} ({names}) from stdin with (format csv, header true)"
                cursor.copy_expert(copy, stream)
        except Exception as error:
            raise LoadError(f"{path}: {type(error).__name__}: {str(error).strip()}") from None


def iter_counts(counts: Mapping[str, int]) -> Iterator[str]:
    width = max(map(len, counts), default=0)
    for name, rows in counts.items():
        yield f"  {name:<{width}}  {rows:>10,}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("load", help="load the landing zone into Postgres schema raw (COPY)")
    since_help = "only landing days >= YYYY-MM-DD, replacing them (default: every day, replacing all)"
    parser.add_argument("--since", type=dt.date.fromisoformat, default=None, help=since_help)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    started = time.perf_counter()
    try:
        counts = load_landing(settings, settings.postgres.connection_params(), since=args.since)
    except LoadError as error:
        print(f"emporium load: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # connection refused and the like: one line, no traceback
        print(f"emporium load: {type(error).__name__}: {str(error).strip()}", file=sys.stderr)
        return 1
    target = f"{settings.postgres.host}:{settings.postgres.port}/{settings.postgres.database}"
    print(f"loaded {settings.landing_dir} into {target} schema {RAW_SCHEMA}:", flush=True)
    print("\n".join(iter_counts(counts)))
    print(f"{sum(counts.values()):,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    return 0
