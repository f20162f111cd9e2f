"""Shared fixtures: a tiny generated world, DuckDB warehouses built from it by dbt, a throwaway Postgres."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emporium.config import PROJECT_ROOT, Settings
from tests.support import generate, postgres_settings, settings_for

PG_BIN = Path(os.environ.get("EMPORIUM_PG_BIN", "/usr/lib/postgresql/15/bin"))


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
def tiny_warehouse(tiny_landing: Settings) -> Settings:
    """The tiny landing zone built exactly as the main job builds it: `dbt build` per layer (tests included)
    on DuckDB, each layer's Great Expectations gate before the next (run id `tiny`); a failed gate fails here."""
    from emporium.pipeline import build, run_gate_step

    build(tiny_landing, full_refresh=True, gate=run_gate_step, run_id=TINY_RUN_ID)
    return tiny_landing
