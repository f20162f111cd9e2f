"""The landing contract: what each landing entity's files look like (name, file format, columns in landing
order with the key first, the kinds of the non-text columns, whether rows are a change feed, which fields
are optional).

Declared once, here, for Python: the generator writes it (generator/entities.py adds what only the
generator needs), ingest validates and loads it, quality checks it. Its dbt form is macros/shop_entities.sql;
tests/warehouse/test_contract.py keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

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


ENTITIES: tuple[Entity, ...] = (
    Entity(
        "customers", "parquet",
        ("customer_id", "first_name", "last_name", "email", "phone", "street_address", "city", "postal_code",
         "country_code", "loyalty_tier", "marketing_opt_in", "signed_up_at", "updated_at"),
        {"customer_id": ID, "signed_up_at": TS, "updated_at": TS, "marketing_opt_in": BOOL},
        change_feed=True,
        optional=("phone",),
    ),
    Entity(
        "products", "parquet",
        ("product_id", "sku", "product_name", "category_code", "brand", "unit_price", "currency_code",
         "is_active", "created_at", "updated_at"),
        {"product_id": ID, "unit_price": MONEY, "is_active": BOOL, "created_at": TS, "updated_at": TS},
        change_feed=True,
    ),
    Entity(
        "orders", "csv",
        ("order_id", "customer_id", "order_status", "channel_code", "campaign_id", "currency_code",
         "shipping_country_code", "ordered_at", "updated_at"),
        {"order_id": ID, "customer_id": ID, "campaign_id": ID, "ordered_at": TS, "updated_at": TS},
        change_feed=True,
        optional=("campaign_id",),
    ),
    Entity(
        "order_items", "csv",
        ("order_item_id", "order_id", "product_id", "quantity", "unit_price", "discount_amount", "updated_at"),
        {"order_item_id": ID, "order_id": ID, "product_id": ID, "quantity": INT, "unit_price": MONEY,
         "discount_amount": MONEY, "updated_at": TS},
    ),
    Entity(
        "payments", "csv",
        ("payment_id", "order_id", "payment_method", "payment_status", "amount", "currency_code", "paid_at",
         "updated_at"),
        {"payment_id": ID, "order_id": ID, "amount": MONEY, "paid_at": TS, "updated_at": TS},
    ),
    Entity(
        "returns", "csv",
        ("return_id", "order_id", "order_item_id", "return_reason", "quantity", "refund_amount",
         "requested_at", "refunded_at", "updated_at"),
        {"return_id": ID, "order_id": ID, "order_item_id": ID, "quantity": INT, "refund_amount": MONEY,
         "requested_at": TS, "refunded_at": TS, "updated_at": TS},
    ),
    Entity(
        "web_events", "jsonl",
        ("event_id", "session_id", "customer_id", "event_type", "product_id", "order_id", "page_path",
         "device_type", "channel_code", "occurred_at"),
        {"event_id": SID, "session_id": SID, "customer_id": ID, "product_id": ID, "order_id": ID,
         "occurred_at": TS},
    ),
    Entity(
        "campaigns", "csv",
        ("campaign_id", "campaign_name", "channel_code", "objective", "starts_on", "ends_on", "budget",
         "updated_at"),
        {"campaign_id": ID, "starts_on": DATE, "ends_on": DATE, "budget": MONEY, "updated_at": TS},
    ),
    Entity(
        "campaign_contacts", "csv",
        ("contact_id", "campaign_id", "customer_id", "contacted_at"),
        {"contact_id": ID, "campaign_id": ID, "customer_id": ID, "contacted_at": TS},
    ),
    Entity(
        "experiment_assignments", "csv",
        ("assignment_id", "experiment_id", "customer_id", "variant", "assigned_at"),
        {"assignment_id": ID, "experiment_id": ID, "customer_id": ID, "assigned_at": TS},
    ),
    Entity(
        "support_tickets", "csv",
        ("ticket_id", "customer_id", "order_id", "topic", "opened_at", "resolved_at", "updated_at"),
        {"ticket_id": ID, "customer_id": ID, "order_id": ID, "opened_at": TS, "resolved_at": TS,
         "updated_at": TS},
    ),
)  # fmt: skip
BY_NAME = {e.name: e for e in ENTITIES}
