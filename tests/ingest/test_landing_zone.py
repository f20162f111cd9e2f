"""The landing zone's partitions and fingerprints: what the landing sensor diffs to find re-sent files."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ingest.raw_load import file_fingerprints, landing_day_of, landing_days


def _write(root: Path, relative: str, text: str = "x\n") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_landing_days_are_the_valid_partitions(tmp_path: Path) -> None:
    _write(tmp_path, "orders/date=2025-01-02/orders_2025-01-02.csv")
    _write(tmp_path, "web_events/date=2025-01-01/web_events_2025-01-01.jsonl")
    _write(tmp_path, "orders/date=2025-02-30/orders_2025-02-30.csv")  # no such day
    _write(tmp_path, "orders/loose.csv")
    _write(tmp_path, "_truth/row_counts.csv")
    assert landing_days(tmp_path) == [dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
    assert landing_days(tmp_path / "missing") == []


def test_landing_day_of_a_path() -> None:
    assert landing_day_of("orders/date=2025-01-02/orders_2025-01-02.csv") == dt.date(2025, 1, 2)
    assert landing_day_of(Path("orders/date=2025-02-30/orders_2025-02-30.csv")) is None
    assert landing_day_of("orders/loose.csv") is None
    assert landing_day_of("_truth/row_counts.csv") is None
    assert landing_day_of("orders/date=2025-01-02/deeper/orders.csv") is None


def test_fingerprints_change_for_a_resent_file_only(tmp_path: Path) -> None:
    resent = _write(tmp_path, "orders/date=2025-01-02/orders_2025-01-02.csv", "a\n1\n")
    _write(tmp_path, "orders/date=2025-01-03/orders_2025-01-03.csv", "a\n2\n")
    _write(tmp_path, "_truth/row_counts.csv")
    before = file_fingerprints(tmp_path)
    assert set(before) == {
        "orders/date=2025-01-02/orders_2025-01-02.csv",
        "orders/date=2025-01-03/orders_2025-01-03.csv",
        "_truth/row_counts.csv",
    }
    assert file_fingerprints(tmp_path) == before, "stable while nothing changes"

    # the same size, content corrected: only the modification time tells it apart
    stat = resent.stat()
    resent.write_text("a\n3\n", encoding="utf-8")
    os.utime(resent, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    new = _write(tmp_path, "orders/date=2025-01-04/orders_2025-01-04.csv")
    after = file_fingerprints(tmp_path)
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {"orders/date=2025-01-02/orders_2025-01-02.csv", new.relative_to(tmp_path).as_posix()}
    assert {landing_day_of(path) for path in changed} == {dt.date(2025, 1, 2), dt.date(2025, 1, 4)}
