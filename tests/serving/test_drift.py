"""The drift job on the tiny world (about 25 sessions a day; drift day 2025-03-01): the share columns alarm
after the planted day and never before it. The monitor read the warehouse; the truth only judges it here."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from emporium.config import Settings

SHARE_COLUMNS = ("device_type", "product_view_category")


@pytest.fixture(scope="module")
def reports(tiny_warehouse: Settings) -> list[tuple]:
    """ml.drift_reports as the tiny world's Dagster run wrote it (the asset is in the daily graph)."""
    with duckdb.connect(str(tiny_warehouse.warehouse_path), read_only=True) as connection:
        return connection.execute(
            "select report_date, column_name, window_days, p_value, effect, alarm from ml.drift_reports"
            " order by report_date, column_name, window_days"
        ).fetchall()


def test_every_day_with_a_full_reference_has_a_report_per_column(reports: list[tuple]) -> None:
    days = sorted({row[0] for row in reports})
    assert days[0] == dt.date(2025, 1, 29)  # 28 reference days before the first one-day window
    assert len(days) == (days[-1] - days[0]).days + 1
    assert {row[1] for row in reports} >= {
        *SHARE_COLUMNS,
        "sessions_per_customer",
        "orders_per_customer",
        "conversion",
    }


def test_share_columns_alarm_after_the_planted_drift_and_not_before(
    reports: list[tuple], tiny_warehouse: Settings
) -> None:
    drift_day = dt.date.fromisoformat(
        json.loads((tiny_warehouse.truth_dir / "drift.json").read_text())["drift_date"]
    )
    alarms = [row for row in reports if row[5] and row[1] in SHARE_COLUMNS]
    assert not [row for row in alarms if row[0] < drift_day], "false alarm before the drift day"
    first = min(row[0] for row in alarms)
    assert first - drift_day <= dt.timedelta(days=14), f"first share alarm on {first}, drift on {drift_day}"
    # the small world's daily noise hides the device shift until the four-week window fills
    soon = {row[1] for row in alarms if row[0] - drift_day <= dt.timedelta(days=28)}
    assert soon == set(SHARE_COLUMNS)


def test_an_alarm_launches_the_training_job_once_per_drift(tiny_warehouse: Settings) -> None:
    """The sensor reads the newest ml/drift_reports materialisation of the tiny world's run."""
    import dagster as dg

    from orchestration.instance import get_instance
    from orchestration.monitoring import drift_alarm

    instance = get_instance(tiny_warehouse)
    event = instance.get_latest_materialization_event(dg.AssetKey(["ml", "drift_reports"]))
    newest = event.asset_materialization.metadata["newest_alarm"].value
    assert newest >= "2025-03-01"
    result = drift_alarm(dg.build_sensor_context(instance=instance))
    assert drift_alarm.job_name == "ml_training"
    assert [r.run_key for r in result.run_requests] == [f"drift-{newest}"]
    again = drift_alarm(dg.build_sensor_context(instance=instance, cursor=result.cursor))
    assert isinstance(again, dg.SkipReason), "the same report launched training twice"


def test_scored_features_are_compared_month_by_month_without_a_false_alarm(tiny_warehouse: Settings) -> None:
    """The mart's as-of dates (the firsts of the months) give a report of the features as scored on the day
    before each, once the reference lies a month into the data; small samples raise no alarm here."""
    drift_day = dt.date.fromisoformat(
        json.loads((tiny_warehouse.truth_dir / "drift.json").read_text())["drift_date"]
    )
    with duckdb.connect(str(tiny_warehouse.warehouse_path), read_only=True) as connection:
        scored = connection.execute(
            "select report_date, column_name, statistic, effect, alarm from ml.drift_reports"
            " where column_name like 'scored.%'"
        ).fetchall()
    days = {row[0] for row in scored}
    assert days == {dt.date(2025, 2, 28), dt.date(2025, 3, 31)}
    by_column = {row[1]: row[2] for row in scored}
    assert by_column["scored.sessions_last_30d"] == "ks" and by_column["scored.orders_last_30d"] == "ks"
    # 90-day windows and levels (days since, returns, tier) need a reference 90 days into the data
    assert not {"scored.sessions_last_90d", "scored.days_since_last_order", "scored.loyalty_tier"} & set(
        by_column
    )
    assert "scored.churn_probability" not in by_column  # the warehouse build trains no model
    assert all(0 <= row[3] <= 1 for row in scored if row[2] == "ks")
    assert not [row for row in scored if row[4] and row[0] < drift_day]


def test_the_champions_predictions_are_compared_once_there_is_one(served_world: Settings) -> None:
    """With a champion the reports also compare its scores of both as-of dates' rows (KS). The tiny world's
    120 days hold no reference with 90 days of data before it (the coverage rule above), so the first day
    is set back here: the comparison itself runs on the world's real rows and model."""
    from emporium.engine import connect
    from ml.scored_drift import PREDICTION, churn_champion, scored_drift_rows

    days = [dt.date(2025, 2, 28), dt.date(2025, 3, 31)]
    with connect(served_world) as connection:
        assert not [r for r in scored_drift_rows(connection, days, dt.date(2025, 1, 1), lambda: None)
                    if r.column_name == f"scored.{PREDICTION}"]  # fmt: skip
        rows = scored_drift_rows(connection, days, dt.date(2024, 10, 1), lambda: churn_champion(served_world))
    predictions = {row.report_date: row for row in rows if row.column_name == f"scored.{PREDICTION}"}
    assert set(predictions) == set(days)
    first = predictions[days[0]]
    assert first.statistic == "ks" and 0 < first.effect <= 1
    assert first.current_count > 300 and first.reference_count > 300
