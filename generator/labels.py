"""The churn label, defined once for the generator's truth; the feature mart
(models/gold/ml/fm_customer_churn_features.sql, column `churned_next_60d`) uses the same definition, its
horizon from dbt var `churn_horizon_days` (dbt_project.yml); a test checks that the var equals
CHURN_HORIZON_DAYS.

Label of (customer, as_of_date): true when the customer places no order (any order, whatever its current
status, cancelled included) in [as_of_date, as_of_date + CHURN_HORIZON_DAYS days). As-of grid: every first
of a month strictly after the first day of data, up to the last day; a customer is on the grid from the
first as_of_date after their sign-up day.
"""

from __future__ import annotations

import datetime as dt

CHURN_LABEL_COLUMN = "churned_next_60d"
CHURN_LABEL_EVENT = "order"
CHURN_HORIZON_DAYS = 60


def is_as_of_day(start: dt.date, day: int) -> bool:
    """Whether day index `day` (0 = `start`) is on the as-of grid (depends on nothing else, so the grid
    of a longer horizon extends the shorter one's)."""
    return day > 0 and (start + dt.timedelta(days=day)).day == 1


def as_of_days(start: dt.date, days: int) -> list[int]:
    return [d for d in range(1, days) if is_as_of_day(start, d)]


def label_observable(day: int, days: int) -> bool:
    """The label window ends inside the data (the mart's label is null otherwise)."""
    return day + CHURN_HORIZON_DAYS <= days
