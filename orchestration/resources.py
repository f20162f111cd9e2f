"""Dagster resources: the project's settings (emporium/config.py, the one place that reads the environment)
and dbt, pointed at the same warehouse whichever engine DBT_TARGET names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster_dbt import DbtCliResource

from emporium.config import PROJECT_ROOT, Settings, dbt_env, load_settings
from emporium.dbt import LANDING_WINDOW_ENV, dbt_executable, landing_window_env


class EmporiumResource(dg.ConfigurableResource):
    """The settings every asset reads. `overrides` win over the process environment (tests point a run at a
    scratch data folder with them); empty means exactly what `emporium` on the command line would use."""

    overrides: dict[str, str] = {}  # noqa: RUF012 - pydantic copies field defaults per instance

    def settings(self) -> Settings:
        import os

        return load_settings({**os.environ, **self.overrides})


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(PROJECT_ROOT),
        profiles_dir=str(PROJECT_ROOT / "profiles"),
        dbt_executable=dbt_executable(),
    )


@contextmanager
def dbt_environment(settings: Settings, days: tuple[dt.date, dt.date] | None = None) -> Iterator[None]:
    """Run the block with the environment a dbt process needs for `settings` and the landing-day range `days`
    (none: no window, a build over everything).

    dagster-dbt builds the dbt subprocess's environment from os.environ when it starts it (and reads the
    profile in this process), so the settings have to be there at that moment; restored afterwards."""
    import os

    saved = dict(os.environ)
    os.environ.update(dbt_env(settings))
    for name in LANDING_WINDOW_ENV:
        os.environ.pop(name, None)
    os.environ.update(landing_window_env(days))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
