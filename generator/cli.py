"""`emporium generate` and `emporium append`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from emporium.config import load_settings
from generator.config import DefectRates, Params
from generator.run import append, generate


def _drift(value: str) -> str:
    """A day offset (int) or an ISO date; resolved against --start later."""
    if not value.isdigit():
        dt.date.fromisoformat(value)
    return value


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    settings = load_settings()
    out = Path(args.out).resolve() if args.out else settings.landing_dir
    seeds = Path(args.seeds_dir).resolve() if args.seeds_dir else settings.seeds_dir
    return out, seeds


def run_generate(args: argparse.Namespace) -> int:
    start = dt.date.fromisoformat(args.start)
    drift = None
    if args.drift_day is not None:
        drift = start + dt.timedelta(days=int(args.drift_day)) if args.drift_day.isdigit() else None
        drift = drift or dt.date.fromisoformat(args.drift_day)
    rates = DefectRates(**{name: getattr(args, name) for name in DefectRates.names()})
    params = Params(
        seed=args.seed, scale=args.scale, start_date=start, days=args.days, drift_date=drift,
        max_late_days=args.max_late_days, defects=rates,
    )  # fmt: skip
    out, seeds = _paths(args)
    began = time.perf_counter()
    generate(params, out, seeds, _progress(args))
    if not args.quiet:
        print(
            f"generated {params.start_date}..{params.end_date} into {out}"
            f" in {time.perf_counter() - began:.1f}s"
        )
    return 0


def run_append(args: argparse.Namespace) -> int:
    out, seeds = _paths(args)
    began = time.perf_counter()
    params = append(out, args.days, seeds, _progress(args))
    if not args.quiet:
        print(f"appended up to {params.end_date} in {out} in {time.perf_counter() - began:.1f}s")
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="landing directory (default: EMPORIUM_LANDING_DIR or data/landing)")
    parser.add_argument("--seeds-dir", help="where seeds/*.csv go (default: EMPORIUM_SEEDS_DIR or seeds)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or summary line")


def register(subparsers: argparse._SubParsersAction) -> None:
    gen = subparsers.add_parser("generate", help="write a fresh landing zone (and seeds)")
    gen.add_argument(
        "--scale", type=float, default=0.1, help="1 = ~50k customers, ~675 orders/day before drift"
    )
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--days", type=int, default=365)
    gen.add_argument("--start", default="2025-01-01", help="first day, YYYY-MM-DD")
    gen.add_argument(
        "--drift-day", help="behaviour drift: day offset N or YYYY-MM-DD (default start + 219 days)"
    )
    gen.add_argument("--max-late-days", type=int, default=3)
    defaults = DefectRates()
    for name in DefectRates.names():
        gen.add_argument(
            f"--{name.replace('_', '-')}-rate", dest=name, metavar="RATE", type=float,
            default=getattr(defaults, name),
            help=f"share of rows with {name} (default {getattr(defaults, name)})",
        )  # fmt: skip
    _common(gen)
    gen.set_defaults(func=run_generate)

    app = subparsers.add_parser("append", help="add the next day(s) to an existing landing zone")
    app.add_argument("--days", type=int, default=1)
    _common(app)
    app.set_defaults(func=run_append)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (`python -m generator.cli`), independent of the other emporium commands."""
    parser = argparse.ArgumentParser(prog="generator")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
