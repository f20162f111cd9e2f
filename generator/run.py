"""generate and append: simulate, inject defects, write the landing partitions, seeds and truth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generator import defects, truth
from generator.config import Params
from generator.entities import ENTITIES, Entity
from generator.pools import build_pools
from generator.reference import write_seeds
from generator.simulate.tables import DAY, UID, Table, n_rows, take_in_place
from generator.simulate.world import World, simulate
from generator.writers import write_entity

TRUTH_DIR = "_truth"


# the clean tables the truth files are computed from; the others are released once written
TRUTH_ENTITIES = ("orders", "order_items", "returns", "campaign_contacts", "experiment_assignments")


def _raw_table(params: Params, entity: Entity, world: World) -> tuple[Table, Table]:
    """(clean rows that landed, every row to write) for one entity, both within the horizon.
    Takes the entity's table out of `world` so its memory goes once it is written."""
    table = world.tables.pop(entity.name)
    table[defects.LAND], table[defects.LATE] = defects.landing_days(params, entity, table)
    end = params.days - 1
    clean = truth.landed(table, end) if entity.name in TRUTH_ENTITIES else {}
    raw = defects.inject(params, entity, table, world.epoch0)
    del table
    keep = np.flatnonzero(raw[defects.LAND] <= end)
    # file order: landing day, then event day, originals before copies, then row id (one packed key
    # instead of four sort columns saves memory on the big entities)
    packed = ((raw[defects.LAND] * 8192 + raw[DAY]) * 4 + raw[defects.PART]) * 16 + raw[defects.DEFECT] + 1
    order = keep[np.lexsort((raw[UID][keep], packed[keep]))]
    del packed
    return clean, take_in_place(raw, order)


def _counts(entity: Entity, raw: Table) -> tuple[int, int, int, int]:
    valid = raw[defects.PART] != defects.QUARANTINE
    total, quarantined = n_rows(raw), int((~valid).sum())
    # one row per key unless the entity is a change feed or the row is a duplicate copy
    keys = raw[entity.key][valid]
    clean = len(np.unique(keys)) if entity.change_feed else int((raw[defects.PART] == defects.BASE).sum())
    return total, clean, total - clean - quarantined, quarantined


def build_landing(params: Params, out: Path, seeds_dir: Path | None, first_day: int, progress: bool) -> None:
    """Writes partitions first_day..end of a world simulated from day 0, then rewrites `_truth/`."""
    world = simulate(params, build_pools(params.seed), progress)
    clean: dict[str, Table] = {}
    counts: truth.RowCounts = {}
    log: list[tuple[str, str, str, str, str]] = []
    for entity in tqdm(ENTITIES, desc="writing entities", disable=not progress, unit="entity"):
        clean[entity.name], raw = _raw_table(params, entity, world)
        counts[entity.name] = _counts(entity, raw)
        log += write_entity(entity, raw, out, params.start_date, 0, params.days - 1, world.epoch0, first_day)
        del raw  # the big entities should not overlap in memory
    truth.write_truth(out / TRUTH_DIR, params, world, clean, counts, log)
    if seeds_dir is not None:
        write_seeds(seeds_dir, params.start_date.year, params.end_date.year)


def generate(params: Params, out: Path, seeds_dir: Path | None, progress: bool = False) -> None:
    """A fresh landing zone: the previous one in `out` is removed first."""
    for entity in ENTITIES:
        shutil.rmtree(out / entity.name, ignore_errors=True)
    shutil.rmtree(out / TRUTH_DIR, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    build_landing(params, out, seeds_dir, 0, progress)


def read_params(out: Path) -> Params:
    manifest = json.loads((out / TRUTH_DIR / "manifest.json").read_text(encoding="utf-8"))
    return Params.from_manifest(manifest)


def append(out: Path, days: int, seeds_dir: Path | None, progress: bool = False) -> Params:
    """The next `days` days: the same files a longer `generate` would have written for them."""
    previous = read_params(out)
    params = previous.with_days(previous.days + days)
    build_landing(params, out, seeds_dir, previous.days, progress)
    return params
