"""Shared fixtures: a tiny generated world and DuckDB warehouses built from it by dbt."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from emporium import cli
from emporium.config import Settings, load_settings

TINY = {"scale": "0.01", "days": "40", "seed": "42"}


def settings_for(data_dir: Path, **overrides: str) -> Settings:
    # Paths derive from data_dir unless overridden, whatever the calling shell exports.
    derived = ("EMPORIUM_LANDING_DIR", "EMPORIUM_WAREHOUSE_PATH")
    env = {k: v for k, v in os.environ.items() if k not in derived}
    env |= {"EMPORIUM_DATA_DIR": str(data_dir), "DBT_TARGET": "duckdb"}
    env["DBT_TARGET_PATH"] = str(data_dir / "target")
    return load_settings({**env, **overrides})


def generate(landing_dir: Path, seeds_dir: Path, days: str = TINY["days"]) -> None:
    args = ["generate", "--scale", TINY["scale"], "--days", days, "--seed", TINY["seed"]]
    code = cli.main([*args, "--out", str(landing_dir), "--seeds-dir", str(seeds_dir), "--quiet"])
    assert code == 0, "the generator failed"


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
