"""`emporium purge`: the right to be forgotten for one customer (macro purge_customer, macros/governance.sql)."""

from __future__ import annotations

import argparse
import json
import sys

from emporium.config import Settings, load_settings
from emporium.dbt import DbtError, run_dbt


def purge_customer(settings: Settings, customer_id: int) -> None:
    """Register the erasure and scrub the customer's rows in every layer; later builds keep them erased."""
    if customer_id <= 0:
        raise ValueError(f"customer_id must be a positive integer, got {customer_id}")
    args = json.dumps({"customer_id": customer_id})
    run_dbt(settings, "run-operation", "purge_customer", "--args", args, quiet=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("purge", help="erase one customer's personal data from every layer")
    parser.add_argument("customer_id", type=int)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        purge_customer(load_settings(), args.customer_id)
    except (DbtError, ValueError) as error:
        print(f"emporium purge: {error}", file=sys.stderr)
        return 1
    print(
        f"customer {args.customer_id} erased; landing files keep it until their retention window", flush=True
    )
    return 0
