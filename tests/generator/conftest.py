"""Small landing zones shared by the generator tests (scale 0.01, a month)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gen_support import PARAMS

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
    """The same zone built as generate(22 days) + append(5) + append(3)."""
    root = tmp_path_factory.mktemp("appended")
    generate(PARAMS.with_days(22), root / "landing", root / "seeds")
    append(root / "landing", 5, root / "seeds")
    append(root / "landing", 3, root / "seeds")
    return root / "landing"
