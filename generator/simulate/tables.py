"""Column-wise accumulation of rows produced day by day, concatenated once at the end."""

from __future__ import annotations

import numpy as np

Table = dict[str, np.ndarray]

# Meta columns every simulated table carries; they never reach the landing files.
UID = "_uid"  # unique per clean row, stable across horizons (drives defect hashing and ordering)
DAY = "_day"  # day index of the row's updated_at / event time
FIRST = "_first"  # first version of its key (must not arrive late: others reference it)


class TableBuilder:
    def __init__(self, columns: list[str]) -> None:
        self.columns = [*columns, UID, DAY, FIRST]
        self._parts: dict[str, list[np.ndarray]] = {c: [] for c in self.columns}

    def add(self, **cols: np.ndarray) -> None:
        lengths = {len(np.atleast_1d(v)) for v in cols.values()}
        if len(lengths) != 1:
            raise ValueError(f"ragged columns: {lengths}")
        (n,) = lengths
        if n == 0:
            return
        if FIRST not in cols:
            cols[FIRST] = np.ones(n, dtype=bool)
        for name in self.columns:
            self._parts[name].append(np.asarray(cols[name]))

    def build(self) -> Table:
        table: Table = {}
        for name, parts in self._parts.items():
            table[name] = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        # rows of one day in a stable order, whatever the order they were produced in
        order = np.lexsort((table[UID], table[DAY]))
        return {name: values[order] for name, values in table.items()}


def take(table: Table, index: np.ndarray) -> Table:
    return {name: values[index] for name, values in table.items()}


def concat(tables: list[Table]) -> Table:
    names = list(tables[0])
    return {name: np.concatenate([t[name] for t in tables]) for name in names}


def n_rows(table: Table) -> int:
    return len(next(iter(table.values())))
