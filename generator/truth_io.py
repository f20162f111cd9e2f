"""Writing `_truth/` files: small ones through csv/json, big ones column-wise through Arrow."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generator.writers import line_bytes

_BOOLS = pa.array(["false", "true"], pa.string())


def write_csv(path: Path, head: list[str], rows: list[list[Any]] | list[tuple[Any, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(head)
        writer.writerows(rows)


def write_plain_csv(path: Path, head: list[str], rows: list[tuple[str, str, str, str, str]]) -> None:
    """write_csv for string rows, joined directly (the defect log has a row per defect: about a
    million at SF 1). csv.writer would quote only fields with a comma, quote or line break: if any
    field has one, the counts below differ and csv.writer writes the file instead."""
    text = "".join(",".join(row) + "\n" for row in rows)
    width = len(head)
    plain = text.count(",") == (width - 1) * len(rows) and text.count("\n") == len(rows)
    if not plain or '"' in text or "\r" in text or (width == 1 and any(r == ("",) for r in rows)):
        write_csv(path, head, rows)
        return
    path.write_text(",".join(head) + "\n" + text, encoding="utf-8", newline="")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def write_columns(path: Path, columns: dict[str, pa.Array]) -> None:
    """A CSV of string columns that never need quoting (numbers, dates, codes), one Arrow pass."""
    pieces: list[pa.Array | str] = []
    for arr in columns.values():
        pieces += [",", arr] if pieces else [arr]
    n = len(next(iter(columns.values())))
    with path.open("wb") as handle:
        handle.write((",".join(columns) + "\n").encode())
        if n:
            lines = pc.binary_join_element_wise(*pieces, "\n", "")
            handle.writelines(line_bytes(lines, 0, n, {}))


def ints(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def decimals(values: np.ndarray, places: int = 6) -> pa.Array:
    """Non-negative numbers with exactly `places` decimals (`0.250000`), rounded half to even."""
    scaled = np.round(np.asarray(values, dtype=np.float64) * 10**places).astype(np.int64)
    if (scaled < 0).any():
        raise ValueError("decimals() writes non-negative numbers only")
    fraction = pc.utf8_lpad(ints(scaled % 10**places), places, "0")
    return pc.binary_join_element_wise(ints(scaled // 10**places), fraction, ".")


def bools(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """`true` / `false`, or empty where `null`."""
    text = _BOOLS.take(pa.array(np.asarray(values, dtype=np.int64)))
    return text if null is None else pc.if_else(pa.array(null), "", text)


def labels(values: np.ndarray, vocabulary: tuple[str, ...]) -> pa.Array:
    return pa.array(vocabulary, pa.string()).take(pa.array(np.asarray(values, dtype=np.int64)))
