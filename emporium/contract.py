"""The landing contract: what each landing entity's files look like (name, file format, columns in landing
order with the key first, the kinds of the non-text columns, whether rows are a change feed, which fields
are optional).

Declared once, in dbt_project.yml (`vars.landing_contract`), where dbt reads it too (macros/shop_entities.sql):
adding a column is one edit there. This module loads it for Python: the generator writes it
(generator/entities.py adds what only the generator needs), ingest validates and loads it, quality checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

# Column kinds; a column not listed in an entity's kinds is TEXT. In the landing files: ids and ints are
# integers, SIDs prefixed strings (evt-1, ses-1), money decimals with two places, timestamps
# "YYYY-MM-DD HH:MM:SS" and dates "YYYY-MM-DD", bools true/false (Parquet: int64, decimal128(18, 2),
# timestamp[us], bool).
ID, SID, TEXT, MONEY, INT, TS, DATE, BOOL = "id", "sid", "text", "money", "int", "ts", "date", "bool"


@dataclass(frozen=True)
class Entity:
    name: str
    fmt: str  # csv, jsonl or parquet
    columns: tuple[str, ...]  # in landing order, the key first
    kinds: dict[str, str]  # the non-text columns' kinds
    change_feed: bool = False  # a row is a version of its key's record (the newest updated_at wins)
    optional: tuple[str, ...] = ()  # nullable fields a valid record may leave empty
    nullable: tuple[str, ...] = ()  # every field a valid record may leave empty (optional ones included)

    @property
    def key(self) -> str:
        return self.columns[0]

    @property
    def timestamps(self) -> list[str]:
        return [c for c in self.columns if self.kinds.get(c) == TS]

    @property
    def has_updated_at(self) -> bool:
        return "updated_at" in self.columns

    @property
    def ext(self) -> str:
        return self.fmt

    def kind(self, column: str) -> str:
        return self.kinds.get(column, TEXT)

    def source_file(self, date_iso: str) -> str:
        return f"{self.name}/date={date_iso}/{self.name}_{date_iso}.{self.ext}"


# The contract's kinds as Python reads them: a quantity is an int, an e-mail address text.
_KINDS = {"id": ID, "sid": SID, "text": TEXT, "email": TEXT, "money": MONEY, "quantity": INT, "ts": TS,
          "date": DATE, "bool": BOOL}  # fmt: skip
CONTRACT_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"


def lookback_days(path: Path = CONTRACT_FILE) -> int:
    """`vars.lookback_days`: how many landing days back a row may still arrive late, so an incremental run
    re-reads (and recomputes) that many days before its first one."""
    return int(yaml.safe_load(path.read_text(encoding="utf-8"))["vars"]["lookback_days"])


def load_entities(path: Path = CONTRACT_FILE) -> tuple[Entity, ...]:
    """The entities of `vars.landing_contract` in `path`; a malformed entry raises naming the entity."""
    declared = yaml.safe_load(path.read_text(encoding="utf-8"))["vars"]["landing_contract"]
    entities = []
    for name, spec in declared.items():
        try:
            columns = tuple(column["name"] for column in spec["columns"])
            kinds = {c["name"]: _KINDS[c["kind"]] for c in spec["columns"] if _KINDS[c["kind"]] != TEXT}
            nullable = tuple(c["name"] for c in spec["columns"] if c.get("nullable"))
            entity = Entity(name, spec["format"], columns, kinds, spec.get("change_feed", False),
                            tuple(spec.get("optional", ())), nullable)  # fmt: skip
        except (KeyError, TypeError) as error:
            raise ValueError(f"{path}: landing_contract.{name}: missing or unknown {error}") from None
        if unknown := set(entity.optional) - set(nullable):
            raise ValueError(
                f"{path}: landing_contract.{name}: optional names no nullable column {sorted(unknown)}"
            )
        entities.append(entity)
    return tuple(entities)


ENTITIES: tuple[Entity, ...] = load_entities()
BY_NAME = {e.name: e for e in ENTITIES}
