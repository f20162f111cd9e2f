"""`emporium validate`: check a landing zone's files without building anything."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from tabulate import tabulate

from emporium.config import load_settings
from ingest.validation import Problem, validate_landing


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check landing files (encoding, columns, truncation); errors are what the load rejects",
    )
    parser.add_argument("landing_dir", nargs="?", type=Path, help="default: the configured landing zone")
    parser.add_argument("--since", type=date.fromisoformat, help="only partitions from this day (YYYY-MM-DD)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    landing_dir = args.landing_dir or load_settings().landing_dir
    problems = validate_landing(landing_dir.resolve(), since=args.since)
    print(render(problems, landing_dir))
    return 1 if any(p.severity == "error" for p in problems) else 0


def render(problems: list[Problem], landing_dir: Path) -> str:
    if not problems:
        return f"{landing_dir}: no problems found"
    rows = [(p.severity, p.path, p.line or "", p.problem) for p in problems]
    errors = sum(p.severity == "error" for p in problems)
    table = tabulate(rows, headers=["severity", "file", "line", "problem"])
    return (
        f"{table}\n\n{landing_dir}: {errors} error(s) (files the load leaves out), "
        f"{len(problems) - errors} warning(s) (files that load, normalised)"
    )
