"""generate and append: simulate, inject defects, write the landing partitions, seeds and truth."""

from __future__ import annotations

import json
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from generator import defects, truth
from generator.config import Params
from generator.entities import ENTITIES, Entity
from generator.pools import build_pools
from generator.reference import write_seeds
from generator.simulate.calendar import day_epoch
from generator.simulate.tables import DAY, UID, Table, TableBuilder, concat, n_rows, take, take_in_place
from generator.simulate.world import World, simulate
from generator.truth_io import csv_text
from generator.writers import write_entity

TRUTH_DIR = "_truth"

# the clean landed columns the truth files are computed from (truth.py, truth_churn.py); nothing else of
# the clean world is kept once a batch is written
TRUTH_COLUMNS = {
    "orders": ("order_id", "customer_id", "ordered_at", "updated_at", "order_status"),
    "order_items": ("order_id", "quantity", "unit_price", "discount_amount"),
    "returns": ("refunded_at", "refund_amount"),
    "experiment_assignments": ("customer_id", "assigned_at", "variant"),
}
STREAM_ROWS = 500_000  # simulated rows of one entity gathered before they are injected and written
WRITERS = 2  # batches written at once (the machines this runs on have 2 cores or more)


def _in_file_order(raw: Table, keep: np.ndarray) -> Table:
    """The rows `keep` of `raw`, in file order: landing day, then event day, originals before copies,
    then row id. The key is unique per row, so the order does not depend on how rows were batched."""
    # one packed key instead of four sort columns saves memory on the big entities
    packed = ((raw[defects.LAND] * 8192 + raw[DAY]) * 4 + raw[defects.PART]) * 16 + raw[defects.DEFECT] + 1
    order = keep[np.lexsort((raw[UID][keep], packed[keep]))]
    del packed
    return take_in_place(raw, order)


class _EntityStream:
    """Injects defects into and writes one entity batch by batch, and keeps what its truth needs: row
    counts, its defect-log rows (spooled to a file) and its clean landed truth columns. Every row lands
    on or after its event day, so once day d is simulated all of partitions ..d are known; rows landing
    later wait in `carry`. Rendering and defects are per row, so the bytes equal a whole-table write."""

    def __init__(self, params: Params, entity: Entity, out: Path, first_day: int, log: Path) -> None:
        self.params, self.entity, self.out, self.first_day = params, entity, out, first_day
        self.epoch0 = day_epoch(params.start_date)
        self.carry: Table | None = None  # injected rows that land after the last written day
        self.written_through = -1
        self.log = log
        self.rows = self.quarantined = self.originals = 0
        self.keys = np.zeros(0, bool)  # change feeds: which valid keys were written (ids count up from 1)
        self.clean: list[Table] = []  # clean landed rows, truth columns only
        self._latest = _LatestVersions(entity.key)  # a change feed's: only each key's current version

    def write(self, table: Table, through: int) -> None:
        """Adds newly simulated rows and writes the partitions up to day `through`."""
        p, entity = self.params, self.entity
        end = min(through, p.days - 1)
        table[defects.LAND], table[defects.LATE] = defects.landing_days(p, entity, table)
        if (table[defects.LAND] <= self.written_through).any():
            raise RuntimeError(f"{entity.name}: rows simulated for days already written")
        if entity.name in TRUTH_COLUMNS:
            landed = table[defects.LAND] <= p.days - 1
            rows = {c: table[c][landed] for c in TRUTH_COLUMNS[entity.name]}
            if entity.change_feed:
                self._latest.add(rows)
            else:
                self.clean.append(rows)
        raw = defects.inject(p, entity, table, self.epoch0)
        if self.carry is not None:
            raw = concat([self.carry, raw], consume=True)
        ready = raw[defects.LAND] <= end
        self.carry = take(raw, np.flatnonzero(~ready))  # beyond the horizon after the last batch
        raw = _in_file_order(raw, np.flatnonzero(ready))
        self._count(raw)
        log = write_entity(
            entity, raw, self.out, p.start_date, self.written_through + 1, end, self.epoch0, self.first_day
        )
        with self.log.open("a", encoding="utf-8", newline="") as handle:
            handle.write(csv_text(log))
        self.written_through = end

    def _count(self, raw: Table) -> None:
        valid = raw[defects.PART] != defects.QUARANTINE
        self.rows += n_rows(raw)
        self.quarantined += int((~valid).sum())
        self.originals += int((raw[defects.PART] == defects.BASE).sum())
        keys = raw[self.entity.key][valid]
        if self.entity.change_feed and len(keys):
            if int(keys.max()) >= len(self.keys):
                grown = max(int(keys.max()) + 1, 2 * len(self.keys))
                self.keys = np.concatenate([self.keys, np.zeros(grown - len(self.keys), bool)])
            self.keys[keys] = True

    def counts(self) -> tuple[int, int, int, int]:
        """raw, clean, collapsed, quarantined: one clean row per key unless the entity is a change feed
        (then per distinct key) or the row is a duplicate copy."""
        clean = int(self.keys.sum()) if self.entity.change_feed else self.originals
        return self.rows, clean, self.rows - clean - self.quarantined, self.quarantined

    def clean_rows(self) -> Table:
        if self.entity.change_feed:
            return self._latest.table() if self.entity.name in TRUTH_COLUMNS else {}
        columns = TRUTH_COLUMNS.get(self.entity.name, ())
        return {c: np.concatenate([part[c] for part in self.clean]) for c in columns} if self.clean else {}


class _LatestVersions:
    """The current version of each key of a change feed (newest updated_at; of equal ones the last
    added), kept in arrays indexed by the key (ids count up from 1), so memory follows the keys, not
    the versions. The truth reads a change feed's current state only (any version gives the fields
    that never change, such as an order's customer and ordered_at)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.columns: Table = {}
        self.seen = np.zeros(0, bool)

    def add(self, rows: Table) -> None:
        ids = rows[self.key]
        if len(ids) == 0:
            return
        # the batch's own winners: lexsort is stable, so of equal timestamps the last added is last
        order = np.lexsort((rows["updated_at"], ids))
        last = order[np.append(ids[order][1:] != ids[order][:-1], True)]
        ids = ids[last]
        if int(ids.max()) >= len(self.seen):
            size = max(int(ids.max()) + 1, 2 * len(self.seen))
            self.seen = np.concatenate([self.seen, np.zeros(size - len(self.seen), bool)])
            for name, values in rows.items():
                old = self.columns.get(name, np.zeros(0, values.dtype))
                self.columns[name] = np.concatenate([old, np.zeros(size - len(old), values.dtype)])
        # later batches win ties, as later rows do within one
        wins = ~self.seen[ids] | (rows["updated_at"][last] >= self.columns["updated_at"][ids])
        for name, values in rows.items():
            self.columns[name][ids[wins]] = values[last[wins]]
        self.seen[ids[wins]] = True

    def table(self) -> Table:
        keep = np.flatnonzero(self.seen)
        return {name: values[keep] for name, values in self.columns.items()}


class _Landing:
    """Writes every entity while the world is simulated, so no table is ever held whole. Batches are
    written on WRITERS background threads while the next days are simulated (Arrow, file writes and most
    numpy work release the GIL); at most WRITERS batches are in flight, which bounds memory, and one
    entity's batches are written in order."""

    def __init__(self, params: Params, out: Path, first_day: int, spool: Path) -> None:
        self.params = params
        self.streams = {
            e.name: _EntityStream(params, e, out, first_day, spool / f"{e.name}.csv") for e in ENTITIES
        }
        self._worker = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="landing-writer")
        self._pending: dict[str, Future[None]] = {}  # entity -> its batch in flight, oldest first

    def on_day_end(self, day: int, builders: dict[str, TableBuilder]) -> None:
        for name in self.streams:
            builder = builders[name]
            if builder.rows >= STREAM_ROWS:
                builders[name] = TableBuilder(builder.columns[:-3])
                self._submit(name, builder.build(sort=False), day)  # file order is set after injection

    def finish(self, world: World) -> None:
        """Writes the last rows and every partition left."""
        for name in self.streams:
            self._submit(name, world.tables.pop(name), self.params.days - 1)
        while self._pending:
            self._pending.pop(next(iter(self._pending))).result()

    def close(self) -> None:
        """Stops the workers (after a failure: once the batches they are writing are done)."""
        self._worker.shutdown(cancel_futures=True)

    def _submit(self, name: str, table: Table, through: int) -> None:
        previous = self._pending.pop(name, None)
        if previous is not None:
            previous.result()  # re-raises a failed write here
        while len(self._pending) >= WRITERS:
            self._pending.pop(next(iter(self._pending))).result()
        self._pending[name] = self._worker.submit(self.streams[name].write, table, through)


def build_landing(params: Params, out: Path, seeds_dir: Path | None, first_day: int, progress: bool) -> None:
    """Writes partitions first_day..end of a world simulated from day 0, then rewrites `_truth/`."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".defect-log-") as spool:
        landing = _Landing(params, out, first_day, Path(spool))
        try:
            world = simulate(params, build_pools(params.seed), progress, landing.on_day_end)
            landing.finish(world)
        finally:
            landing.close()
        streams = landing.streams.values()
        counts = {s.entity.name: s.counts() for s in streams}
        clean = {s.entity.name: s.clean_rows() for s in streams}
        truth.write_truth(out / TRUTH_DIR, params, world, clean, counts, [s.log for s in streams])
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
