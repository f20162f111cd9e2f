"""The day loop: each day depends only on (seed, day index) and the state carried from earlier days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from generator import config as cfg
from generator.config import Params
from generator.pools import Pools
from generator.rng import day_rng
from generator.simulate import catalog, customers, marketing, orders, sessions
from generator.simulate.calendar import DAY_SECONDS, day_epoch, demand_factor
from generator.simulate.tables import Table, TableBuilder

ENTITY_COLUMNS: dict[str, list[str]] = {
    "customers": customers.COLUMNS,
    "products": catalog.COLUMNS,
    "orders": orders.ORDER_COLUMNS,
    "order_items": orders.ITEM_COLUMNS,
    "payments": orders.PAYMENT_COLUMNS,
    "returns": orders.RETURN_COLUMNS,
    "web_events": sessions.EVENT_COLUMNS,
    "campaigns": marketing.CAMPAIGN_COLUMNS,
    "campaign_contacts": marketing.CONTACT_COLUMNS,
    "experiment_assignments": marketing.ASSIGNMENT_COLUMNS,
    "support_tickets": orders.TICKET_COLUMNS,
}
ACCOUNT_TICKETS_PER_DAY_SF1 = 4.0
# called after each simulated day with the day index and the row builders (so a caller can drain one)
DayHook = Callable[[int, dict[str, TableBuilder]], None]


@dataclass
class World:
    params: Params
    epoch0: int
    tables: dict[str, Table]
    sessions: dict[str, np.ndarray]  # every session, for the experiment and campaign truth
    customers: customers.CustomerState
    products: catalog.ProductState
    end_hazard: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass
class _Pending:
    """Returns and tickets decided earlier that change a customer's behaviour on a later day."""

    returns: dict[int, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    tickets: dict[int, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))

    def add(self, days: np.ndarray, who: np.ndarray, into: dict[int, list[np.ndarray]]) -> None:
        for day in np.unique(days):
            into[int(day)].append(who[days == day])

    def apply(self, day: int, state: customers.CustomerState) -> None:
        for who in self.returns.pop(day, []):
            np.add.at(state.n_returns, who, 1)
        for who in self.tickets.pop(day, []):
            np.add.at(state.n_tickets, who, 1)


def _capacity(per_day_sf1: float, initial_sf1: float, params: Params) -> int:
    return int(initial_sf1 * params.scale * 1.2 + per_day_sf1 * params.scale * params.days * 1.5 + 200)


def simulate(
    params: Params, pools: Pools, progress: bool = False, on_day_end: DayHook | None = None
) -> World:
    s = params.scale
    epoch0 = day_epoch(params.start_date)
    cust = customers.CustomerState(_capacity(cfg.SF1_SIGNUPS_PER_DAY, cfg.SF1_INITIAL_CUSTOMERS, params))
    prod = catalog.ProductState(_capacity(cfg.SF1_NEW_PRODUCTS_PER_DAY, cfg.SF1_PRODUCTS, params))
    out = {name: TableBuilder(cols) for name, cols in ENTITY_COLUMNS.items()}
    builders = orders.Builders(
        out["orders"], out["order_items"], out["payments"], out["returns"], out["support_tickets"]
    )
    ids, pending = orders.Ids(), _Pending()
    session_log: dict[str, list[np.ndarray]] = defaultdict(list)

    for day in tqdm(range(params.days), desc="simulating days", disable=not progress, unit="day"):
        day_start = epoch0 + day * DAY_SECONDS
        drifted = day >= params.drift_day

        def rng(stream: str, _day: int = day) -> np.random.Generator:
            return day_rng(params.seed, stream, _day)

        # catalogue and customer base first: everything later today may reference them
        r = rng("products")
        if day == 0:
            n0 = max(catalog.GROUP_SIZE, round(cfg.SF1_PRODUCTS * s))
            idx = catalog.add_products(
                prod, pools, r, n0, 0, day_start - r.integers(DAY_SECONDS, 730 * DAY_SECONDS, n0)
            )
            prod.created_day[idx] = -1  # the opening catalogue is on sale from day 0
            catalog.emit_rows(out["products"], prod, idx, day_start + r.integers(0, 3600, n0), 0, True)
        else:
            idx = catalog.change_products(prod, r, day)
            catalog.emit_rows(
                out["products"], prod, idx, day_start + r.integers(3600, DAY_SECONDS, len(idx)), day, False
            )
        n_new = r.poisson(cfg.SF1_NEW_PRODUCTS_PER_DAY * s)
        created = day_start + np.sort(r.integers(0, DAY_SECONDS, n_new))
        idx = catalog.add_products(prod, pools, r, n_new, day, created)
        catalog.emit_rows(out["products"], prod, idx, created, day, True)

        r = rng("customers")
        if day == 0:
            n0 = max(10, round(cfg.SF1_INITIAL_CUSTOMERS * s))
            idx = customers.sign_up(
                cust, pools, r, n0, 0, day_start - r.integers(DAY_SECONDS, 730 * DAY_SECONDS, n0)
            )
            cust.signup_day[idx] = -1  # existing customers may shop from day 0
            customers.emit_rows(
                out["customers"], cust, pools, idx, day_start + r.integers(0, 3600, n0), 0, True
            )
        else:
            idx = customers.change_profiles(cust, pools, r, day)
            stamp = day_start + r.integers(3600, DAY_SECONDS, len(idx))
            customers.emit_rows(out["customers"], cust, pools, idx, stamp, day, False)
        n_new = r.poisson(cfg.SF1_SIGNUPS_PER_DAY * s)
        joined = day_start + np.sort(r.integers(0, DAY_SECONDS, n_new))
        idx = customers.sign_up(cust, pools, r, n_new, day, joined)
        customers.emit_rows(out["customers"], cust, pools, idx, joined, day, True)

        pending.apply(day, cust)
        campaign = marketing.campaign_on(day)
        if campaign is not None:
            ids.contact += marketing.run_campaign(
                campaign,
                cust,
                rng("campaigns"),
                day_start,
                ids.contact,
                out["campaigns"],
                out["campaign_contacts"],
                params.date_of(day).strftime("%B %Y"),
            )

        # sessions, conversions and orders
        r = rng("sessions")
        demand = demand_factor(params.date_of(day))
        n_known = r.poisson(cfg.SF1_KNOWN_SESSIONS_PER_DAY * s * demand)
        n_anon = r.poisson(cfg.SF1_ANONYMOUS_SESSIONS_PER_DAY * s * demand)
        sess = sessions.draw_sessions(r, cust, day, day_start, n_known, n_anon, drifted, ids.session)
        ids.session += len(sess.session_id)
        running = marketing.in_experiment(day)
        if running:
            ids.assignment += marketing.assign_variants(
                cust,
                rng("experiment"),
                sess.customer,
                sess.start,
                day,
                ids.assignment,
                out["experiment_assignments"],
            )
        sessions.decide_conversion(
            r, sess, cust, day, marketing.EXPERIMENT_EFFECT, marketing.CAMPAIGN_UPLIFT, running
        )
        conv = np.flatnonzero(sess.converted)
        r = rng("orders")
        line_order, line_product = sessions.basket(r, prod, day, len(conv), drifted)
        order_id = ids.order + np.arange(len(conv))
        ids.order += len(conv)
        session_order = np.full(len(sess.session_id), -1)
        session_order[conv] = order_id
        buyer = sess.customer[conv]
        campaign_id = np.where(cust.campaign_until[buyer] >= day, cust.campaign_id[buyer], -1)
        rate = np.where(campaign_id > 0, 0.10, np.where(r.random(len(conv)) < 0.15, 0.05, 0.0))
        qty = r.geometric(0.75, size=len(line_order))
        price = prod.price_cents[line_product]
        batch = orders.OrderBatch(
            order_id=order_id,
            customer=buyer,
            segment=cust.segment[buyer],
            placed_at=np.zeros(len(conv), np.int64),
            channel=sess.channel[conv],
            campaign_id=campaign_id,
            country=cust.country[buyer],
            line_order=line_order,
            line_product=line_product,
            line_qty=qty,
            line_price=price,
            line_discount=np.round(qty * price * rate[line_order]).astype(np.int64),
        )
        n_events, batch.placed_at = sessions.emit_events(
            out["web_events"],
            rng("events"),
            sess,
            prod,
            day,
            ids.event,
            session_order,
            (line_order, line_product),
            drifted,
        )
        ids.event += n_events
        after = orders.place_orders(batch, r, ids, epoch0, builders)
        pending.add(after.return_day, after.return_customer, pending.returns)
        pending.add(after.ticket_day, after.ticket_customer, pending.tickets)
        np.add.at(cust.n_orders, buyer, 1)
        np.add.at(cust.spend_cents, buyer, np.bincount(line_order, qty * price, len(conv)).astype(np.int64))
        cust.last_order_day[buyer] = day

        r = rng("support")
        pool = cust.active_before(day)
        who = pool[r.random(len(pool)) < ACCOUNT_TICKETS_PER_DAY_SF1 * s / max(len(pool), 1)]
        orders.account_tickets(out["support_tickets"], ids, r, who, day_start, epoch0)
        np.add.at(cust.n_tickets, who, 1)

        for key in ("session_id", "customer", "start", "device", "converted", "treated", "uplifted"):
            session_log[key].append(getattr(sess, key))

        # churn at the end of the day, from behaviour so far
        r = rng("churn")
        hazard = cust.daily_hazard(day)
        at_risk = (cust.signup_day[: cust.n] < day) & (cust.churned_day[: cust.n] < 0)
        cust.churned_day[: cust.n][at_risk & (r.random(cust.n) < hazard)] = day
        if on_day_end is not None:
            on_day_end(day, out)

    return World(
        params=params,
        epoch0=epoch0,
        tables={name: out.pop(name).build(sort=False) for name in list(out)},  # sorted when written
        sessions={k: np.concatenate(v) for k, v in session_log.items()},
        customers=cust,
        products=prod,
        end_hazard=cust.daily_hazard(params.days - 1),
    )


def churn_probability(world: World) -> np.ndarray:
    """True probability of churning within the next CHURN_HORIZON_DAYS (1 once churned)."""
    h = world.end_hazard
    p = 1.0 - (1.0 - np.minimum(h, 1.0)) ** customers.CHURN_HORIZON_DAYS
    return np.where(world.customers.churned_day[: world.customers.n] >= 0, 1.0, p)
