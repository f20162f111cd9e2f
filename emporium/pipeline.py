"""`emporium run`: the main job. Generate a landing zone, build every layer with dbt, print a summary."""

from __future__ import annotations

import argparse
import sys
import time

from emporium import cli, summary
from emporium.config import Settings, load_settings
from emporium.dbt import DbtError, run_dbt
from quality.cli import render
from quality.landing import validate_landing


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="generate data, build bronze/silver/gold, print a summary")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-generate", action="store_true", help="build from the existing landing zone")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    parser.set_defaults(func=run)

    summary_parser = subparsers.add_parser("summary", help="rows per layer, quarantine, revenue vs truth")
    summary_parser.set_defaults(func=lambda args: _print_summary(load_settings()))


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    started = time.perf_counter()
    if not args.skip_generate:
        generate_args = ["generate", "--scale", str(args.scale), "--days", str(args.days)]
        generate_args += ["--seed", str(args.seed), "--out", str(settings.landing_dir)]
        generate_args += ["--seeds-dir", str(settings.seeds_dir)]
        code = cli.main(generate_args)
        if code:
            return code
    problems = validate_landing(settings.landing_dir)
    if any(problem.severity == "error" for problem in problems):
        print("emporium run: broken landing files, nothing was loaded", file=sys.stderr)
        print(render(problems, settings.landing_dir), file=sys.stderr)
        return 1
    try:
        build(settings, full_refresh=args.full_refresh or not args.skip_generate)
    except DbtError as error:
        print(f"emporium run: {error}", file=sys.stderr)
        return 1
    code = _print_summary(settings)
    print(f"\nfinished in {time.perf_counter() - started:.1f} s", flush=True)
    return code


def build(settings: Settings, *, full_refresh: bool) -> None:
    """Seeds, snapshots, models and their tests, in dependency order (`dbt build`)."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    run_dbt(settings, "build", *(["--full-refresh"] if full_refresh else []))


def _print_summary(settings: Settings) -> int:
    report = summary.collect(settings)
    print(summary.render(report), flush=True)
    return 0 if report.revenue_matches_truth else 1
