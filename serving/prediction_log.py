"""The service's own append-only prediction log: a SQLite file (EMPORIUM_PREDICTION_LOG), never the warehouse.

One row per prediction made: the answer (role champion or challenger, or cold_start) and the challenger's
shadow score of the same request (role shadow). Rows are written by a background thread from a queue, so
a request never waits for the disk; triggers refuse updates and deletes, and only `erase_customer` (the
right to be forgotten, `emporium purge`) lifts them, inside one transaction, to blank a customer's id.
Several worker processes may append to the same file (WAL journal, busy timeout).
"""

from __future__ import annotations

import datetime as dt
import queue
import sqlite3
import threading
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

COLUMNS = ("logged_at", "request_id", "endpoint", "customer_id", "model_name", "model_version", "role",
           "score", "latency_ms")  # fmt: skip
SCHEMA = """
create table if not exists predictions (
    id integer primary key autoincrement,
    logged_at text not null,
    request_id text not null,
    endpoint text not null,
    customer_id integer,
    model_name text not null,
    model_version text,
    role text not null,
    score real not null,
    latency_ms real not null
);
create index if not exists predictions_customer on predictions (customer_id);
"""
APPEND_ONLY = """
create trigger if not exists predictions_no_update before update on predictions
begin select raise(abort, 'the prediction log is append-only'); end;
create trigger if not exists predictions_no_delete before delete on predictions
begin select raise(abort, 'the prediction log is append-only'); end;
"""


@dataclass(frozen=True)
class Prediction:
    logged_at: str
    request_id: str
    endpoint: str
    customer_id: int | None
    model_name: str
    model_version: str | None
    role: str  # champion, challenger, shadow, cold_start
    score: float
    latency_ms: float


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("pragma journal_mode = wal")
    connection.executescript(SCHEMA + APPEND_ONLY)
    return connection


class PredictionLog:
    """Appends predictions from a background thread; `close` drains the queue."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.Queue[Prediction | None] = queue.Queue()
        self._connection = connect(path)
        self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
        self._thread.start()

    def append(self, prediction: Prediction) -> None:
        self._queue.put(prediction)

    def _drain(self) -> None:
        sql = f"insert into predictions ({', '.join(COLUMNS)}) values ({', '.join('?' for _ in COLUMNS)})"
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty() and len(batch) < 500:
                batch.append(self._queue.get_nowait())
            rows = [astuple(p) for p in batch if p is not None]
            if rows:
                self._connection.execute("begin")
                self._connection.executemany(sql, rows)
                self._connection.execute("commit")
            if None in batch:
                return

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._connection.close()


def now() -> str:
    """UTC, without an offset (a plain timestamp in every warehouse)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def read_after(path: Path, last_id: int) -> list[tuple[Any, ...]]:
    """Rows (id, *COLUMNS) with id > last_id, oldest first: what the Dagster asset loads next."""
    if not path.exists():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(
            f"select id, {', '.join(COLUMNS)} from predictions where id > ? order by id", (last_id,)
        ).fetchall()
    finally:
        connection.close()


def erase_customer(path: Path, customer_id: int) -> int:
    """Blank `customer_id` in every row of the log (the purge); returns the rows changed."""
    if not path.exists():
        return 0
    customer_id = int(customer_id)
    connection = connect(path)
    try:
        (changed,) = connection.execute(
            "select count(*) from predictions where customer_id = ?", (customer_id,)
        ).fetchone()
        # one transaction: the update trigger is gone only inside it
        connection.executescript(
            "begin immediate; drop trigger predictions_no_update;"
            f" update predictions set customer_id = null where customer_id = {customer_id};"
            f" {APPEND_ONLY} commit;"
        )
        return int(changed)
    finally:
        connection.close()
