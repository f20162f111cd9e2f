"""Shared fixtures: a tiny generated world, warehouses built from it through the Dagster asset graph (once per
session where a test only reads), a throwaway Postgres."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emporium.config import PROJECT_ROOT, Settings, load_settings
from orchestration.runner import RunOutcome
from tests.support import build, build_with_dbt, free_port, generate, postgres_settings, settings_for

PG_BIN = Path(os.environ.get("EMPORIUM_PG_BIN", "/usr/lib/postgresql/15/bin"))


# The files that take longest (seconds of one worker in a `make test` run: governance 309, the dashboards site
# 265, serving 201, Spark 163, ML 154, the daemon 150, a rejected file 136, the backfill 122), run first: under
# `--dist loadfile` each file goes whole to the next free worker, so the short ones last even out the end.
LONGEST_FIRST = (
    "warehouse/test_governance.py",
    "dashboards/test_site.py",
    "serving/test_service.py",
    "warehouse/test_spark.py",
    "ml/test_ml.py",
    "orchestration/test_daemon.py",
    "orchestration/test_rejected_file.py",
    "orchestration/test_backfill.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.path.relative_to(PROJECT_ROOT / "tests").as_posix()
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within a file, and of the other files, stays


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    """Under CI=true a skipped Postgres test fails: there, no server means the engine went untested."""
    report = yield
    postgres = item.get_closest_marker("postgres") or "postgres_server" in getattr(item, "fixturenames", ())
    if report.skipped and postgres and load_settings().ci:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"a Postgres test may not skip under CI=true ({reason})"
    return report


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A scale-0.01 landing zone; the seeds it writes equal the committed ones (tests/generator/test_cli.py)."""
    data_dir = tmp_path_factory.mktemp("tiny")
    settings = settings_for(data_dir)
    generate(settings.landing_dir, data_dir / "seeds")
    return settings


@pytest.fixture(scope="session")
def build_warehouse() -> Callable[[Settings, bool], None]:
    """Build a private warehouse the quick way: the raw load, then one `dbt build` (no Dagster, no gates),
    for tests of what the models do (governance, bad rows). full_refresh=False is dbt's incremental build."""

    def _build(settings: Settings, full_refresh: bool = True) -> None:
        build_with_dbt(settings, full_refresh=full_refresh)

    return _build


@pytest.fixture(scope="session")
def tiny_run(tiny_landing: Settings) -> RunOutcome:
    """The tiny landing zone built exactly as the main job builds it: one Dagster run of the asset graph (raw
    load, dbt seeds/bronze/silver/snapshots/gold with their tests as checks, the Great Expectations gates as
    blocking checks between the layers) on DuckDB."""
    return build(tiny_landing, full_refresh=True)


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_landing: Settings, tiny_run: RunOutcome) -> Settings:
    """Settings of the tiny warehouse; a failed build fails here."""
    assert tiny_run.success, tiny_run.render()
    return tiny_landing


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[dict[str, str]]:
    """A throwaway PostgreSQL (scripts/postgres.sh) on a free port; yields its EMPORIUM_PG_* variables."""
    if os.geteuid() != 0 and not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL binaries in {PG_BIN} and not root to install them")
    # not under pytest's tmp (0700, root's): as root the server runs as the `postgres` user
    pg_dir = tempfile.mkdtemp(prefix="emporium-pg-")
    pg_env = {"EMPORIUM_PG_HOST": "127.0.0.1", "EMPORIUM_PG_PORT": str(free_port()), "EMPORIUM_PG_USER": "emporium",
              "EMPORIUM_PG_PASSWORD": "", "EMPORIUM_PG_DATABASE": "emporium"}  # fmt: skip
    env = {**os.environ, **pg_env, "EMPORIUM_PG_DIR": pg_dir}
    script = str(PROJECT_ROOT / "scripts" / "postgres.sh")
    try:
        started = subprocess.run([script, "start"], env=env, capture_output=True, text=True, check=False)
        assert started.returncode == 0, f"postgres.sh start failed:\n{started.stdout}{started.stderr}"
        yield pg_env
    finally:
        subprocess.run([script, "destroy"], env=env, capture_output=True, check=False)
        shutil.rmtree(pg_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_warehouse(
    tiny_landing: Settings, postgres_server: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """The tiny landing zone built on Postgres through the same Dagster definitions (raw load, dbt, gates)."""
    settings = postgres_settings(
        tmp_path_factory.mktemp("tiny-pg"), tiny_landing.landing_dir, postgres_server
    )
    outcome = build(settings, full_refresh=True)
    assert outcome.success, outcome.render()
    return settings
