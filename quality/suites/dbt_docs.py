"""What the dbt project already declares about each model: documented columns, data tests, contracts.

Read from the model YAML beside the models (models/**/_*__models.yml) and, for contracts, the models' own
`config(contract=...)`. Bronze's YAML documents only its own columns (lineage, reason, PII tags): the landing
contract's columns come from the contract (emporium/contract.py), typed by their kinds in stg_shop__<entity>
and as landed text in quarantine_<entity>. The gates derive bronze/silver schema checks from it, and
tests/quality use it to prove that no gate check repeats a dbt test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from emporium import contract
from emporium.config import PROJECT_ROOT

_SQL_CONTRACT = re.compile(r"contract\s*=\s*\{\s*['\"]enforced['\"]\s*:\s*true", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
# the warehouse type of each contract kind in bronze (macros/shop_entities.sql shop_kind_type)
_KIND_TYPES = {contract.ID: "bigint", contract.INT: "bigint", contract.MONEY: "decimal(18,2)",
               contract.TS: "timestamp", contract.DATE: "date", contract.BOOL: "boolean"}  # fmt: skip


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    data_type: str  # as documented, e.g. bigint, decimal(18,2); "" when undocumented


@dataclass(frozen=True)
class DbtTest:
    """One data test on a model: `name` is the generic test (not_null, relationships, expression_is_true, ...)."""

    name: str
    columns: tuple[str, ...]  # the model's columns it constrains


@dataclass(frozen=True)
class ModelDoc:
    name: str
    folder: str  # under models/: bronze, silver, gold, gold/ml
    columns: tuple[ColumnDoc, ...]
    tests: tuple[DbtTest, ...]
    contract_enforced: bool


def model_docs(project_dir: Path = PROJECT_ROOT) -> dict[str, ModelDoc]:
    """model name -> what its YAML (and SQL config) declares, for every documented model of the project."""
    docs = {}
    for path in sorted((project_dir / "models").glob("**/_*__models.yml")):
        # libyaml's loader: the pure-Python one takes half a second for the model docs
        for model in yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader).get("models", []):
            sql = path.parent / f"{model['name']}.sql"
            folder = path.parent.relative_to(project_dir / "models").as_posix()
            docs[model["name"]] = _model_doc(
                model, folder, sql.read_text(encoding="utf-8") if sql.exists() else ""
            )
    return docs


def _contract_columns(model: str) -> list[ColumnDoc]:
    """The landing contract's columns of a bronze model, as dbt builds them (none for any other model)."""
    for prefix, typed in (("stg_shop__", True), ("quarantine_", False)):
        entity = contract.BY_NAME.get(model.removeprefix(prefix)) if model.startswith(prefix) else None
        if entity is not None:
            return [ColumnDoc(c, _KIND_TYPES.get(entity.kind(c), "varchar") if typed else "varchar")
                    for c in entity.columns]  # fmt: skip
    return []


def _landing_contract_tests(entity_name: str) -> list[DbtTest]:
    """What the generic test landing_contract states (macros/generic_tests.sql), as the plain tests it
    stands for: not_null on the key and every non-nullable typed column, a range on quantities and amounts."""
    entity = contract.BY_NAME[entity_name]
    required = [
        c
        for c in entity.columns
        if c == entity.key
        or (c not in entity.nullable and entity.kind(c) not in (contract.TEXT, contract.SID))
    ]
    ranged = [c for c in entity.columns if entity.kind(c) in (contract.INT, contract.MONEY)]
    return [DbtTest("not_null", (c,)) for c in required] + [
        DbtTest("expression_is_true", (c,)) for c in ranged
    ]


def _model_doc(model: dict[str, Any], folder: str, sql: str) -> ModelDoc:
    documented = [ColumnDoc(c["name"], c.get("data_type", "")) for c in model.get("columns", [])]
    names = {c.name for c in documented}
    columns = (*(c for c in _contract_columns(model["name"]) if c.name not in names), *documented)
    names = {c.name for c in columns}
    tests = [found for t in model.get("data_tests", []) for found in _tests(t, None, names)]
    for column in model.get("columns", []):
        tests += [_test(t, column["name"], names) for t in column.get("data_tests", [])]
    contract = (model.get("config") or {}).get("contract") or {}
    return ModelDoc(
        name=model["name"],
        folder=folder,
        columns=columns,
        tests=tuple(tests),
        contract_enforced=bool(contract.get("enforced")) or bool(_SQL_CONTRACT.search(sql)),
    )


def _tests(test: str | dict[str, Any], column: str | None, model_columns: set[str]) -> list[DbtTest]:
    if isinstance(test, dict) and "landing_contract" in test:
        return _landing_contract_tests(test["landing_contract"]["arguments"]["entity"])
    return [_test(test, column, model_columns)]


def _test(test: str | dict[str, Any], column: str | None, model_columns: set[str]) -> DbtTest:
    if isinstance(test, str):
        return DbtTest(test, (column,) if column else ())
    ((name, spec),) = test.items()
    arguments = (spec or {}).get("arguments") or {}
    if column:
        return DbtTest(name, (column,))
    # A model-level test constrains the columns it names: a key combination, or an expression's columns.
    named = arguments.get("combination_of_columns") or _IDENTIFIER.findall(
        str(arguments.get("expression", ""))
    )
    return DbtTest(name, tuple(c for c in named if c in model_columns))
