"""Helpers the test packages share: settings for a scratch data directory, a tiny generated world."""

from __future__ import annotations

import os
from pathlib import Path

from emporium.config import Settings, load_settings
from orchestration import cli

# 120 days: the churn feature mart has two as-of dates with a label (2025-02-01, 2025-03-01: the label
# needs 60 days after its as-of date); the drift day (2025-03-01) lies inside, after the campaign
TINY = {"scale": "0.01", "days": "120", "seed": "42", "drift_day": "59"}
TINY_RUN_ID = "tiny"  # the gate run that builds the shared tiny warehouse


def settings_for(data_dir: Path, **overrides: str) -> Settings:
    # Paths derive from data_dir unless overridden, whatever the calling shell exports.
    derived = ("EMPORIUM_LANDING_DIR", "EMPORIUM_WAREHOUSE_PATH")
    env = {k: v for k, v in os.environ.items() if k not in derived}
    env |= {"EMPORIUM_DATA_DIR": str(data_dir), "DBT_TARGET": "duckdb"}
    env["DBT_TARGET_PATH"] = str(data_dir / "target")
    return load_settings({**env, **overrides})


def generate(landing_dir: Path, seeds_dir: Path, days: str = TINY["days"]) -> None:
    args = ["generate", "--scale", TINY["scale"], "--days", days, "--seed", TINY["seed"]]
    args += ["--drift-day", TINY["drift_day"]]
    code = cli.main([*args, "--out", str(landing_dir), "--seeds-dir", str(seeds_dir), "--quiet"])
    assert code == 0, "the generator failed"


def postgres_settings(
    data_dir: Path, landing_dir: Path, pg_env: dict[str, str], **overrides: str
) -> Settings:
    """Settings for the `postgres` target on the server `pg_env` (EMPORIUM_PG_*) names; `overrides` win
    (e.g. EMPORIUM_PG_DATABASE for a database of one's own on that server)."""
    env = {**pg_env, **overrides}
    return settings_for(data_dir, DBT_TARGET="postgres", EMPORIUM_LANDING_DIR=str(landing_dir), **env)
