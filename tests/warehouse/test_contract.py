"""The landing contract is written twice, for Python (generator/entities.py) and for dbt
(macros/shop_entities.sql): they must name the same entities with the same columns in the same order."""

from __future__ import annotations

import re

from emporium.config import PROJECT_ROOT
from generator.entities import ENTITIES


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
