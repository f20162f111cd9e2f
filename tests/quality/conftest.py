"""Gate tests run on the shared tiny warehouse (built through the gated pipeline) or on private copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emporium.config import Settings
from tests.support import settings_for


@pytest.fixture
def warehouse_copy(tiny_warehouse: Settings, tmp_path: Path) -> Settings:
    """A private copy of the clean warehouse (same landing zone) that a test may corrupt."""
    settings = settings_for(tmp_path / "data", EMPORIUM_LANDING_DIR=str(tiny_warehouse.landing_dir))
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(tiny_warehouse.warehouse_path, settings.warehouse_path)
    return settings
