"""The landing contract is declared once (dbt_project.yml, vars.landing_contract): Python loads it
(emporium/contract.py), dbt derives bronze from it (macros/shop_entities.sql), and both must come out the same:
the bronze models dbt built have exactly the contract's columns, typed by their kinds. The generator's entities
(generator/entities.py) are the contract's, with facts only the generator needs."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from emporium import contract
from emporium.config import Settings
from emporium.contract import ENTITIES, load_entities
from emporium.engine import connect, fetch_all
from generator import entities as generated

LINEAGE = ["_source_file", "_landing_date", "_loaded_at", "_invocation_id"]
# the warehouse type of each kind, as DuckDB names it (macros/shop_entities.sql shop_kind_type)
DUCKDB_TYPES = {contract.ID: "BIGINT", contract.INT: "BIGINT", contract.MONEY: "DECIMAL(18,2)",
                contract.TS: "TIMESTAMP", contract.DATE: "DATE", contract.BOOL: "BOOLEAN",
                contract.TEXT: "VARCHAR", contract.SID: "VARCHAR"}  # fmt: skip


def test_bronze_is_built_with_the_contracts_columns_and_kinds(tiny_warehouse: Settings) -> None:
    with connect(tiny_warehouse) as connection:
        rows = fetch_all(
            connection,
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'bronze' and table_name like 'stg_shop__%' order by table_name, ordinal_position",
        )
    built: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        built.setdefault(table.removeprefix("stg_shop__"), []).append((column, data_type.upper()))
    assert len(built) == len(ENTITIES) == 11
    for entity in ENTITIES:
        expected = [(c, DUCKDB_TYPES[entity.kind(c)]) for c in entity.columns]
        assert [c for c in built[entity.name] if c[0] not in LINEAGE] == expected, entity.name


def test_a_malformed_contract_names_the_entity(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project.yml"
    project.write_text(
        "vars:\n  landing_contract:\n    orders:\n      format: csv\n"
        "      columns:\n        - {name: order_id, kind: identifier}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"landing_contract\.orders: missing or unknown 'identifier'"):
        load_entities(project)


def test_the_generator_writes_every_contract_entity_as_the_contract_says() -> None:
    assert [e.name for e in generated.ENTITIES] == [e.name for e in ENTITIES]
    for entity in generated.ENTITIES:
        landing = contract.BY_NAME[entity.name]
        assert all(getattr(entity, f.name) == getattr(landing, f.name) for f in fields(landing)), entity.name
        # a vocabulary column is a code in memory, text in the landing files
        assert {landing.kind(c) for c, _ in entity.vocab} <= {contract.TEXT}, entity.name
