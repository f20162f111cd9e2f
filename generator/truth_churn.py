"""Churn truth: the label's true probability per (customer, as_of_date) of the feature mart's grid, the
realised label, and who stopped visiting when."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from generator import truth_io
from generator.labels import CHURN_HORIZON_DAYS, CHURN_LABEL_COLUMN, label_observable
from generator.simulate.calendar import DAY_SECONDS
from generator.simulate.tables import Table
from generator.simulate.world import World

CHURN_LABELS_FILE = "churn_labels.csv"
LATENT_CHURN_FILE = "customer_churn.csv"


def order_days(world: World, clean: dict[str, Table]) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, day) of every order with a landed version, as the warehouse sees them: any version
    will do (its `placed` row may land after the last day), all carry the same customer and ordered_at."""
    orders = clean["orders"]
    _, first = np.unique(orders["order_id"], return_index=True)
    return orders["customer_id"][first] - 1, (orders["ordered_at"][first] - world.epoch0) // DAY_SECONDS


def realised_labels(world: World, clean: dict[str, Table]) -> dict[int, np.ndarray]:
    """Per as-of day: the realised label of customers 0..n-1 (true = no landed order in the window);
    meaningful where the window ends inside the data (label_observable)."""
    buyer, order_day = order_days(world, clean)
    labels = {}
    for day in sorted(world.as_of):
        n = len(world.as_of[day].probability)
        in_window = (order_day >= day) & (order_day < day + CHURN_HORIZON_DAYS)
        labels[day] = np.bincount(buyer[in_window], minlength=n)[:n] == 0
    return labels


LABEL_COLUMNS = ["customer_id", "as_of_date", "churn_probability", CHURN_LABEL_COLUMN, "stopped_visiting"]


def label_columns(world: World, clean: dict[str, Table]) -> Iterator[dict[str, pa.Array]]:
    """One row per (as_of_date, customer signed up before it), in that order: one as-of date at a time."""
    days = world.params.days
    labels = realised_labels(world, clean)
    for day in sorted(world.as_of):
        truth = world.as_of[day]
        n = len(truth.probability)
        unknown = np.full(n, not label_observable(day, days))
        yield {
            "customer_id": truth_io.ints(np.arange(1, n + 1)),
            "as_of_date": pa.repeat(pa.scalar(world.params.date_of(day).isoformat()), n),
            "churn_probability": truth_io.decimals(truth.probability),
            CHURN_LABEL_COLUMN: truth_io.bools(labels[day], unknown),
            "stopped_visiting": truth_io.bools(truth.stopped),
        }


def write(truth_dir: Path, world: World, clean: dict[str, Table]) -> None:
    truth_io.write_column_chunks(truth_dir / CHURN_LABELS_FILE, LABEL_COLUMNS, label_columns(world, clean))
    churned_day = world.customers.churned_day[: world.customers.n]
    stopped = churned_day >= 0
    on = [world.params.date_of(int(d)).isoformat() if d >= 0 else "" for d in churned_day]
    truth_io.write_columns(
        truth_dir / LATENT_CHURN_FILE,
        {
            "customer_id": truth_io.ints(np.arange(1, len(churned_day) + 1)),
            "churned": truth_io.bools(stopped),
            "churned_on": pa.array(on, pa.string()),
        },
    )
