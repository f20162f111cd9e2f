"""The right to be forgotten for one customer (macro purge_customer, macros/governance.sql)."""

from __future__ import annotations

import json

from emporium.config import Settings
from emporium.dbt import run_dbt


def purge_customer(settings: Settings, customer_id: int) -> None:
    """Register the erasure and scrub the customer's rows in every layer; later builds keep them erased."""
    if customer_id <= 0:
        raise ValueError(f"customer_id must be a positive integer, got {customer_id}")
    args = json.dumps({"customer_id": customer_id})
    run_dbt(settings, "run-operation", "purge_customer", "--args", args, quiet=True)
