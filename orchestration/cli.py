"""`emporium` command line: each subcommand lives in the module that owns its domain."""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand modules; each exposes `register(subparsers)` which sets `func(args) -> int` on its parser
COMMAND_MODULES = (
    "generator.cli",
    "ingest.cli",
    "ingest.raw_load",
    "orchestration.commands",
    "orchestration.ml_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emporium", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
