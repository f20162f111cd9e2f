"""The application's own subcommands: `run` (the main job, through Dagster), `summary`, `purge`, `dev`,
`dashboards`."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time

from emporium.config import Settings, load_settings, settings_env

# exit codes of `emporium run`
OK, FAILED, FILES_REJECTED = 0, 1, 3


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run", help="generate a world, then materialise the asset graph (raw, bronze, silver, gold, gates)"
    )
    run.add_argument("--scale", type=float, default=0.1)
    run.add_argument("--days", type=int, default=365)
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--skip-generate", action="store_true", help="build from the existing landing zone")
    run.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    run.add_argument("--start", type=dt.date.fromisoformat, help="first landing day to build (default: all)")
    run.add_argument("--end", type=dt.date.fromisoformat, help="last landing day to build (default: --start)")
    run.add_argument("--skip-dashboards", action="store_true", help="do not build the BI site afterwards")
    run.set_defaults(func=run_main_job)

    summary = subparsers.add_parser("summary", help="rows per layer, quarantine, revenue vs truth")
    summary.set_defaults(func=lambda args: print_summary(load_settings()))

    purge = subparsers.add_parser("purge", help="erase one customer's personal data from every layer")
    purge.add_argument("customer_id", type=int)
    purge.set_defaults(func=run_purge)

    dev = subparsers.add_parser(
        "dev", help="the Dagster UI on 127.0.0.1 (dagster dev), DAGSTER_HOME under data/"
    )
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=run_dev)

    dashboards = subparsers.add_parser(
        "dashboards", help="the BI site (Evidence, dashboards/) over the gold marts"
    )
    dashboards.add_argument("action", choices=("install", "build", "serve"),
                            help="install: npm packages from the lock; build: the Dagster job `dashboards`; "
                                 "serve: the built site on 127.0.0.1")  # fmt: skip
    dashboards.add_argument("--port", type=int, default=3001)
    dashboards.set_defaults(func=run_dashboards)


def run_main_job(args: argparse.Namespace) -> int:
    from orchestration.runner import generate, materialize_warehouse

    settings = load_settings()
    started = time.perf_counter()
    if not args.skip_generate:
        outcome = generate(settings, scale=args.scale, days=args.days, seed=args.seed)
        print(outcome.render(), flush=True)
        if not outcome.success:
            return FAILED
    window = None
    if args.start:
        window = (args.start, args.end or args.start)
    full_refresh = args.full_refresh or not args.skip_generate
    outcome = materialize_warehouse(settings, window=window, full_refresh=full_refresh)
    print(outcome.render(), flush=True)
    if not outcome.success:
        print("emporium run: the run failed; see the failed steps and checks above", file=sys.stderr)
        return FAILED
    if not bootstrap_models(settings) or not estimate_effects(settings):
        return FAILED
    if not args.skip_dashboards and build_dashboards(settings) != OK:
        return FAILED
    code = print_summary(settings)
    print(f"\nfinished in {time.perf_counter() - started:.1f} s", flush=True)
    if code == FILES_REJECTED:
        print(
            "\n!!! landing files were REJECTED: they were left out and recorded in quality.rejected_files, and"
            " the revenue above waits on them; re-send corrected files and the landing sensor (or `emporium run"
            " --skip-generate --start DAY`) rebuilds those days.",
            file=sys.stderr,
        )
    return code


def bootstrap_models(settings: Settings) -> bool:
    """With no champion model yet (a fresh clone), train, register, approve and score once: the weekly
    training job takes over from there. False when a run failed."""
    from ml.scoring import has_champions
    from orchestration.runner import score_models, train_models

    if has_champions(settings):
        return True
    started = time.perf_counter()
    print("no champion models yet: training (job ml_training), then scoring", flush=True)
    for run in (train_models, score_models):
        outcome = run(settings)
        print(outcome.render(), flush=True)
        if not outcome.success:
            print("emporium run: the ML run failed; see the failed steps above", file=sys.stderr)
            return False
    print(f"models trained, approved and scored in {time.perf_counter() - started:.1f} s", flush=True)
    return True


def estimate_effects(settings: Settings) -> bool:
    """The job causal_estimates once, after the warehouse run (then weekly on its schedule): the experiment
    and campaign estimates, gold.mart_experiment_results and the report. False when the run failed."""
    from orchestration.runner import estimate_effects as run_causal_job

    started = time.perf_counter()
    outcome = run_causal_job(settings)
    print(outcome.render(), flush=True)
    if not outcome.success:
        print("emporium run: the causal estimates failed; see the failed steps above", file=sys.stderr)
        return False
    report = settings.data_dir / "causal" / "report.md"
    print(f"causal estimates in {time.perf_counter() - started:.1f} s; report: {report}", flush=True)
    return True


def print_summary(settings: Settings) -> int:
    """Print the summary; FAILED when gold's revenue is off where no rejected file explains it, FILES_REJECTED
    while landing files stay rejected (what they hold is not in gold yet), else OK."""
    from orchestration import summary

    report = summary.collect(settings)
    print(summary.render(report), flush=True)
    if report.revenue_mismatch:
        return FAILED
    return FILES_REJECTED if report.rejected_files else OK


def run_purge(args: argparse.Namespace) -> int:
    from emporium.dbt import DbtError
    from emporium.governance import purge_customer
    from ml.online_store import purge_customer as purge_online
    from serving.prediction_log import erase_customer as purge_prediction_log

    settings = load_settings()
    try:
        purge_customer(settings, args.customer_id)
        purge_online(settings.ml.online_store_path, args.customer_id)
        purge_prediction_log(settings.serving.prediction_log_path, args.customer_id)
    except (DbtError, ValueError) as error:
        print(f"emporium purge: {error}", file=sys.stderr)
        return FAILED
    print(
        f"customer {args.customer_id} erased; landing files keep it until their retention window", flush=True
    )
    return OK


def run_dev(args: argparse.Namespace) -> int:
    from orchestration.instance import DAGSTER_ENV, prepare_home

    settings = load_settings()
    prepare_home(settings)
    env = {**DAGSTER_ENV, **os.environ, **settings_env(settings)}
    command = [
        os.path.join(os.path.dirname(sys.executable), "dagster"),
        "dev",
        "-m",
        "orchestration.definitions",
    ]
    command += ["--host", "127.0.0.1", "--port", str(args.port)]
    print(f"Dagster UI: http://127.0.0.1:{args.port}  (DAGSTER_HOME={settings.dagster_home})", flush=True)
    return subprocess.call(command, env=env, cwd=settings.project_dir)


def build_dashboards(settings: Settings) -> int:
    """The dashboards job (copy gold, build the site), timed."""
    from dashboards.site import install
    from orchestration.runner import build_dashboards as run_job

    started = time.perf_counter()
    install()
    outcome = run_job(settings)
    print(outcome.render(), flush=True)
    if not outcome.success:
        print("emporium: the dashboards build failed; see the failed steps above", file=sys.stderr)
        return FAILED
    site = settings.dashboards_dir / "site"
    print(f"dashboards built in {time.perf_counter() - started:.1f} s: {site} (emporium dashboards serve)")
    return OK


def run_dashboards(args: argparse.Namespace) -> int:
    from dashboards.site import SiteBuildError, install, serve

    settings = load_settings()
    try:
        if args.action == "install":
            print("npm install ran" if install() else "dashboards/node_modules is up to date", flush=True)
            return OK
        if args.action == "build":
            return build_dashboards(settings)
        print(f"dashboards: http://127.0.0.1:{args.port}/  (Ctrl-C stops)", flush=True)
        serve(settings.dashboards_dir / "site", args.port)
    except SiteBuildError as error:
        print(f"emporium dashboards: {error}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        pass
    return OK
