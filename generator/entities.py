"""The landing entities as the generator writes them: the landing contract (emporium/contract.py) and what
only the generator needs to know on top of it (noise, defects, quoting, vocabularies)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from emporium import contract
from generator.reference import COUNTRIES
from generator.simulate import orders, sessions

# The contract's column kinds in memory: ids/ints int64 (-1 = null for nullable ids), money int64 cents,
# timestamps int64 epoch seconds (-1 = null), dates int64 day index, text object arrays (None = null), bools.
# One more kind, the generator's own: text stored as a code (a text column in the landing files).
CODE = "code"  # int64 index into the column's vocabulary (big tables); negative page_path = product page

# Silver's cleaning rule per noisy field: what whitespace/case noise may be applied to it.
TRIM_LOWER, TRIM, TRIM_UPPER = "trim_lower", "trim", "trim_upper"


@dataclass(frozen=True)
class Entity(contract.Entity):
    """A contract entity with the generator's facts about it."""

    noise: tuple[tuple[str, str], ...] = ()
    quarantine: tuple[str, ...] = ()
    free_text: tuple[str, ...] = ()  # columns whose values may need CSV quoting / JSON escaping
    vocab: tuple[tuple[str, tuple[str, ...]], ...] = ()  # CODE columns and their vocabularies

    def kind(self, column: str) -> str:
        return CODE if column in dict(self.vocab) else super().kind(column)


def _entity(name: str, **generator_facts: Any) -> Entity:
    landing = contract.BY_NAME[name]
    return Entity(**{f.name: getattr(landing, f.name) for f in fields(landing)}, **generator_facts)


_COMMON_Q = ("missing_key", "invalid_timestamp", "timestamp_in_future")

ENTITIES: tuple[Entity, ...] = (
    _entity(
        "customers",
        noise=(
            ("email", TRIM_LOWER), ("first_name", TRIM), ("last_name", TRIM), ("country_code", TRIM_UPPER),
        ),
        quarantine=("missing_key", "timestamp_in_future", "malformed_email"),
    ),
    _entity(
        "products",
        noise=(("category_code", TRIM_LOWER),),
        quarantine=("missing_key", "timestamp_in_future"),
    ),
    _entity(
        "orders",
        noise=(("channel_code", TRIM_LOWER), ("shipping_country_code", TRIM_UPPER)),
        quarantine=(*_COMMON_Q, "unknown_customer"),
        vocab=(
            ("order_status", orders.STATUSES), ("channel_code", sessions.CHANNEL_VOCAB),
            ("shipping_country_code", tuple(c[0] for c in COUNTRIES)),
        ),
    ),
    _entity("order_items", quarantine=(*_COMMON_Q, "negative_quantity", "unknown_product")),
    _entity("payments", quarantine=(*_COMMON_Q, "negative_amount")),
    _entity("returns", quarantine=(*_COMMON_Q, "negative_quantity")),
    _entity(
        "web_events",
        noise=(("channel_code", TRIM_LOWER),),
        quarantine=(*_COMMON_Q, "malformed_json"),
        vocab=(
            ("event_type", sessions.EVENT_TYPES), ("page_path", sessions.PAGE_PATHS),
            ("device_type", sessions.DEVICES), ("channel_code", sessions.CHANNEL_VOCAB),
        ),
    ),
    _entity(
        "campaigns",
        noise=(("channel_code", TRIM_LOWER),),
        quarantine=_COMMON_Q,
        free_text=("campaign_name",),
    ),
    _entity("campaign_contacts", quarantine=_COMMON_Q),
    _entity("experiment_assignments", quarantine=_COMMON_Q),
    _entity("support_tickets", quarantine=_COMMON_Q),
)  # fmt: skip
BY_NAME = {e.name: e for e in ENTITIES}
SID_PREFIX = {"event_id": "evt-", "session_id": "ses-"}
