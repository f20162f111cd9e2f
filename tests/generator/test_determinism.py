"""Same seed and parameters give the same bytes; append gives what a longer generate gives."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from gen_support import PARAMS, file_hashes

from generator.run import generate


def test_two_runs_are_byte_identical(landing: Path, tmp_path: Path) -> None:
    generate(PARAMS, tmp_path / "landing", tmp_path / "seeds")
    first, second = file_hashes(landing), file_hashes(tmp_path / "landing")
    assert len(first) > 11 * PARAMS.days
    assert first == second
    assert file_hashes(landing.parent / "seeds") == file_hashes(tmp_path / "seeds")


def test_another_seed_changes_the_data(landing: Path, tmp_path: Path) -> None:
    generate(dataclasses.replace(PARAMS, seed=8), tmp_path / "landing", None)
    first, other = file_hashes(landing), file_hashes(tmp_path / "landing")
    assert first.keys() == other.keys()
    assert (
        first["orders/date=2025-01-10/orders_2025-01-10.csv"]
        != other["orders/date=2025-01-10/orders_2025-01-10.csv"]
    )


def test_append_equals_a_longer_generate(landing: Path, appended: Path) -> None:
    assert file_hashes(appended) == file_hashes(landing)
    # the comparison covers a drifted stretch and an as-of date's churn truth
    labels = (appended / "_truth" / "churn_labels.csv").read_text().splitlines()
    assert len(labels) > 100 and labels[1].split(",")[1] == "2025-02-01"
    assert (appended / "_truth" / "daily_profile.csv").read_text().count(",true\n") == PARAMS.days - 25


def test_generate_replaces_the_previous_zone(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    generate(PARAMS.with_days(5), out, None)
    generate(PARAMS.with_days(3), out, None)
    days = sorted(p.name for p in (out / "orders").iterdir())
    assert days == ["date=2025-01-01", "date=2025-01-02", "date=2025-01-03"]


@pytest.mark.parametrize("entity", ["customers", "orders", "web_events", "support_tickets"])
def test_every_day_has_a_partition(landing: Path, entity: str) -> None:
    assert len(list((landing / entity).glob("date=*/*"))) == PARAMS.days
