"""Defect injection on a clean simulated table.

Every decision hashes the row's own id (`_uid`), so a row's defects are the same whatever the horizon.
In-place defects (late, null_optional, noise) only flag rows; the writer renders them. Duplicates are
copies; quarantine defects are extra rows with fresh keys from a reserved range, so the clean world is
untouched.
"""

from __future__ import annotations

import numpy as np

from emporium.contract import ID
from generator.config import Params
from generator.entities import Entity
from generator.rng import hash_below, hash_int
from generator.simulate.calendar import DAY_SECONDS
from generator.simulate.tables import DAY, FIRST, UID, Table, concat, n_rows, take

# Fresh ids for quarantine rows and for ids that exist nowhere: far above any real id.
RESERVED_ID_BASE = 900_000_000_000
LAND, PART, DEFECT, LATE, NOISE, NULLED = "_land", "_part", "_defect", "_late", "_noise", "_nulled"
BASE, EXACT, NEAR, QUARANTINE = 0, 1, 2, 3
QUARANTINE_KINDS = (
    "missing_key", "invalid_timestamp", "timestamp_in_future", "negative_quantity", "negative_amount",
    "unknown_product", "unknown_customer", "malformed_email", "malformed_json",
)  # fmt: skip


def _hit(params: Params, entity: Entity, defect: str, uid: np.ndarray) -> np.ndarray:
    return hash_below(params.seed, f"{entity.name}:{defect}", uid, getattr(params.defects, defect))


def landing_days(params: Params, entity: Entity, table: Table) -> tuple[np.ndarray, np.ndarray]:
    """Landing day per clean row and whether it is late. First versions of customers and products
    are never late: rows that reference them must not land before them."""
    uid = table[UID]
    late = _hit(params, entity, "late_arrival", uid) & (params.max_late_days > 0)
    if entity.name in ("customers", "products"):
        late &= ~table[FIRST]
    # the delay is drawn for the late rows only; it hashes the row's own id, so nothing else changes
    land = table[DAY].copy()
    late_rows = np.flatnonzero(late)
    land[late_rows] += hash_int(
        params.seed, f"{entity.name}:late_days", uid[late_rows], 1, params.max_late_days + 1
    )
    return land, late


def inject(params: Params, entity: Entity, clean: Table, epoch0: int) -> Table:
    """Clean rows (with landing day) plus duplicates and quarantine rows, flagged for the writer.
    Empties `clean` (to keep peak memory near one copy of the entity)."""
    n = n_rows(clean)
    uid = clean[UID]
    base = clean  # consumed: its columns are released while the result is assembled
    base[PART] = np.full(n, BASE)
    base[DEFECT] = np.full(n, -1)
    base[NOISE] = _hit(params, entity, "whitespace_case_noise", uid) if entity.noise else np.zeros(n, bool)
    nullable = np.zeros(n, bool)
    for column in entity.optional:
        values = clean[column]
        nullable |= (values >= 0) if entity.kind(column) == ID else np.not_equal(values, None)
    # no hashing for entities without optional fields: nothing could be emptied
    base[NULLED] = nullable & _hit(params, entity, "null_optional", uid) if entity.optional else nullable

    parts = [base]
    exact = np.flatnonzero(_hit(params, entity, "exact_duplicate", uid))
    copy = take(base, exact)
    copy[LAND] = copy[LAND] + hash_int(params.seed, f"{entity.name}:dup_delay", uid[exact], 0, 3)
    copy[PART] = np.full(len(exact), EXACT)
    parts.append(copy)

    if entity.has_updated_at:
        # the same content re-sent a second later, on the same (timely) landing day
        updated = clean["updated_at"]
        same_day = (updated + 1) // DAY_SECONDS == updated // DAY_SECONDS
        near = np.flatnonzero(_hit(params, entity, "near_duplicate", uid) & ~clean[LATE] & same_day)
        copy = take(base, near)
        copy["updated_at"] = copy["updated_at"] + 1
        copy[PART] = np.full(len(near), NEAR)
        parts.append(copy)

    for kind in entity.quarantine:
        rows = np.flatnonzero(_hit(params, entity, kind, uid))
        parts.append(_quarantine_rows(params, entity, take(base, rows), kind, epoch0))
    return concat(parts, consume=True)


def _quarantine_rows(params: Params, entity: Entity, rows: Table, kind: str, epoch0: int) -> Table:
    n = n_rows(rows)
    code = QUARANTINE_KINDS.index(kind)
    uid = rows[UID]
    rows[PART] = np.full(n, QUARANTINE)
    rows[DEFECT] = np.full(n, code)
    rows[NOISE] = np.zeros(n, bool)
    rows[NULLED] = np.zeros(n, bool)
    rows[LATE] = np.zeros(n, bool)
    fresh = RESERVED_ID_BASE + uid * 16 + code
    rows[entity.key] = np.full(n, -1) if kind == "missing_key" else fresh
    if kind == "timestamp_in_future":
        days_ahead = rows[LAND] + hash_int(params.seed, f"{entity.name}:future", uid, 1, 30)
        future = epoch0 + days_ahead * DAY_SECONDS + 3600 + uid % 3600
        for column in entity.timestamps:  # every timestamp of the row, so no check can miss it
            rows[column] = np.where(rows[column] >= 0, future, -1)
    elif kind == "negative_quantity":
        rows["quantity"] = -hash_int(params.seed, f"{entity.name}:negq", uid, 0, 3)
    elif kind == "negative_amount":
        rows["amount"] = -np.abs(rows["amount"]) - 1
    elif kind == "unknown_product":
        rows["product_id"] = RESERVED_ID_BASE + uid
    elif kind == "unknown_customer":
        rows["customer_id"] = RESERVED_ID_BASE + uid
    return rows
