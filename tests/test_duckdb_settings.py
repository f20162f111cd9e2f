"""DuckDB's memory limit, threads and spill directory come from the settings, on both sides: the Python
side's connections (engine.DuckDBEngine) and dbt's (profiles/profiles.yml)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from emporium.config import dbt_env, load_settings
from emporium.dbt import dbt_executable
from emporium.engine import DuckDBEngine

SHOW = "select current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "EMPORIUM_DATA_DIR": str(tmp_path),
        "EMPORIUM_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "EMPORIUM_DUCKDB_MEMORY_LIMIT": "700MiB",
        "EMPORIUM_DUCKDB_THREADS": "1",
        "EMPORIUM_DUCKDB_TEMP_DIR": str(tmp_path / "spill"),
    }


def test_defaults_are_documented_values(tmp_path: Path) -> None:
    duck = load_settings({"EMPORIUM_DATA_DIR": str(tmp_path)}).duckdb
    assert (duck.memory_limit, duck.threads, duck.temp_directory) == ("4GiB", 2, tmp_path / "duckdb_tmp")
    with pytest.raises(ValueError, match="EMPORIUM_DUCKDB_THREADS"):
        load_settings({"EMPORIUM_DUCKDB_THREADS": "0"})


def test_python_connections_take_the_settings(tmp_path: Path) -> None:
    engine = DuckDBEngine(load_settings(_env(tmp_path)))
    with engine.connect(read_only=False) as connection:
        row = connection.execute(SHOW).fetchone()
    assert row == ("700.0 MiB", 1, str(tmp_path / "spill"))


def test_a_second_connection_opens_after_the_first_spilled(tmp_path: Path) -> None:
    """DuckDB will not switch a spill directory once used, not even to itself: the second connection to
    the same file in this process must still open (the Dagster process, Great Expectations)."""
    engine = DuckDBEngine(load_settings({**_env(tmp_path), "EMPORIUM_DUCKDB_MEMORY_LIMIT": "20MB"}))
    with engine.connect(read_only=False) as first:
        first.execute("create table t as select range as i, hash(range) as h from range(3000000)")
        first.execute("select i from t order by h").fetchall()
        assert (tmp_path / "spill").is_dir()  # it spilled there
        with engine.connect(read_only=False) as second:
            assert second.execute(SHOW).fetchone() == ("19.0 MiB", 1, str(tmp_path / "spill"))


def test_dbt_connections_take_the_settings(tmp_path: Path) -> None:
    """dbt's connection check runs DuckDB with the profile's settings: a memory limit DuckDB cannot read
    fails it (`dbt debug` neither parses the project nor builds anything, so it is the cheap probe)."""
    settings = load_settings({**_env(tmp_path), "EMPORIUM_DUCKDB_MEMORY_LIMIT": "plenty"})
    env = {**dbt_env(settings), "DBT_TARGET_PATH": str(tmp_path / "target")}
    debug = subprocess.run(
        [dbt_executable(), "debug", "--profiles-dir", str(settings.profiles_dir)],
        cwd=settings.project_dir, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert debug.returncode != 0
    assert "Memory must have a number" in debug.stdout


def test_dbt_keeps_building_after_duckdb_spilled(tmp_path: Path) -> None:
    """A model that spills, then models on other cursors: dbt-duckdb applies a profile's `settings` again on
    every new cursor, and DuckDB refuses to set temp_directory once it has spilled there (an SF 10 build
    failed in silver so). The profile sets the spill directory once, when dbt opens the database."""
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: spill_probe\nversion: '1.0'\nprofile: emporium\nmodels:\n  spill_probe:\n    +materialized: table\n"
    )
    models = {
        "big": "select range as i, hash(range) as h from range(10000000) order by h",
        "after_count": "select count(*) as n from {{ ref('big') }}",
        "after_max": "select max(h) as m from {{ ref('big') }}",
    }
    for name, sql in models.items():
        (project / "models" / f"{name}.sql").write_text(sql + "\n")
    spilling = {"EMPORIUM_DUCKDB_MEMORY_LIMIT": "100MB", "EMPORIUM_DUCKDB_THREADS": "2"}
    settings = load_settings({**_env(tmp_path), **spilling})
    env = {
        **dbt_env(settings),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "log"),
    }
    run = subprocess.run(
        [dbt_executable(), "run", "--profiles-dir", str(settings.profiles_dir), "--project-dir", str(project)],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    assert "PASS=3" in run.stdout
