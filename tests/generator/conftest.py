"""Landing zones shared by the generator tests: a small one with many defects (scale 0.01, 40 days),
the same built by generate + append, and the tiny world the whole suite builds its warehouse from."""

from __future__ import annotations

from pathlib import Path

import pytest
from gen_support import PARAMS, TINY_PARAMS

from generator.run import append, generate


@pytest.fixture(scope="session")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    generate(PARAMS, root / "landing", root / "seeds")
    return root / "landing"


@pytest.fixture(scope="session")
def seeds(landing: Path) -> Path:
    return landing.parent / "seeds"


@pytest.fixture(scope="session")
def appended(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same zone built as generate(28 days) + append(8) + append(4): across the drift day (25) and
    the first as-of date (31)."""
    root = tmp_path_factory.mktemp("appended")
    generate(PARAMS.with_days(28), root / "landing", root / "seeds")
    append(root / "landing", 8, root / "seeds")
    append(root / "landing", 4, root / "seeds")
    return root / "landing"


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world of tests/support.py (TINY): default defect rates, 120 days, drift inside."""
    root = tmp_path_factory.mktemp("tiny")
    generate(TINY_PARAMS, root / "landing", None)
    return root / "landing"
