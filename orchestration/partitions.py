"""One partition scheme for the whole graph: the landing day (`date=YYYY-MM-DD` in the landing zone).

Partitions are dynamic: a day exists once files for it have landed (the generator, the landing sensor and
`emporium run` register new days), so the scheme fits any generated horizon or a real feed. The raw load
(`raw/shop`) is partitioned; a run covers a range of days in one run (single-run backfill policy) and
every dbt model of that run gets the same range (EMPORIUM_LANDING_START / _END, emporium/dbt.py, read by
macros/incremental.sql), so Dagster and dbt agree on what a partition is. The dbt assets themselves are not
partitioned in Dagster: Dagster writes one event per asset and partition into its store, and a full build of
a year's days as partitions of every model took minutes of event writing alone (see README, Orchestration).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import dagster as dg

LANDING_DAY = "landing_day"
landing_days = dg.DynamicPartitionsDefinition(name=LANDING_DAY)
single_run = dg.BackfillPolicy.single_run()

FULL_REFRESH_TAG = "emporium/full_refresh"
# The run tags that launch one run over a partition range (a single-run backfill), as Dagster's docs write them
# for a sensor or script that requests a range; Dagster exports no public name for them.
RANGE_START_TAG, RANGE_END_TAG = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def register_days(instance: dg.DagsterInstance, days: Iterable[dt.date]) -> list[str]:
    """Add the days not yet known as partitions, oldest first; returns the keys added."""
    known = set(instance.get_dynamic_partitions(LANDING_DAY))
    new = sorted({day.isoformat() for day in days} - known)
    if new:
        instance.add_dynamic_partitions(LANDING_DAY, new)
    return new


def window(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> tuple[dt.date, dt.date] | None:
    """The run's landing-day range, or None for a run without partitions (everything). The context reads it
    from the run, so the unpartitioned dbt assets and checks of a partitioned run see the raw load's range."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    keys = context.partition_key_range
    return dt.date.fromisoformat(keys.start), dt.date.fromisoformat(keys.end)


def days_in(window_: tuple[dt.date, dt.date]) -> list[dt.date]:
    start, end = window_
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def range_tags(start: dt.date, end: dt.date, *, full_refresh: bool = False) -> dict[str, str]:
    """Run tags that make one run materialise the partitions start..end."""
    tags = {RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()}
    if full_refresh:
        tags[FULL_REFRESH_TAG] = "true"
    return tags


def is_full_refresh(context: dg.AssetExecutionContext) -> bool:
    return context.run.tags.get(FULL_REFRESH_TAG) == "true"


def contiguous_ranges(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """[d1, d2, d3, d7] -> [(d1, d3), (d7, d7)]: one run per unbroken stretch of affected days."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
