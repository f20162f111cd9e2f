"""Writing `_truth/` files: small ones through csv/json, big ones column-wise through Arrow."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable
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


def csv_text(rows: list[tuple[str, ...]]) -> str:
    """The lines csv.writer would write for string rows, joined directly when no field needs quoting
    (the defect log has a row per defect: about a million at SF 1). csv.writer quotes only fields with
    a comma, quote or line break: if any field has one, the counts below differ and csv.writer renders
    the rows. Either way the text of many batches equals the text of all rows at once."""
    text = "".join(",".join(row) + "\n" for row in rows)
    fields = sum(len(row) for row in rows)
    plain = text.count(",") == fields - len(rows) and text.count("\n") == len(rows)
    if plain and '"' not in text and "\r" not in text and not any(row == ("",) for row in rows):
        return text
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_spooled_csv(path: Path, head: list[str], parts: list[Path]) -> None:
    """A CSV whose rows were written elsewhere in pieces (csv_text), concatenated in order."""
    with path.open("wb") as handle:
        handle.write((",".join(head) + "\n").encode())
        for part in parts:
            with part.open("rb") as piece:
                shutil.copyfileobj(piece, handle, 1 << 20)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def write_columns(path: Path, columns: dict[str, pa.Array]) -> None:
    """A CSV of string columns that never need quoting (numbers, dates, codes), one Arrow pass."""
    write_column_chunks(path, list(columns), [columns])


def write_column_chunks(path: Path, head: list[str], chunks: Iterable[dict[str, pa.Array]]) -> None:
    """write_columns for rows that come in chunks (each a dict of the `head` columns): one chunk's lines
    are in memory at a time."""
    with path.open("wb") as handle:
        handle.write((",".join(head) + "\n").encode())
        for columns in chunks:
            pieces: list[pa.Array | str] = []
            for name in head:
                pieces += [",", columns[name]] if pieces else [columns[name]]
            n = len(columns[head[0]])
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
