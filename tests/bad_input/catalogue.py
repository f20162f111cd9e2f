"""A catalogue of broken landing files, each with what must happen to it.

File-level cases break a whole file: the validator names the file (and line) and the problem; the raw
load leaves the file out and records it in quality.rejected_files while every other file loads. Benign
variants (a byte-order mark, CRLF line ends, the contract's columns in another order) are warnings: the
file loads, normalised, and its rows arrive in bronze exactly as from the clean file. Row-level cases break
single rows: bronze must quarantine exactly those rows with the named reason, and every good row must still
reach silver.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DAY = "2025-01-03"
MARKER = 990_000_000  # keys of injected rows: far above anything the generator issues


def day_file(landing: Path, entity: str, ext: str = "csv", day: str = DAY) -> Path:
    return landing / entity / f"date={day}" / f"{entity}_{day}.{ext}"


def csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def first_value(landing: Path, entity: str, column: str) -> str:
    """A value of `column` from the first row of the entity's DAY file (a real, valid key)."""
    header, rows = csv_rows(day_file(landing, entity))
    return rows[0][header.index(column)]


# ---- file-level cases: (mutate the landing zone) -> (file, expected words in the problem)


@dataclass(frozen=True)
class FileCase:
    name: str
    mutate: Callable[[Path], Path]  # returns the broken file (or folder)
    expected: str  # words of the problem
    severity: str = "error"  # error: rejected | warn: loads with a warning


def _truncate(landing: Path) -> Path:
    path = day_file(landing, "order_items")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2 + 7], encoding="utf-8")  # cut inside a row
    return path


def _semicolons(landing: Path) -> Path:
    path = day_file(landing, "orders")
    write_csv(path, *csv_rows(path), delimiter=";")
    return path


def _drop_column(landing: Path) -> Path:
    path = day_file(landing, "order_items")
    header, rows = csv_rows(path)
    at = header.index("quantity")
    write_csv(path, header[:at] + header[at + 1 :], [r[:at] + r[at + 1 :] for r in rows])
    return path


def _extra_column(landing: Path) -> Path:
    path = day_file(landing, "payments")
    header, rows = csv_rows(path)
    write_csv(path, [*header, "loyalty_points"], [[*r, "10"] for r in rows])
    return path


def _reordered_columns(landing: Path, day: str = DAY, entity: str = "payments") -> Path:
    path = day_file(landing, entity, day=day)
    header, rows = csv_rows(path)
    write_csv(path, header[::-1], [row[::-1] for row in rows])
    return path


def _windows_line_ends(landing: Path, day: str = DAY, entity: str = "orders") -> Path:
    path = day_file(landing, entity, day=day)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return path


def _json_bom_crlf(landing: Path, day: str = DAY) -> Path:
    path = day_file(landing, "web_events", "jsonl", day=day)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    return path


def _everything_at_once(landing: Path, day: str) -> Path:
    """Columns reordered, then a BOM and CRLF line ends on the same file."""
    _reordered_columns(landing, day, "orders")
    _windows_line_ends(landing, day, "orders")
    return _byte_order_mark(landing, day, "orders")


def _parquet_reordered(landing: Path, day: str) -> Path:
    """Parquet columns in another order: not even a warning (Parquet columns are read by name)."""
    path = day_file(landing, "customers", "parquet", day=day)
    table = pq.read_table(path)
    pq.write_table(table.select(table.column_names[::-1]), path)
    return path


def _latin1(landing: Path) -> Path:
    path = day_file(landing, "support_tickets")
    path.write_bytes(
        path.read_bytes() + f"{MARKER},1,,réclamation,{DAY} 10:00:00,,{DAY} 10:00:00\n".encode("latin-1")
    )
    return path


def _empty(landing: Path) -> Path:
    path = day_file(landing, "returns")
    path.write_bytes(b"")
    return path


def _parquet_type_change(landing: Path) -> Path:
    path = day_file(landing, "customers", "parquet")
    table = pq.read_table(path)
    at = table.schema.get_field_index("customer_id")
    table = table.set_column(at, "customer_id", table.column("customer_id").cast(pa.string()))
    pq.write_table(table, path)
    return path


def _parquet_missing_column(landing: Path) -> Path:
    path = day_file(landing, "products", "parquet")
    pq.write_table(pq.read_table(path).drop_columns(["unit_price"]), path)
    return path


def _parquet_garbage(landing: Path) -> Path:
    path = day_file(landing, "products", "parquet")
    path.write_bytes(b"PAR1 this is not really parquet")
    return path


def _unknown_source(landing: Path) -> Path:
    path = landing / "loyalty_cards" / f"date={DAY}" / f"loyalty_cards_{DAY}.csv"
    path.parent.mkdir(parents=True)
    path.write_text("card_id,customer_id\n1,1\n", encoding="utf-8")
    return path.parent.parent  # the folder is what is unknown


def _wrong_extension(landing: Path) -> Path:
    path = day_file(landing, "orders", "json")
    path.write_text('{"order_id": 1}\n', encoding="utf-8")
    return path


def _byte_order_mark(landing: Path, day: str = DAY, entity: str = "campaign_contacts") -> Path:
    path = day_file(landing, entity, day=day)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return path


def _unterminated_quote(landing: Path) -> Path:
    path = day_file(landing, "orders")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f'{MARKER},1,"placed,web,,EUR,DE,2025-01-03 10:00:00,2025-01-03 10:00:00\n')
    return path


def _impossible_partition(landing: Path) -> Path:
    path = landing / "orders" / "date=2025-02-30" / "orders_2025-02-30.csv"
    path.parent.mkdir()
    path.write_text(day_file(landing, "orders").read_text(encoding="utf-8").splitlines()[0] + "\n")
    return path


def _huge_field(landing: Path) -> Path:
    path = day_file(landing, "support_tickets")
    header, rows = csv_rows(path)
    row = dict.fromkeys(header, "")
    row |= {"ticket_id": str(MARKER), "customer_id": "1", "topic": "x" * 3_000_000}
    row |= {"opened_at": f"{DAY} 10:00:00", "updated_at": f"{DAY} 10:00:00"}
    write_csv(path, header, [*rows, [row[c] for c in header]])
    return path


FILE_CASES = [
    FileCase("truncated csv", _truncate, "truncated"),
    FileCase("wrong delimiter", _semicolons, "wrong delimiter"),
    FileCase("missing column", _drop_column, "missing column(s): quantity"),
    FileCase("extra unknown column", _extra_column, "unknown column(s): loyalty_points"),
    FileCase("non-utf-8 bytes", _latin1, "not UTF-8"),
    FileCase("empty file", _empty, "empty file"),
    FileCase("parquet column type changed", _parquet_type_change, "column customer_id has type string"),
    FileCase("parquet column missing", _parquet_missing_column, "missing column(s): unit_price"),
    FileCase("damaged parquet", _parquet_garbage, "not a readable Parquet file"),
    FileCase("unknown source folder", _unknown_source, "not an entity of the contract"),
    FileCase("wrong file extension", _wrong_extension, "unexpected file"),
    FileCase("unterminated quote", _unterminated_quote, "malformed CSV"),
    FileCase("impossible partition date", _impossible_partition, "not a valid date"),
    FileCase("huge field", _huge_field, "huge field"),
    FileCase("columns reordered", _reordered_columns, "columns in another order", "warn"),
    FileCase("windows line ends", _windows_line_ends, "CRLF", "warn"),
    FileCase("byte-order mark", _byte_order_mark, "byte-order mark", "warn"),
    FileCase("json lines with BOM and CRLF", _json_bom_crlf, "byte-order mark", "warn"),
]


# ---- benign variants a partner sends sooner or later, on one landing day (the rows must not change)

BENIGN_DAY = "2025-01-04"


def make_benign_variants(landing: Path, day: str = BENIGN_DAY) -> list[str]:
    """Every benign variant at once, each on another entity's file of `day`; returns the files touched."""
    files = [
        _windows_line_ends(landing, day, "support_tickets"),
        _byte_order_mark(landing, day, "order_items"),
        _reordered_columns(landing, day),
        _json_bom_crlf(landing, day),
        _everything_at_once(landing, day),
        _parquet_reordered(landing, day),
    ]
    return [path.relative_to(landing).as_posix() for path in files]


# ---- row-level cases: rows appended to good files; bronze quarantines them, good rows stay


@dataclass(frozen=True)
class RowCase:
    name: str
    entity: str
    key: str  # the injected row's key ('' when the case is a missing key)
    reason: str


def _append_csv(landing: Path, entity: str, values: dict[str, str]) -> None:
    path = day_file(landing, entity)
    header, rows = csv_rows(path)
    write_csv(path, header, [*rows, [values.get(c, "") for c in header]])


def inject_row_cases(landing: Path) -> list[RowCase]:
    """Append one bad row per case to the DAY partition; returns what bronze must do with each."""
    order_id = first_value(landing, "orders", "order_id")
    customer_id = first_value(landing, "orders", "customer_id")
    product_id = first_value(landing, "order_items", "product_id")
    item_id = first_value(landing, "order_items", "order_item_id")
    stamp = f"{DAY} 12:00:00"
    order = {"customer_id": customer_id, "order_status": "placed", "channel_code": "web"}
    order |= {"currency_code": "EUR", "shipping_country_code": "DE", "ordered_at": stamp, "updated_at": stamp}
    item = {"order_id": order_id, "product_id": product_id, "quantity": "1", "unit_price": "9.99"}
    item |= {"discount_amount": "0.00", "updated_at": stamp}
    payment = {"order_id": order_id, "payment_method": "card", "payment_status": "captured", "amount": "5.00"}
    payment |= {"currency_code": "EUR", "paid_at": stamp, "updated_at": stamp}
    cases = []

    def add(name: str, entity: str, offset: int, values: dict[str, str], reason: str) -> None:
        key_column = {"orders": "order_id", "order_items": "order_item_id", "payments": "payment_id"}[entity]
        key = "" if offset < 0 else str(MARKER + offset)
        _append_csv(landing, entity, {**values, key_column: key})
        cases.append(RowCase(name, entity, key, reason))

    add("wrong type", "order_items", 1, {**item, "quantity": "two"}, "invalid_number")
    add("negative amount", "payments", 2, {**payment, "amount": "-5.00"}, "negative_amount")
    add(
        "date in the future",
        "orders",
        3,
        {**order, "ordered_at": "2031-01-01 00:00:00"},
        "timestamp_in_future",
    )
    add("unknown product", "order_items", 4, {**item, "product_id": str(MARKER)}, "unknown_product")
    add("unknown customer", "orders", 5, {**order, "customer_id": str(MARKER)}, "unknown_customer")
    add("impossible date", "orders", 6, {**order, "ordered_at": "2025-02-30 10:00:00"}, "invalid_timestamp")
    add("not a timestamp", "payments", 7, {**payment, "paid_at": "yesterday"}, "invalid_timestamp")
    add("missing key", "payments", -1, payment, "missing_key")
    add("status outside its set", "orders", 8, {**order, "order_status": "lost"}, "invalid_value")
    add("zero quantity", "order_items", 9, {**item, "quantity": "0"}, "negative_quantity")

    events = day_file(landing, "web_events", "jsonl")
    with events.open("a", encoding="utf-8") as handle:
        handle.write('{"event_id": "broken", "session_id": \n')
        handle.write("[1, 2, 3]\n")
    cases.append(RowCase("broken json line", "web_events", "", "malformed_json"))
    cases.append(RowCase("json line not an object", "web_events", "", "malformed_json"))

    # An exact re-send of a good row: collapsed in silver, neither quarantined nor counted twice.
    header, rows = csv_rows(day_file(landing, "order_items"))
    resend = next(r for r in rows if r[header.index("order_item_id")] == item_id)
    _append_csv(landing, "order_items", dict(zip(header, resend, strict=True)))
    return cases


def make_benign_changes(landing: Path) -> None:
    """A change that must not lose or quarantine a row: a quoted comma and newline inside a field."""
    tickets = day_file(landing, "support_tickets", day="2025-01-02")
    header, rows = csv_rows(tickets)
    customer_id = first_value(landing, "orders", "customer_id")
    row = dict.fromkeys(header, "") | {"ticket_id": str(MARKER + 20), "customer_id": customer_id}
    row |= {"topic": 'billing, "urgent"\nsecond line', "opened_at": "2025-01-02 09:00:00"}
    row |= {"updated_at": "2025-01-02 09:00:00"}
    write_csv(tickets, header, [*rows, [row[c] for c in header]])
