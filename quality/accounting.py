"""Row accounting per entity: every loaded row is in silver, held for its parent, collapsed as a
duplicate/version, or quarantined.

    raw rows = silver rows + held rows + duplicates collapsed + quarantined rows

raw rows are counted in raw.<entity> (the dbt source `shop`, the same relation on every engine), so
independently of bronze; rows of rejected files never reach raw and are accounted for in
quality.rejected_files instead. held rows = silver.held_<entity> (rows waiting for a parent that has not
arrived; 0 for entities without one). duplicates collapsed = valid bronze rows - distinct keys among them:
every re-send and every extra version of a key that silver folds into one current row. (Counting it as valid
bronze rows - silver rows would make the identity hold whatever silver contains.) quarantined = rows of
bronze.quarantine_<entity>.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emporium.config import Settings
from emporium.contract import ENTITIES
from emporium.engine import connect, fetch_all, list_tables

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class Accounting:
    entity: str
    raw_rows: int
    silver_rows: int
    collapsed_rows: int
    quarantined_rows: int
    valid_bronze_rows: int
    held_rows: int = 0

    @property
    def accounted(self) -> int:
        return self.silver_rows + self.held_rows + self.collapsed_rows + self.quarantined_rows

    @property
    def difference(self) -> int:
        return self.raw_rows - self.accounted

    @property
    def balanced(self) -> bool:
        return self.difference == 0

    def describe(self) -> str:
        verdict = "balances" if self.balanced else f"does NOT balance (difference {self.difference:+d})"
        return (
            f"{self.entity}: raw {self.raw_rows} vs silver {self.silver_rows} + held {self.held_rows}"
            f" + collapsed {self.collapsed_rows} + quarantined {self.quarantined_rows} = {self.accounted}: {verdict}"
        )


def _count_sql(entity: str, key: str, held: bool) -> str:
    held_rows = f"(select count(*) from silver.held_{entity})" if held else "0"
    return (
        f"select (select count(*) from {RAW_SCHEMA}.{entity}), "
        f"(select count(*) from silver.{entity}), "
        f"(select count(*) - count(distinct {key}) from bronze.stg_shop__{entity}), "
        f"(select count(*) from bronze.quarantine_{entity}), "
        f"(select count(*) from bronze.stg_shop__{entity}), "
        f"{held_rows}"
    )


def account_with(connection: Any) -> list[Accounting]:
    held = {
        table.removeprefix("held_")
        for table in list_tables(connection, "silver")
        if table.startswith("held_")
    }
    results = []
    for entity in ENTITIES:
        ((raw, silver, collapsed, quarantined, valid, held_rows),) = fetch_all(
            connection, _count_sql(entity.name, entity.key, entity.name in held)
        )
        results.append(Accounting(entity.name, raw, silver, collapsed, quarantined, valid, held_rows))
    return results


def account(settings: Settings) -> list[Accounting]:
    """The accounting of every entity; opens the warehouse read-only and closes it again."""
    with connect(settings, read_only=True) as connection:
        return account_with(connection)
