"""`emporium run`: the main job.

generate → validate landing files → (Postgres: load raw) → bronze → gate → silver → gate → gold → gate →
summary. A failed `error` gate stops the run before the next layer is built.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from emporium.config import Settings, load_settings
from emporium.dbt import DbtError, run_dbt
from orchestration import cli
from quality import summary
from quality.cli import render
from quality.landing import validate_landing


@dataclass(frozen=True)
class Layer:
    name: str
    selection: tuple[str, ...]  # dbt node selection for `dbt build`


LAYERS = (
    Layer("bronze", ("path:seeds", "path:models/bronze")),
    Layer("silver", ("path:models/silver", "path:snapshots")),
    Layer("gold", ("path:models/gold",)),
)


class PipelineError(RuntimeError):
    """A step failed; the message says which and why."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="generate data, build and gate bronze/silver/gold, summarise")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-generate", action="store_true", help="build from the existing landing zone")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    parser.add_argument(
        "--no-gates", action="store_true", help="one `dbt build`, no Great Expectations gates"
    )
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
    try:
        validate(settings)
        build(
            settings,
            full_refresh=args.full_refresh or not args.skip_generate,
            gate=None if args.no_gates else run_gate_step,
        )
    except (PipelineError, DbtError) as error:
        print(f"emporium run: {error}", file=sys.stderr)
        return 1
    code = _print_summary(settings)
    print(f"\nfinished in {time.perf_counter() - started:.1f} s", flush=True)
    return code


def validate(settings: Settings) -> None:
    problems = validate_landing(settings.landing_dir)
    if any(problem.severity == "error" for problem in problems):
        raise PipelineError(
            f"broken landing files, nothing was loaded\n{render(problems, settings.landing_dir)}"
        )


def build(
    settings: Settings,
    *,
    full_refresh: bool,
    gate: Callable[[Settings, str, str], None] | None = None,
    run_id: str | None = None,
) -> None:
    """Build bronze, silver and gold with `dbt build`; with a gate, validate each layer before the next."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    if settings.dbt_target == "postgres":
        _load_postgres(settings)
    flags = ["--full-refresh"] if full_refresh else []
    if not settings.truth_dir.exists():
        flags += ["--exclude", "tag:truth"]  # real data has no planted truth to reconcile with
    if gate is None:
        run_dbt(settings, "build", *flags)
        return
    run_id = run_id or uuid.uuid4().hex[:12]
    for layer in LAYERS:
        # buildable: a test runs once every parent it has is built, so cross-layer tests run with the later layer
        run_dbt(settings, "build", "--select", *layer.selection, "--indirect-selection", "buildable", *flags)
        gate(settings, layer.name, run_id)


def run_gate_step(settings: Settings, layer: str, run_id: str) -> None:
    from quality.gates import run_gate  # GX takes seconds to import: only when gating

    result = run_gate(settings, layer, run_id)
    print(result.render(), flush=True)
    if not result.passed:
        raise PipelineError(f"the {layer} gate failed: later layers were not built (run {run_id})")


def _load_postgres(settings: Settings) -> None:
    """Reload schema raw from the landing zone (idempotent; dbt's incremental models pick out new days)."""
    from ingest.raw_load import LoadError, load_landing

    try:
        counts = load_landing(settings, settings.postgres.connection_params())
    except LoadError as error:
        raise PipelineError(f"loading raw failed: {error}") from None
    print(f"loaded {sum(counts.values()):,} raw rows into Postgres", flush=True)


def _print_summary(settings: Settings) -> int:
    report = summary.collect(settings)
    print(summary.render(report), flush=True)
    return 1 if report.revenue_truth is not None and not report.revenue_matches_truth else 0
