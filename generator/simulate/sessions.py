"""Web sessions: who visits, on which device and channel, what they view, and whether they buy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.reference import CATEGORIES, CHANNELS
from generator.simulate import drift
from generator.simulate.calendar import DAY_SECONDS, session_starts
from generator.simulate.catalog import ProductState
from generator.simulate.customers import CONVERSION, CustomerState, visit_rate
from generator.simulate.preferences import Shelf
from generator.simulate.tables import DAY, UID, TableBuilder

EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")
DEVICES = drift.DEVICES
AFFINITY = 0.65  # chance that a further basket line comes from the first line's co-purchase group
_CHANNEL_SHARE = np.array([c[3] for c in CHANNELS])
_CATEGORY_CODES = np.array([c[0] for c in CATEGORIES], dtype=object)
# Text columns of the big tables are stored as codes into these vocabularies (rendered by the writer).
CHANNEL_VOCAB = tuple(c[0] for c in CHANNELS)
PAGE_PATHS = ("/", "/cart", "/checkout", "/checkout/complete", *("/c/" + c for c in _CATEGORY_CODES))
_FIRST_CATEGORY_PATH = 4


@dataclass
class Sessions:
    """One day's sessions, in start order (kept in memory for the experiment and campaign truth)."""

    session_id: np.ndarray
    customer: np.ndarray  # -1 = anonymous
    start: np.ndarray
    device: np.ndarray
    channel: np.ndarray
    converted: np.ndarray
    treated: np.ndarray  # experiment treatment applied
    uplifted: np.ndarray  # confounded campaign uplift applied


def draw_sessions(
    rng: np.random.Generator,
    customers: CustomerState,
    pool: np.ndarray,
    day_start: int,
    demand: float,
    n_anonymous: int,
    drifted: bool,
    first_session_id: int,
) -> Sessions:
    """Sessions of the day's active customers (`pool`) and anonymous visitors. Each customer's sessions
    are Poisson with their own rate (customers.visit_rate): the total is drawn first and shared out in
    proportion to the rates, which is the same in distribution."""
    rate = visit_rate(customers.segment[pool], demand, drifted)
    total = float(rate.sum())
    n_known = rng.poisson(total) if len(pool) else 0
    known = pool[rng.choice(len(pool), size=n_known, p=rate / total)] if len(pool) else pool[:0]
    who = np.concatenate([known, np.full(n_anonymous, -1)])
    n = len(who)
    start = day_start + session_starts(rng, n)
    order = np.argsort(start, kind="stable")
    who, start = who[order], start[order]
    share = drift.device_share(drifted)
    return Sessions(
        session_id=first_session_id + np.arange(n),
        customer=who,
        start=start,
        device=rng.choice(len(DEVICES), size=n, p=share),
        channel=rng.choice(len(CHANNELS), size=n, p=_CHANNEL_SHARE),
        converted=np.zeros(n, bool),
        treated=np.zeros(n, bool),
        uplifted=np.zeros(n, bool),
    )


def decide_conversion(
    rng: np.random.Generator,
    sessions: Sessions,
    customers: CustomerState,
    day: int,
    effect: float,
    uplift: float,
    experiment_running: bool,
) -> None:
    """Known visitors buy with their segment's rate times their device's factor, plus the experiment
    effect and the campaign uplift (absolute, whatever the device)."""
    known = sessions.customer >= 0
    c = np.maximum(sessions.customer, 0)
    sessions.treated = known & experiment_running & (customers.variant[c] == 2)
    sessions.uplifted = known & (customers.uplift_until[c] >= day)
    base = CONVERSION[customers.segment[c]] * drift.DEVICE_CONVERSION[sessions.device]
    p = base + effect * sessions.treated + uplift * sessions.uplifted
    sessions.converted = known & (rng.random(len(c)) < p)


def pick_products(
    rng: np.random.Generator, shelf: Shelf, customers: CustomerState, who: np.ndarray
) -> np.ndarray:
    """One product per entry of `who` (customer index, -1 anonymous), by that customer's taste."""
    return shelf.pick(rng, who, customers.affinity, customers.price_segment)


def basket(
    rng: np.random.Generator,
    shelf: Shelf,
    products: ProductState,
    customers: CustomerState,
    buyer: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Lines per order (one order per entry of `buyer`): (order index per line, product index). Lines
    follow the buyer's taste; a later line follows the first line's co-purchase group instead, often."""
    n_orders = len(buyer)
    n_lines = np.minimum(1 + rng.poisson(2.0, size=n_orders), 8)
    line_order = np.repeat(np.arange(n_orders), n_lines)
    product = pick_products(rng, shelf, customers, buyer[line_order])
    first_of_order = np.searchsorted(line_order, np.arange(n_orders))
    anchor = product[first_of_order][line_order]
    live = shelf.live
    by_group = live[np.argsort(products.group[live], kind="stable")]
    groups = products.group[by_group]
    lo = np.searchsorted(groups, products.group[anchor], side="left")
    hi = np.searchsorted(groups, products.group[anchor], side="right")
    mate = by_group[
        np.minimum(lo + (rng.random(len(anchor)) * (hi - lo)).astype(np.int64), len(by_group) - 1)
    ]
    follow = (rng.random(len(anchor)) < AFFINITY) & (hi > lo)
    follow[first_of_order] = False
    return line_order, np.where(follow, mate, product)


def emit_events(
    out: TableBuilder,
    rng: np.random.Generator,
    sessions: Sessions,
    shelf: Shelf,
    customers: CustomerState,
    day: int,
    first_event_id: int,
    order_id: np.ndarray,
    cart_lines: tuple[np.ndarray, np.ndarray],
) -> tuple[int, np.ndarray, np.ndarray]:
    """Event rows for the day's sessions; returns how many, the purchase times (in session order,
    which is order id order) and the viewed products (index, for the drift truth). `order_id` is per
    session (-1 = none)."""
    n = len(sessions.session_id)
    line_order, line_product = cart_lines
    converted = np.flatnonzero(sessions.converted)
    n_page = 1 + rng.poisson(0.8, size=n)
    n_view = 1 + rng.poisson(1.8, size=n)
    n_cart = (rng.random(n) < 0.25).astype(np.int64)
    n_cart[converted] = np.bincount(line_order, minlength=len(converted))
    n_checkout = np.where(sessions.converted, 1, n_cart * (rng.random(n) < 0.3))
    n_purchase = sessions.converted.astype(np.int64)
    counts = np.stack([n_page, n_view, n_cart, n_checkout, n_purchase], axis=1)
    per_session = counts.sum(axis=1)
    total = int(per_session.sum())
    sess = np.repeat(np.arange(n), per_session)
    offset = np.cumsum(per_session) - per_session
    # a session's events come in type order, so the types are the type codes repeated by their counts
    etype = np.repeat(np.tile(np.arange(len(EVENT_TYPES)), n), counts.ravel())
    gaps = rng.integers(5, 150, size=total)
    gaps[offset] = 0
    clock = np.cumsum(gaps)
    occurred = np.minimum(
        sessions.start[sess] + clock - clock[offset][sess],
        sessions.start[sess] // DAY_SECONDS * DAY_SECONDS + DAY_SECONDS - 1,
    )

    product = np.full(total, -1)
    views = etype == 1
    viewed = pick_products(rng, shelf, customers, sessions.customer[sess[views]])
    product[views] = viewed + 1
    carts = np.flatnonzero(etype == 2)
    # converted sessions put their basket in the cart, line by line; others add one random product
    conv_rank = np.full(n, -1)
    conv_rank[converted] = np.arange(len(converted))
    cart_session_rank = conv_rank[sess[carts]]
    is_conv = cart_session_rank >= 0
    # first basket line per converted session, plus a padding slot for the others (a day may have none)
    line_start = np.append(np.searchsorted(line_order, np.arange(len(converted))), 0)
    cart_session = sess[carts]
    cart_pos = carts - offset[cart_session] - (n_page + n_view)[cart_session]  # rank among its carts
    line_index = line_start[np.where(is_conv, cart_session_rank, len(converted))] + cart_pos
    basket_products = np.append(line_product, 0)  # the padding slot is never selected
    chosen = basket_products[np.where(is_conv, line_index, len(line_product))]
    browsing = ~is_conv
    chosen[browsing] = pick_products(rng, shelf, customers, sessions.customer[cart_session[browsing]])
    product[carts] = chosen + 1

    # paths come from lookup arrays, so rows share a few string objects instead of owning one each
    # page paths as codes into PAGE_PATHS; a product page is -product_id (rendered as /p/<id>)
    path = np.full(total, PAGE_PATHS.index("/cart"))
    path[etype == 0] = _FIRST_CATEGORY_PATH + rng.integers(
        0, len(_CATEGORY_CODES), size=int((etype == 0).sum())
    )
    path[offset] = PAGE_PATHS.index("/")
    path[views] = -product[views]
    path[etype == 3] = PAGE_PATHS.index("/checkout")
    path[etype == 4] = PAGE_PATHS.index("/checkout/complete")
    event_id = first_event_id + np.arange(total)
    out.add(
        event_id=event_id,
        session_id=sessions.session_id[sess],
        customer_id=np.where(sessions.customer[sess] >= 0, sessions.customer[sess] + 1, -1),
        event_type=etype,
        product_id=product,
        order_id=np.where(etype == 4, order_id[sess], -1),
        page_path=path,
        device_type=sessions.device[sess],
        channel_code=sessions.channel[sess],
        occurred_at=occurred,
        **{UID: event_id, DAY: np.full(total, day)},
    )
    return total, occurred[etype == 4], viewed
