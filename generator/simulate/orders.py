"""Orders and everything decided when an order is placed: items, payments, lifecycle, returns, tickets.

Later events (shipping, delivery, refunds) are decided now and carry their own timestamps; the writer
places each row in the landing partition of its own day, so the result does not depend on the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.simulate.calendar import DAY_SECONDS
from generator.simulate.tables import DAY, UID, TableBuilder

STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "returned")
CANCEL_RATE = 0.04
RETURN_RATE = np.array([0.12, 0.09, 0.07, 0.06])  # by customer segment
REFUND_RATE = 0.9
TICKET_RATE, TICKET_RATE_AFTER_RETURN = 0.03, 0.25
RESOLVE_RATE = 0.85
HOUR = 3600

_METHODS = np.array(["card", "paypal", "bank_transfer", "gift_card"], dtype=object)
_METHOD_SHARE = np.array([0.55, 0.3, 0.1, 0.05])
_REASONS = np.array(
    ["damaged", "wrong_size", "not_as_described", "changed_mind", "late_delivery"], dtype=object
)
_TOPICS = np.array(
    ["delivery_delay", "damaged_item", "refund_status", "payment_issue", "product_question"], dtype=object
)


@dataclass
class Builders:
    orders: TableBuilder
    items: TableBuilder
    payments: TableBuilder
    returns: TableBuilder
    tickets: TableBuilder


@dataclass
class OrderBatch:
    """Orders placed on one day, one entry per order, and their lines."""

    order_id: np.ndarray
    customer: np.ndarray  # customer index
    segment: np.ndarray
    placed_at: np.ndarray
    channel: np.ndarray  # index into sessions.CHANNEL_VOCAB
    campaign_id: np.ndarray  # -1 = none
    country: np.ndarray  # index into reference.COUNTRIES
    line_order: np.ndarray  # index into the order arrays, per line
    line_product: np.ndarray  # product index
    line_qty: np.ndarray
    line_price: np.ndarray  # cents
    line_discount: np.ndarray  # cents


@dataclass
class Ids:
    """Next free id per entity: the state that makes ids continue across days."""

    order: int = 1
    item: int = 1
    payment: int = 1
    ret: int = 1
    ticket: int = 1
    session: int = 1
    event: int = 1
    contact: int = 1
    assignment: int = 1


@dataclass
class Aftermath:
    """Behaviour that feeds churn later: (day, customer index) of returns and support tickets."""

    return_day: np.ndarray
    return_customer: np.ndarray
    ticket_day: np.ndarray
    ticket_customer: np.ndarray


def _day_of(ts: np.ndarray, epoch0: int) -> np.ndarray:
    return (ts - epoch0) // DAY_SECONDS


def _uniform_seconds(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    return rng.integers(low, high, size=n)


def place_orders(
    batch: OrderBatch, rng: np.random.Generator, ids: Ids, epoch0: int, out: Builders
) -> Aftermath:
    n, n_lines = len(batch.order_id), len(batch.line_order)
    line_net = batch.line_qty * batch.line_price - batch.line_discount
    order_net = np.bincount(batch.line_order, weights=line_net, minlength=n).astype(np.int64)

    cancelled = rng.random(n) < CANCEL_RATE
    paid_at = batch.placed_at + _uniform_seconds(rng, 30, 600, n)
    cancelled_at = batch.placed_at + _uniform_seconds(rng, 600, 36 * HOUR, n)
    shipped_at = paid_at + _uniform_seconds(rng, 4 * HOUR, 48 * HOUR, n)
    delivered_at = shipped_at + _uniform_seconds(rng, DAY_SECONDS, 5 * DAY_SECONDS, n)
    returned = ~cancelled & (rng.random(n) < RETURN_RATE[batch.segment])
    requested_at = delivered_at + _uniform_seconds(rng, DAY_SECONDS, 14 * DAY_SECONDS, n)
    refunded = returned & (rng.random(n) < REFUND_RATE)
    decided_at = requested_at + _uniform_seconds(rng, DAY_SECONDS, 6 * DAY_SECONDS, n)

    # orders: one row per status change
    lived = ~cancelled
    steps = [
        (np.ones(n, bool), 0, batch.placed_at), (lived, 1, paid_at), (lived, 2, shipped_at),
        (lived, 3, delivered_at), (cancelled, 4, cancelled_at), (refunded, 5, decided_at),
    ]  # fmt: skip
    for mask, code, ts in steps:
        sel = np.flatnonzero(mask)
        out.orders.add(
            order_id=batch.order_id[sel],
            customer_id=batch.customer[sel] + 1,
            order_status=np.full(len(sel), code),
            channel_code=batch.channel[sel],
            campaign_id=batch.campaign_id[sel],
            currency_code=np.full(len(sel), "EUR", dtype=object),
            shipping_country_code=batch.country[sel],
            ordered_at=batch.placed_at[sel],
            updated_at=ts[sel],
            **{
                UID: batch.order_id[sel] * 8 + code,
                DAY: _day_of(ts[sel], epoch0),
                "_first": np.full(len(sel), code == 0),
            },
        )

    item_id = ids.item + np.arange(n_lines)
    ids.item += n_lines
    out.items.add(
        order_item_id=item_id,
        order_id=batch.order_id[batch.line_order],
        product_id=batch.line_product + 1,
        quantity=batch.line_qty,
        unit_price=batch.line_price,
        discount_amount=batch.line_discount,
        updated_at=batch.placed_at[batch.line_order],
        **{UID: item_id, DAY: _day_of(batch.placed_at[batch.line_order], epoch0)},
    )

    # the returned line: one random line of the order, returned in full
    first_line = np.searchsorted(batch.line_order, np.arange(n))
    lines_per_order = np.bincount(batch.line_order, minlength=n)
    ret = np.flatnonzero(returned)
    ret_line = first_line[ret] + (rng.random(len(ret)) * lines_per_order[ret]).astype(np.int64)
    refund = np.where(refunded[ret], line_net[ret_line], 0).astype(np.int64)
    payment_refund = np.flatnonzero(refunded)
    _payments(
        batch,
        rng,
        ids,
        epoch0,
        out,
        cancelled,
        paid_at,
        order_net,
        payment_refund,
        line_net_refund=refund[refunded[ret]],
        refunded_at=decided_at,
    )

    return_id = ids.ret + np.arange(len(ret))
    ids.ret += len(ret)
    ret_updated = decided_at[ret]
    out.returns.add(
        return_id=return_id,
        order_id=batch.order_id[ret],
        order_item_id=item_id[ret_line],
        return_reason=_REASONS[rng.integers(0, len(_REASONS), size=len(ret))],
        quantity=batch.line_qty[ret_line],
        refund_amount=refund,
        requested_at=requested_at[ret],
        refunded_at=np.where(refunded[ret], decided_at[ret], -1),
        updated_at=ret_updated,
        **{UID: return_id, DAY: _day_of(ret_updated, epoch0)},
    )

    ticket = rng.random(n) < np.where(returned, TICKET_RATE_AFTER_RETURN, TICKET_RATE)
    tk = np.flatnonzero(ticket)
    opened_at = np.where(cancelled, cancelled_at, delivered_at)[tk] + _uniform_seconds(
        rng, HOUR, 5 * DAY_SECONDS, len(tk)
    )
    topic = np.where(returned[tk], 2, np.where(cancelled[tk], 3, rng.integers(0, 5, size=len(tk))))
    resolved = rng.random(len(tk)) < RESOLVE_RATE
    resolved_at = opened_at + _uniform_seconds(rng, HOUR, 5 * DAY_SECONDS, len(tk))
    _tickets(
        out.tickets,
        ids,
        epoch0,
        batch.customer[tk],
        batch.order_id[tk],
        _TOPICS[topic],
        opened_at,
        np.where(resolved, resolved_at, -1),
    )
    return Aftermath(
        return_day=_day_of(requested_at[ret], epoch0),
        return_customer=batch.customer[ret],
        ticket_day=_day_of(opened_at, epoch0),
        ticket_customer=batch.customer[tk],
    )


def _payments(
    batch: OrderBatch,
    rng: np.random.Generator,
    ids: Ids,
    epoch0: int,
    out: Builders,
    cancelled: np.ndarray,
    paid_at: np.ndarray,
    order_net: np.ndarray,
    refund_orders: np.ndarray,
    line_net_refund: np.ndarray,
    refunded_at: np.ndarray,
) -> None:
    """One capture (or failure, for cancelled orders) per order, plus one refund per refunded return."""
    n, r = len(batch.order_id), len(refund_orders)
    payment_id = ids.payment + np.arange(n + r)
    ids.payment += n + r
    method = _METHODS[rng.choice(len(_METHODS), size=n, p=_METHOD_SHARE)]
    order_idx = np.concatenate([np.arange(n), refund_orders])
    ts = np.concatenate([paid_at, refunded_at[refund_orders]])
    status = np.concatenate(
        [np.where(cancelled, "failed", "captured").astype(object), np.full(r, "refunded", object)]
    )
    out.payments.add(
        payment_id=payment_id,
        order_id=batch.order_id[order_idx],
        payment_method=method[order_idx],
        payment_status=status,
        amount=np.concatenate([order_net, line_net_refund]),
        currency_code=np.full(n + r, "EUR", dtype=object),
        paid_at=ts,
        updated_at=ts,
        **{UID: payment_id, DAY: _day_of(ts, epoch0)},
    )


def _tickets(
    out: TableBuilder,
    ids: Ids,
    epoch0: int,
    customer: np.ndarray,
    order_id: np.ndarray,
    topic: np.ndarray,
    opened_at: np.ndarray,
    resolved_at: np.ndarray,
) -> None:
    ticket_id = ids.ticket + np.arange(len(customer))
    ids.ticket += len(customer)
    # a ticket is sent once, when it is resolved (or when opened, if it never is)
    updated_at = np.where(resolved_at >= 0, resolved_at, opened_at)
    out.add(
        ticket_id=ticket_id,
        customer_id=customer + 1,
        order_id=order_id,
        topic=topic,
        opened_at=opened_at,
        resolved_at=resolved_at,
        updated_at=updated_at,
        **{UID: ticket_id, DAY: _day_of(updated_at, epoch0)},
    )


def account_tickets(
    out: TableBuilder, ids: Ids, rng: np.random.Generator, customer: np.ndarray, day_start: int, epoch0: int
) -> np.ndarray:
    """Tickets not about an order (account questions); returns the customers who opened them."""
    n = len(customer)
    opened_at = day_start + rng.integers(0, DAY_SECONDS, size=n)
    resolved_at = np.where(
        rng.random(n) < RESOLVE_RATE, opened_at + rng.integers(HOUR, 3 * DAY_SECONDS, size=n), -1
    )
    _tickets(
        out, ids, epoch0, customer, np.full(n, -1), np.full(n, "account", object), opened_at, resolved_at
    )
    return customer
