"""Row accounting per entity: every landed row is in silver, collapsed as a duplicate/version, or quarantined.

    raw rows = silver rows + duplicates collapsed + quarantined rows

raw rows are counted from the dbt source relation itself, independently of bronze: on DuckDB the landing
files through the very SQL of models/bronze/_shop__sources.yml's `meta.external_location` (rendered with
the configured landing dir, so there is no third copy of the readers), on Postgres `raw.<entity>`.
duplicates collapsed = valid bronze rows - distinct keys among them: every re-send and every extra version
of a key that silver folds into one current row. (Counting it as valid bronze rows - silver rows would make
the identity hold whatever silver contains.) quarantined = rows of bronze.quarantine_<entity>.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from emporium.config import Settings
from emporium.engine import connect, fetch_all
from quality.suites import ENTITIES, ENTITY_KEYS

SOURCES_YML = "models/bronze/_shop__sources.yml"


@dataclass(frozen=True)
class Accounting:
    entity: str
    raw_rows: int
    silver_rows: int
    collapsed_rows: int
    quarantined_rows: int
    valid_bronze_rows: int

    @property
    def difference(self) -> int:
        return self.raw_rows - (self.silver_rows + self.collapsed_rows + self.quarantined_rows)

    @property
    def balanced(self) -> bool:
        return self.difference == 0

    def describe(self) -> str:
        verdict = "balances" if self.balanced else f"does NOT balance (difference {self.difference:+d})"
        return (
            f"{self.entity}: raw {self.raw_rows} vs silver {self.silver_rows} + collapsed {self.collapsed_rows}"
            f" + quarantined {self.quarantined_rows} = "
            f"{self.silver_rows + self.collapsed_rows + self.quarantined_rows}: {verdict}"
        )


def raw_relations(settings: Settings) -> dict[str, str]:
    """entity -> SQL relation of the dbt source `shop.<entity>` for the configured engine."""
    if settings.dbt_target != "duckdb":
        return {entity: f"raw.{entity}" for entity in ENTITIES}
    return duckdb_source_relations(settings.project_dir, settings.landing_dir)


def duckdb_source_relations(project_dir: Path, landing_dir: Path) -> dict[str, str]:
    """entity -> the DuckDB `shop` source's `external_location` SQL, rendered for `landing_dir`."""
    sources = yaml.safe_load((project_dir / SOURCES_YML).read_text(encoding="utf-8"))["sources"]
    tables = {t["name"]: t for source in sources if source["name"] == "shop" for t in source["tables"]}
    env = {"EMPORIUM_LANDING_DIR": str(landing_dir)}

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(f"{SOURCES_YML} needs env var {name}")
        return default

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return {
        entity: jinja.from_string(tables[entity]["meta"]["external_location"]).render(env_var=env_var)
        for entity in ENTITIES
    }


def _count_sql(entity: str, raw_relation: str) -> str:
    key = ENTITY_KEYS[entity]
    return (
        f"select (select count(*) from {raw_relation} raw_rows), "
        f"(select count(*) from silver.{entity}), "
        f"(select count(*) - count(distinct {key}) from bronze.stg_shop__{entity}), "
        f"(select count(*) from bronze.quarantine_{entity}), "
        f"(select count(*) from bronze.stg_shop__{entity})"
    )


def account_with(connection: Any, relations: dict[str, str]) -> list[Accounting]:
    results = []
    for entity in ENTITIES:
        ((raw, silver, collapsed, quarantined, valid),) = fetch_all(
            connection, _count_sql(entity, relations[entity])
        )
        results.append(Accounting(entity, raw, silver, collapsed, quarantined, valid))
    return results


def account(settings: Settings) -> list[Accounting]:
    """The accounting of every entity; opens the warehouse read-only and closes it again."""
    relations = raw_relations(settings)
    with connect(settings, read_only=True) as connection:
        return account_with(connection, relations)
