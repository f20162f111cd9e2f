"""Running dbt as a subprocess of the project's own environment, with the settings applied."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

from emporium.config import Settings, dbt_env

# Models over tables that Python assets write (tag python_inputs) and everything downstream of them, their
# tests included (dbt tests do not inherit a model's tags): built after those assets, never with the layers.
AFTER_PYTHON = "tag:python_inputs+"

# An orchestrated run's landing-day range, read by macros/incremental.sql at execution time. Environment
# variables rather than `--vars`: dbt re-parses the whole project whenever its vars change, which every new
# window would do (about 5 s at each run's first dbt process).
LANDING_WINDOW_ENV = ("EMPORIUM_LANDING_START", "EMPORIUM_LANDING_END")


def landing_window_env(days: tuple[dt.date, dt.date] | None) -> dict[str, str]:
    """The window's variables for a dbt process; empty (so unset) for a build without a window."""
    return {} if days is None else dict(zip(LANDING_WINDOW_ENV, (d.isoformat() for d in days), strict=True))


class DbtError(RuntimeError):
    """dbt exited non-zero; the message names the command."""


def dbt_executable() -> str:
    # The dbt beside this interpreter, so a venv run never picks up another dbt on PATH.
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(settings: Settings, *args: str, quiet: bool = False) -> None:
    """Run `dbt <args>` in the project directory; raise DbtError when it fails."""
    command = [dbt_executable(), *args, "--profiles-dir", str(settings.profiles_dir)]
    result = subprocess.run(
        command,
        cwd=settings.project_dir,
        env=dbt_env(settings),
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout or "").splitlines()[-40:]) if quiet else ""
        raise DbtError(f"`dbt {' '.join(args)}` failed with exit code {result.returncode}\n{tail}".rstrip())
