"""Rendering simulated rows as landing values: strings for CSV / JSON lines, typed arrays for Parquet.

Defect flags set by `defects` become visible here (noise, emptied fields, broken timestamps, broken
e-mails and JSON). Everything is vectorised with Arrow compute kernels.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from emporium.contract import BOOL, DATE, ID, INT, MONEY, SID, TS
from generator.defects import DEFECT, NOISE, NULLED, QUARANTINE_KINDS
from generator.entities import CODE, SID_PREFIX, TRIM, TRIM_LOWER, Entity
from generator.simulate.calendar import DAY_SECONDS
from generator.simulate.tables import UID, Table

_BAD_TIMESTAMPS = ("2025-13-45 25:61:00", "not a date", "2024-02-30 10:00:00")
_CSV_QUOTE = r'[,"\n\r]'


def _variant(table: Table, n: int) -> np.ndarray:
    """A per-row choice among n variants that an exact duplicate shares with its original."""
    return (table[UID] % n).astype(np.int64)


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


_CENTS = pa.array([f".{c:02d}" for c in range(100)], pa.string())


def money_strings(cents: np.ndarray) -> pa.Array:
    """`units.cc` per amount in cents; the few negative amounts get their sign afterwards."""
    magnitude = np.abs(cents)
    units = _int64(magnitude // 100).cast(pa.string())
    text = _join(units, _CENTS.take(_int64(magnitude % 100)))
    return _patch(text, cents < 0, lambda v, i: _join("-", v))


def _int64(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """An int64 Arrow array straight from the numpy buffer (no copy for int64 input, no per-call
    conversion checks as in pa.array); `null` marks null rows."""
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [_validity(null), pa.py_buffer(data)])


def _bools(values: np.ndarray) -> pa.Array:
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def _validity(null: np.ndarray | None) -> pa.Buffer | None:
    if null is None or not null.any():
        return None
    return pa.py_buffer(np.packbits(~null, bitorder="little"))


def _digits(columns: list[tuple[int, int, np.ndarray]], width: int, seps: dict[int, str]) -> np.ndarray:
    """A (rows, width) byte matrix: each (start, digits, values) zero-padded at its place, `seps` between."""
    n = len(columns[0][2])
    buf = np.empty((n, width), dtype=np.uint8)
    for pos, char in seps.items():
        buf[:, pos] = ord(char)
    for start, digits, value64 in columns:
        value = value64.astype(np.int32)  # int32 division is markedly faster
        for i in range(digits):
            buf[:, start + i] = ord("0") + value // 10 ** (digits - 1 - i) % 10
    return buf


def _date_table(first_day: int, last_day: int) -> np.ndarray:
    """`YYYY-MM-DD` bytes for each epoch day first_day..last_day."""
    days = np.arange(first_day, last_day + 1).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months).astype(np.int64) + 1
    return _digits([(0, 4, year), (5, 2, month), (8, 2, day)], 10, {4: "-", 7: "-"})


@functools.cache
def _clock_table() -> np.ndarray:
    """` HH:MM:SS` bytes for every second of a day (built once; 778 kB)."""
    clock = np.arange(DAY_SECONDS)
    columns = [(1, 2, clock // 3600), (4, 2, clock // 60 % 60), (7, 2, clock % 60)]
    return _digits(columns, 9, {0: " ", 3: ":", 6: ":"})


def ts_strings(seconds: np.ndarray, date_only: bool = False) -> pa.Array:
    """`YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DD`) per epoch second, negative = null. Rows gather their
    date and their time of day from small tables of ready bytes: far faster than Arrow's strftime or
    per-digit arithmetic over every row."""
    n = len(seconds)
    valid = seconds >= 0
    s = np.where(valid, seconds, 0)
    days = s // DAY_SECONDS
    first = int(days.min()) if n else 0
    width = 10 if date_only else 19
    buf = np.empty((n, width), dtype=np.uint8)
    buf[:, :10] = _date_table(first, int(days.max()) if n else 0)[days - first]
    if not date_only:
        buf[:, 10:] = _clock_table()[s - days * DAY_SECONDS]
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if not valid.all() else None
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf), bitmap)


def _noisy(values: pa.Array, rule: str, variant: np.ndarray) -> pa.Array:
    """Stray spaces and case changes that silver's cleaning rule for the field undoes."""
    if rule == TRIM_LOWER:
        changed = pc.utf8_upper(values)
    elif rule == TRIM:
        changed = values
    else:  # trim_upper
        changed = pc.utf8_lower(values)
    spaced = [_join(" ", changed), _join(changed, "  "), _join(" ", changed, " ")]
    return pc.if_else(_bools(variant == 0), spaced[0], pc.if_else(_bools(variant == 1), spaced[1], spaced[2]))


def _broken_emails(values: pa.Array, variant: np.ndarray) -> pa.Array:
    no_at = pc.replace_substring(values, "@", " at ")
    no_dot = pc.replace_substring_regex(values, r"\.[^.@]+$", "")
    double_at = pc.replace_substring(values, "@", "@@")
    return pc.if_else(_bools(variant == 0), no_at, pc.if_else(_bools(variant == 1), no_dot, double_at))


def render(entity: Entity, table: Table, epoch0: int, typed: bool) -> dict[str, pa.Array]:
    """Column name -> Arrow array; strings everywhere unless `typed` (Parquet). String ids (SID) come
    without their prefix: the line builders fold it into a constant piece (see `with_prefix`)."""
    out: dict[str, pa.Array] = {}
    for column in entity.columns:
        values, kind = table[column], entity.kind(column)
        if kind in (ID, INT, SID):
            arr = _int64(values, values < 0 if kind != INT else None)
            if not typed:
                arr = arr.cast(pa.string())
        elif kind == MONEY:
            arr = money_strings(values)
            arr = arr.cast(pa.decimal128(18, 2)) if typed else arr
        elif kind == TS:
            arr = ts_strings(values)
            if typed:
                arr = _int64(values * 1_000_000, values < 0).cast(pa.timestamp("us"))
        elif kind == DATE:
            arr = ts_strings(epoch0 + values * DAY_SECONDS, date_only=True)
        elif kind == CODE:
            vocab = pa.array(dict(entity.vocab)[column], pa.string())
            arr = vocab.take(_int64(np.maximum(values, 0)))
            product_page = values < 0
            arr = _patch(
                arr, product_page, lambda v, i, x=values: _join("/p/", _int64(-x[i]).cast(pa.string()))
            )
        elif kind == BOOL:
            arr = _bools(values)
            arr = arr if typed else pc.if_else(arr, "true", "false")
        else:  # an entity with no rows yet has untyped empty columns
            arr = pa.array(values if len(values) else np.empty(0, object), type=pa.string())
        out[column] = arr

    variant = _variant(table, 3)
    for column, rule in entity.noise:
        out[column] = _patch(out[column], table[NOISE], lambda v, i, r=rule: _noisy(v, r, variant[i]))
    for column in entity.optional:
        out[column] = _patch(out[column], table[NULLED], lambda v, i: pa.nulls(len(i), v.type))
    defect = table[DEFECT]
    if "invalid_timestamp" in entity.quarantine:
        broken = defect == QUARANTINE_KINDS.index("invalid_timestamp")
        bad = np.array(_BAD_TIMESTAMPS, dtype=object)
        for column in entity.timestamps:
            present = broken & ~pc.is_null(out[column]).to_numpy(zero_copy_only=False)
            out[column] = _patch(out[column], present, lambda v, i: pa.array(bad[variant[i]], pa.string()))
    if "malformed_email" in entity.quarantine:
        broken = defect == QUARANTINE_KINDS.index("malformed_email")
        out["email"] = _patch(out["email"], broken, lambda v, i: _broken_emails(v, variant[i]))
    return out


def _patch(arr: pa.Array, mask: np.ndarray, change: Callable[[pa.Array, np.ndarray], pa.Array]) -> pa.Array:
    """`arr` with the rows in `mask` replaced by change(those rows, their indices); only the few
    affected rows are computed."""
    index = np.flatnonzero(mask)
    if len(index) == 0:
        return arr
    replacement = change(arr.take(_int64(index)), index).cast(arr.type)
    return pc.replace_with_mask(arr, _bools(mask), replacement)


def _line(pieces: list[pa.Array | str]) -> pa.Array:
    """One string per row from constant and per-row pieces, in a single pass; ends with a newline.
    Adjacent constants are merged first: fewer pieces, faster join."""
    merged: list[pa.Array | str] = []
    for piece in [*pieces, "\n"]:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return pc.binary_join_element_wise(*merged, "")


def with_prefix(entity: Entity, column: str, arr: pa.Array) -> pa.Array:
    """The column as written: string ids get their prefix (`evt-12`)."""
    return _join(SID_PREFIX[column], arr) if entity.kind(column) == SID else arr


def csv_lines(entity: Entity, cols: dict[str, pa.Array]) -> pa.Array:
    """One CSV line per row, newline included; empty field = null. Only free text can need quotes."""
    pieces: list[pa.Array | str] = []
    for column in entity.columns:
        arr = with_prefix(entity, column, cols[column])
        if column in entity.free_text:
            needs = pc.match_substring_regex(arr, _CSV_QUOTE).to_numpy(zero_copy_only=False)
            arr = _patch(arr, needs, lambda v, i: _join('"', pc.replace_substring(v, '"', '""'), '"'))
        if pieces:
            pieces.append(",")
        pieces.append(pc.fill_null(arr, "") if arr.null_count else arr)
    return _line(pieces)


def json_lines(entity: Entity, cols: dict[str, pa.Array]) -> pa.Array:
    """One JSON object per line (`malformed_json` cuts some short later, see `malformed_json`)."""
    pieces: list[pa.Array | str] = []
    for n, column in enumerate(entity.columns):
        arr, quoted = cols[column], entity.kind(column) not in (ID, INT)
        if column in entity.free_text:  # codes and generated paths never hold a quote or backslash
            needs = pc.match_substring_regex(arr, r'["\\]').to_numpy(zero_copy_only=False)
            arr = _patch(
                arr,
                needs,
                lambda v, i: pc.replace_substring(pc.replace_substring(v, "\\", "\\\\"), '"', '\\"'),
            )
        # a string id's prefix joins the constant before it: one piece less per row
        prefix = SID_PREFIX[column] if entity.kind(column) == SID else ""
        if quoted and arr.null_count:
            arr, quoted = pc.fill_null(_join('"' + prefix, arr, '"'), "null"), False
        elif arr.null_count:
            arr = pc.fill_null(arr, "null")
        opening = ("{" if n == 0 else ",") + f'"{column}":' + ('"' + prefix if quoted else "")
        pieces += [opening, arr] if not quoted else [opening, arr, '"']
    pieces.append("}")
    return _line(pieces)


def malformed_json(entity: Entity, lines: pa.Array, defect: np.ndarray) -> dict[int, bytes]:
    """Row -> the line that replaces it: a `malformed_json` row's object cut short. Returned apart, so
    the writer swaps the few rows in instead of rebuilding the whole array."""
    if "malformed_json" not in entity.quarantine:
        return {}
    index = np.flatnonzero(defect == QUARANTINE_KINDS.index("malformed_json"))
    cut = _join(pc.utf8_slice_codeunits(lines.take(_int64(index)), 0, 60), "\n")
    return {int(row): text.encode() for row, text in zip(index, cut.to_pylist(), strict=True)}


def header(entity: Entity) -> bytes:
    return (",".join(entity.columns) + "\n").encode()
