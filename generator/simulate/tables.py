"""Column-wise accumulation of rows produced day by day, concatenated once at the end."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Table = dict[str, np.ndarray]

# Meta columns every simulated table carries; they never reach the landing files.
UID = "_uid"  # unique per clean row, stable across horizons (drives defect hashing and ordering)
DAY = "_day"  # day index of the row's updated_at / event time
FIRST = "_first"  # first version of its key (must not arrive late: others reference it)


class TableBuilder:
    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = [*columns, UID, DAY, FIRST]
        self._parts: dict[str, list[np.ndarray]] = {c: [] for c in self.columns}
        self.rows = 0  # added so far

    def add(self, **cols: np.ndarray) -> None:
        lengths = {len(v) for v in cols.values()}  # every column is a 1-d array
        if len(lengths) != 1:
            raise ValueError(f"ragged columns: {lengths}")
        (n,) = lengths
        if n == 0:
            return
        if FIRST not in cols:
            cols[FIRST] = np.ones(n, dtype=bool)
        self.rows += n
        for name in self.columns:
            self._parts[name].append(np.asarray(cols[name]))

    def build(self, sort: bool = True) -> Table:
        """The rows in (day, uid) order, whatever the order they were produced in (`sort=False`: in the
        order added, for callers that sort anyway); column by column, releasing the parts as it goes,
        to keep peak memory near one copy of the table."""

        def column(name: str) -> np.ndarray:
            parts = self._parts.pop(name)
            return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

        uid, day = column(UID), column(DAY)
        order = np.lexsort((uid, day)) if sort else slice(None)
        table: Table = {UID: uid[order], DAY: day[order]}
        for name in list(self._parts):
            table[name] = column(name)[order]
        return {name: table[name] for name in self.columns}


def take(table: Table, index: np.ndarray) -> Table:
    return {name: values[index] for name, values in table.items()}


def take_in_place(table: Table, index: np.ndarray) -> Table:
    """`take`, replacing one column at a time so that only one extra column is alive at once."""
    for name in list(table):
        table[name] = table[name][index]
    return table


def concat(tables: list[Table], consume: bool = False) -> Table:
    """Row-wise concatenation; with `consume`, each input column is dropped once it is copied."""
    out: Table = {}
    for name in list(tables[0]):
        out[name] = np.concatenate([t.pop(name) if consume else t[name] for t in tables])
    return out


def n_rows(table: Table) -> int:
    return len(next(iter(table.values())))
