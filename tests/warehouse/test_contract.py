"""The landing contract is written twice, for Python (emporium/contract.py) and for dbt
(macros/shop_entities.sql): they must name the same entities with the same columns in the same order. The
generator's entities (generator/entities.py) are the contract's, with facts only the generator needs."""

from __future__ import annotations

import re
from dataclasses import fields

from emporium import contract
from emporium.config import PROJECT_ROOT
from emporium.contract import ENTITIES
from generator import entities as generated


def dbt_contract() -> dict[str, list[str]]:
    text = (PROJECT_ROOT / "macros" / "shop_entities.sql").read_text(encoding="utf-8")
    entities: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if entity := re.match(r"^\s*'(\w+)': \[\s*$", line):
            current = entities.setdefault(entity.group(1), [])
        elif (column := re.search(r"\{'name': '(\w+)'", line)) and current is not None:
            current.append(column.group(1))
    return entities


def test_dbt_and_python_contracts_agree() -> None:
    dbt = dbt_contract()
    assert len(dbt) == 11
    assert dbt == {entity.name: list(entity.columns) for entity in ENTITIES}


def test_the_generator_writes_every_contract_entity_as_the_contract_says() -> None:
    assert [e.name for e in generated.ENTITIES] == [e.name for e in ENTITIES]
    for entity in generated.ENTITIES:
        landing = contract.BY_NAME[entity.name]
        assert all(getattr(entity, f.name) == getattr(landing, f.name) for f in fields(landing)), entity.name
        # a vocabulary column is a code in memory, text in the landing files
        assert {landing.kind(c) for c, _ in entity.vocab} <= {contract.TEXT}, entity.name
