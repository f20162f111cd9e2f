"""Building a scratch warehouse the way the orchestrator does, without it: the raw load, then dbt."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from emporium.config import Settings
from emporium.dbt import run_dbt
from emporium.engine import connect, fetch_all
from ingest.raw_load import LoadReport, load_raw, load_truth
from tests.support import settings_for


def copy_landing(landing_dir: Path, data_dir: Path) -> Settings:
    """Settings of a scratch DuckDB warehouse in `data_dir` over a copy of the landing zone."""
    settings = settings_for(data_dir)
    shutil.copytree(landing_dir, settings.landing_dir)
    return settings


def load(settings: Settings, run_id: str, days: Sequence[dt.date] | None = None) -> LoadReport:
    report = load_raw(settings, days, run_id=run_id)
    load_truth(settings)
    return report


def build(
    settings: Settings,
    *,
    window: tuple[dt.date, dt.date] | None = None,
    truth: bool = True,
    select: Sequence[str] = (),
    command: str = "build",
) -> None:
    """`dbt build`: a full refresh, or incremental over the landing days `window` (the orchestrator's vars)."""
    if window is None:
        args = [command, "--full-refresh"]
    else:
        args = [
            command,
            "--vars",
            json.dumps({"landing_start": str(window[0]), "landing_end": str(window[1])}),
        ]
    if select:
        args += ["--select", *select]
    if not truth:
        args += ["--exclude", "tag:truth"]
    run_dbt(settings, *args, quiet=True)


def raw_rows_per_file(settings: Settings) -> Counter[tuple[str, str]]:
    """(entity, _source_file) -> rows in raw."""
    from generator.entities import ENTITIES

    counts: Counter[tuple[str, str]] = Counter()
    with connect(settings) as connection:
        for entity in ENTITIES:
            sql = f"select _source_file, count(*) from raw.{entity.name} group by 1"
            counts.update({(entity.name, path): n for path, n in fetch_all(connection, sql)})
    return counts
