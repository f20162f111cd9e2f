"""Shared fixtures: a tiny generated world and DuckDB warehouses built from it by dbt."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emporium.config import Settings
from tests.support import generate, settings_for


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A scale-0.01 landing zone; the seeds it writes must equal the committed ones."""
    data_dir = tmp_path_factory.mktemp("tiny")
    settings = settings_for(data_dir)
    generate(settings.landing_dir, data_dir / "seeds")
    return settings


@pytest.fixture(scope="session")
def build_warehouse() -> Callable[[Settings, bool], None]:
    from emporium.pipeline import build

    def _build(settings: Settings, full_refresh: bool = True) -> None:
        build(settings, full_refresh=full_refresh)

    return _build


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_landing: Settings, build_warehouse: Callable[[Settings, bool], None]) -> Settings:
    """The tiny landing zone built through every layer (dbt build, tests included) on DuckDB."""
    build_warehouse(tiny_landing, True)
    return tiny_landing
