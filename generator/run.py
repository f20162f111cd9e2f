"""generate and append: simulate, inject defects, write the landing partitions, seeds and truth."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generator import defects, truth
from generator.config import Params
from generator.entities import BY_NAME, ENTITIES, Entity
from generator.pools import build_pools
from generator.reference import write_seeds
from generator.simulate.calendar import day_epoch
from generator.simulate.tables import DAY, UID, Table, TableBuilder, concat, n_rows, take, take_in_place
from generator.simulate.world import World, simulate
from generator.writers import write_entity

TRUTH_DIR = "_truth"


# the clean tables the truth files are computed from; the others are released once written
TRUTH_ENTITIES = ("orders", "order_items", "returns", "campaign_contacts", "experiment_assignments")
# written while the days are simulated, so the biggest table is never held whole
STREAMED_ENTITY = "web_events"
STREAM_ROWS = 500_000  # simulated rows gathered before they are injected and written


def _raw_table(params: Params, entity: Entity, world: World) -> tuple[Table, Table]:
    """(clean rows that landed, every row to write) for one entity, both within the horizon.
    Takes the entity's table out of `world` so its memory goes once it is written."""
    table = world.tables.pop(entity.name)
    table[defects.LAND], table[defects.LATE] = defects.landing_days(params, entity, table)
    end = params.days - 1
    clean = truth.landed(table, end) if entity.name in TRUTH_ENTITIES else {}
    raw = defects.inject(params, entity, table, world.epoch0)
    del table
    return clean, _in_file_order(raw, np.flatnonzero(raw[defects.LAND] <= end))


def _in_file_order(raw: Table, keep: np.ndarray) -> Table:
    """The rows `keep` of `raw`, in file order: landing day, then event day, originals before copies,
    then row id. The key is unique per row, so the order does not depend on how rows were batched."""
    # one packed key instead of four sort columns saves memory on the big entities
    packed = ((raw[defects.LAND] * 8192 + raw[DAY]) * 4 + raw[defects.PART]) * 16 + raw[defects.DEFECT] + 1
    order = keep[np.lexsort((raw[UID][keep], packed[keep]))]
    del packed
    return take_in_place(raw, order)


class _StreamedWriter:
    """Injects defects into and writes one entity batch by batch while the world is simulated.
    Every row lands on or after its event day, so once day d is simulated all of partitions ..d are
    known; rows landing later wait in `carry`. Rendering is per row, so the bytes equal a whole-table
    write."""

    def __init__(self, params: Params, entity: Entity, out: Path, first_day: int, epoch0: int) -> None:
        assert not entity.change_feed  # its clean count (distinct keys) would not add up over batches
        self.params, self.entity, self.out = params, entity, out
        self.first_day, self.epoch0 = first_day, epoch0
        self.carry: Table | None = None  # injected rows that land after the last written day
        self.written_through = -1
        self.counts = (0, 0, 0, 0)
        self.log: list[tuple[str, str, str, str, str]] = []
        # batches are written on one background thread while the next days are simulated (Arrow and
        # most numpy work release the GIL); one worker keeps them in order
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-writer")
        self._pending: Future[None] | None = None

    def on_day_end(self, day: int, builders: dict[str, TableBuilder]) -> None:
        builder = builders[self.entity.name]
        if builder.rows >= STREAM_ROWS:
            builders[self.entity.name] = TableBuilder(builder.columns[:-3])
            table = builder.build(sort=False)  # file order is set after injection
            self._wait()  # at most one batch in flight: bounds memory
            self._pending = self._worker.submit(self.write, table, day)

    def finish(self, table: Table) -> None:
        """Writes the last rows and every partition left, then stops the worker."""
        self._wait()
        self._worker.shutdown()
        self.write(table, self.params.days - 1)

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()  # re-raises a failed write here
            self._pending = None

    def write(self, table: Table, through: int) -> None:
        """Adds newly simulated rows and writes the partitions up to day `through`."""
        table[defects.LAND], table[defects.LATE] = defects.landing_days(self.params, self.entity, table)
        raw = defects.inject(self.params, self.entity, table, self.epoch0)
        if self.carry is not None:
            raw = concat([self.carry, raw], consume=True)
        end = min(through, self.params.days - 1)
        ready = raw[defects.LAND] <= end
        self.carry = take(raw, np.flatnonzero(~ready))  # beyond the horizon after the last batch
        raw = _in_file_order(raw, np.flatnonzero(ready))
        self.counts = tuple(a + b for a, b in zip(self.counts, _counts(self.entity, raw), strict=True))  # type: ignore[assignment]
        p = self.params
        self.log += write_entity(
            self.entity,
            raw,
            self.out,
            p.start_date,
            self.written_through + 1,
            end,
            self.epoch0,
            self.first_day,
        )
        self.written_through = end


def _counts(entity: Entity, raw: Table) -> tuple[int, int, int, int]:
    valid = raw[defects.PART] != defects.QUARANTINE
    total, quarantined = n_rows(raw), int((~valid).sum())
    # one row per key unless the entity is a change feed or the row is a duplicate copy
    keys = raw[entity.key][valid]
    clean = len(np.unique(keys)) if entity.change_feed else int((raw[defects.PART] == defects.BASE).sum())
    return total, clean, total - clean - quarantined, quarantined


def build_landing(params: Params, out: Path, seeds_dir: Path | None, first_day: int, progress: bool) -> None:
    """Writes partitions first_day..end of a world simulated from day 0, then rewrites `_truth/`."""
    epoch0 = day_epoch(params.start_date)
    streamed = _StreamedWriter(params, BY_NAME[STREAMED_ENTITY], out, first_day, epoch0)
    world = simulate(params, build_pools(params.seed), progress, streamed.on_day_end)
    streamed.finish(world.tables.pop(STREAMED_ENTITY))
    clean: dict[str, Table] = {}
    counts: truth.RowCounts = {}
    log: list[tuple[str, str, str, str, str]] = []
    for entity in tqdm(ENTITIES, desc="writing entities", disable=not progress, unit="entity"):
        if entity.name == STREAMED_ENTITY:  # already written; keep the entity order of counts and log
            clean[entity.name], counts[entity.name] = {}, streamed.counts
            log += streamed.log
            continue
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
