"""What the contract says about each landing entity, as data the defect injector and writers share."""

from __future__ import annotations

from dataclasses import dataclass

from generator.reference import COUNTRIES
from generator.simulate import orders, sessions
from generator.simulate.world import ENTITY_COLUMNS

# Column kinds. In memory: ids/ints int64 (-1 = null for nullable ids), money int64 cents, timestamps int64
# epoch seconds (-1 = null), dates int64 day index, text object arrays (None = null), bools.
ID, SID, TEXT, MONEY, INT, TS, DATE, BOOL = "id", "sid", "text", "money", "int", "ts", "date", "bool"
CODE = "code"  # int64 index into the column's vocabulary (big tables); negative page_path = product page

# Silver's cleaning rule per noisy field: what whitespace/case noise may be applied to it.
TRIM_LOWER, TRIM, TRIM_UPPER = "trim_lower", "trim", "trim_upper"


@dataclass(frozen=True)
class Entity:
    name: str
    fmt: str  # csv, jsonl or parquet
    kinds: dict[str, str]
    change_feed: bool = False
    noise: tuple[tuple[str, str], ...] = ()
    optional: tuple[str, ...] = ()  # nullable fields that null_optional may empty
    quarantine: tuple[str, ...] = ()
    free_text: tuple[str, ...] = ()  # columns whose values may need CSV quoting / JSON escaping
    vocab: tuple[tuple[str, tuple[str, ...]], ...] = ()  # CODE columns and their vocabularies

    @property
    def columns(self) -> list[str]:
        return ENTITY_COLUMNS[self.name]

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
        return CODE if column in dict(self.vocab) else self.kinds.get(column, TEXT)

    def source_file(self, date_iso: str) -> str:
        return f"{self.name}/date={date_iso}/{self.name}_{date_iso}.{self.ext}"


_COMMON_Q = ("missing_key", "invalid_timestamp", "timestamp_in_future")

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "customers", "parquet",
        {"customer_id": ID, "signed_up_at": TS, "updated_at": TS, "marketing_opt_in": BOOL},
        change_feed=True,
        noise=(
            ("email", TRIM_LOWER), ("first_name", TRIM), ("last_name", TRIM), ("country_code", TRIM_UPPER),
        ),
        optional=("phone",),
        quarantine=("missing_key", "timestamp_in_future", "malformed_email"),
    ),
    Entity(
        "products", "parquet",
        {"product_id": ID, "unit_price": MONEY, "is_active": BOOL, "created_at": TS, "updated_at": TS},
        change_feed=True,
        noise=(("category_code", TRIM_LOWER),),
        quarantine=("missing_key", "timestamp_in_future"),
    ),
    Entity(
        "orders", "csv",
        {"order_id": ID, "customer_id": ID, "campaign_id": ID, "ordered_at": TS, "updated_at": TS},
        change_feed=True,
        noise=(("channel_code", TRIM_LOWER), ("shipping_country_code", TRIM_UPPER)),
        optional=("campaign_id",),
        quarantine=(*_COMMON_Q, "unknown_customer"),
        vocab=(
            ("order_status", orders.STATUSES), ("channel_code", sessions.CHANNEL_VOCAB),
            ("shipping_country_code", tuple(c[0] for c in COUNTRIES)),
        ),
    ),
    Entity(
        "order_items", "csv",
        {"order_item_id": ID, "order_id": ID, "product_id": ID, "quantity": INT, "unit_price": MONEY,
         "discount_amount": MONEY, "updated_at": TS},
        quarantine=(*_COMMON_Q, "negative_quantity", "unknown_product"),
    ),
    Entity(
        "payments", "csv",
        {"payment_id": ID, "order_id": ID, "amount": MONEY, "paid_at": TS, "updated_at": TS},
        quarantine=(*_COMMON_Q, "negative_amount"),
    ),
    Entity(
        "returns", "csv",
        {"return_id": ID, "order_id": ID, "order_item_id": ID, "quantity": INT, "refund_amount": MONEY,
         "requested_at": TS, "refunded_at": TS, "updated_at": TS},
        quarantine=(*_COMMON_Q, "negative_quantity"),
    ),
    Entity(
        "web_events", "jsonl",
        {"event_id": SID, "session_id": SID, "customer_id": ID, "product_id": ID, "order_id": ID,
         "occurred_at": TS},
        noise=(("channel_code", TRIM_LOWER),),
        quarantine=(*_COMMON_Q, "malformed_json"),
        vocab=(
            ("event_type", sessions.EVENT_TYPES), ("page_path", sessions.PAGE_PATHS),
            ("device_type", sessions.DEVICES), ("channel_code", sessions.CHANNEL_VOCAB),
        ),
    ),
    Entity(
        "campaigns", "csv",
        {"campaign_id": ID, "starts_on": DATE, "ends_on": DATE, "budget": MONEY, "updated_at": TS},
        noise=(("channel_code", TRIM_LOWER),),
        quarantine=_COMMON_Q,
        free_text=("campaign_name",),
    ),
    Entity(
        "campaign_contacts", "csv",
        {"contact_id": ID, "campaign_id": ID, "customer_id": ID, "contacted_at": TS},
        quarantine=_COMMON_Q,
    ),
    Entity(
        "experiment_assignments", "csv",
        {"assignment_id": ID, "experiment_id": ID, "customer_id": ID, "assigned_at": TS},
        quarantine=_COMMON_Q,
    ),
    Entity(
        "support_tickets", "csv",
        {"ticket_id": ID, "customer_id": ID, "order_id": ID, "opened_at": TS, "resolved_at": TS,
         "updated_at": TS},
        quarantine=_COMMON_Q,
    ),
)  # fmt: skip
BY_NAME = {e.name: e for e in ENTITIES}
SID_PREFIX = {"event_id": "evt-", "session_id": "ses-"}
