"""A small warehouse for the gate tests, built with its own dbt target/log paths (no clash with teammates)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emporium import cli
from emporium.config import Settings, load_settings

os.environ["GX_ANALYTICS_ENABLED"] = "False"


def settings_at(data_dir: Path, landing_dir: Path | None = None) -> Settings:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPORIUM_")}
    env.update({"EMPORIUM_DATA_DIR": str(data_dir), "DBT_TARGET": "duckdb"})
    if landing_dir is not None:
        env["EMPORIUM_LANDING_DIR"] = str(landing_dir)
    return load_settings(env)


@contextmanager
def environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def gx_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Generated scale-0.01, 30-day data built through every layer by dbt (tests included) on DuckDB."""
    from emporium.pipeline import build

    data_dir = tmp_path_factory.mktemp("gx_clean")
    settings = settings_at(data_dir)
    args = ["generate", "--scale", "0.01", "--days", "30", "--seed", "42", "--quiet"]
    code = cli.main([*args, "--out", str(settings.landing_dir), "--seeds-dir", str(data_dir / "seeds")])
    assert code == 0, "the generator failed"
    # dbt reads DBT_TARGET_PATH / DBT_LOG_PATH; run_dbt passes os.environ through to its subprocess.
    with environ(DBT_TARGET_PATH=str(data_dir / "target"), DBT_LOG_PATH=str(data_dir / "logs")):
        build(settings, full_refresh=True)
    return settings


@pytest.fixture
def warehouse_copy(gx_warehouse: Settings, tmp_path: Path) -> Settings:
    """A private copy of the clean warehouse (same landing zone) that a test may corrupt."""
    settings = settings_at(tmp_path / "data", landing_dir=gx_warehouse.landing_dir)
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(gx_warehouse.warehouse_path, settings.warehouse_path)
    return settings
