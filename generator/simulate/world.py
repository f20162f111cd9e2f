"""The day loop: each day depends only on (seed, day index) and the state carried from earlier days."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from emporium.contract import ENTITIES
from generator import config as cfg
from generator.config import Params
from generator.labels import is_as_of_day
from generator.pools import Pools
from generator.reference import CATEGORIES
from generator.rng import day_rng, each_with
from generator.simulate import catalog, churn_oracle, customers, marketing, orders, sessions
from generator.simulate.calendar import DAY_SECONDS, day_epoch, demand_factor
from generator.simulate.preferences import Shelf
from generator.simulate.tables import Table, TableBuilder

ACCOUNT_TICKETS_PER_DAY_SF1 = 4.0
# called after each simulated day with the day index and the row builders (so a caller can drain one)
DayHook = Callable[[int, dict[str, TableBuilder]], None]


@dataclass
class AsOf:
    """The churn-label truth of one as-of day, for customers 0..len-1 (signed up before it)."""

    probability: np.ndarray
    stopped: np.ndarray  # churned (stopped visiting) before the as-of day


@dataclass
class World:
    params: Params
    epoch0: int
    tables: dict[str, Table]
    sessions: dict[str, np.ndarray]  # every session, for the experiment, campaign and drift truth
    customers: customers.CustomerState
    products: catalog.ProductState
    as_of: dict[int, AsOf]  # as-of day -> churn-label truth
    propensity: marketing.Propensity | None  # the confounded campaign's, once it has run
    viewed_categories: np.ndarray  # (days x categories) product views per category


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


@dataclass
class State:
    """Everything one day hands to the next. A copy of it continues the same past into another future."""

    cust: customers.CustomerState
    prod: catalog.ProductState
    ids: orders.Ids = field(default_factory=orders.Ids)
    pending: _Pending = field(default_factory=_Pending)
    propensity: marketing.Propensity | None = None


def _capacity(per_day_sf1: float, initial_sf1: float, params: Params) -> int:
    return int(initial_sf1 * params.scale * 1.2 + per_day_sf1 * params.scale * params.days * 1.5 + 200)


class Simulation:
    """The day loop, one `step` per day. `branch` replays the randomness of days before its first day and
    draws fresh randomness from then on: Monte-Carlo replicates of the future from one state."""

    def __init__(self, params: Params, pools: Pools, on_day_end: DayHook | None = None) -> None:
        self.params, self.pools, self.on_day_end = params, pools, on_day_end
        self.epoch0 = day_epoch(params.start_date)
        self.state = State(
            customers.CustomerState(_capacity(cfg.SF1_SIGNUPS_PER_DAY, cfg.SF1_INITIAL_CUSTOMERS, params)),
            catalog.ProductState(_capacity(cfg.SF1_NEW_PRODUCTS_PER_DAY, cfg.SF1_PRODUCTS, params)),
        )
        self.out = {entity.name: TableBuilder(entity.columns) for entity in ENTITIES}
        self.session_log: dict[str, list[np.ndarray]] = defaultdict(list)
        self.as_of: dict[int, AsOf] = {}
        self.viewed = np.zeros((params.days, len(CATEGORIES)), np.int64)
        self.branch: tuple[int, int] | None = None  # (first day, replicate)

    def fork(self, first_day: int, replicate: int) -> Simulation:
        """An independent continuation from day `first_day` (the next day to simulate): same state, empty
        outputs, its own randomness."""
        other = Simulation(self.params, self.pools)
        other.state = copy.deepcopy(self.state)
        other.branch = (first_day, replicate)
        return other

    def rng(self, stream: str, day: int) -> np.random.Generator:
        branch = self.branch[1] if self.branch is not None and day >= self.branch[0] else None
        return day_rng(self.params.seed, stream, day, branch)

    def run(self, days: range, progress: bool = False) -> None:
        for day in tqdm(days, desc="simulating days", disable=not progress, unit="day"):
            self.step(day)

    def step(self, day: int) -> None:
        st, p = self.state, self.params
        if is_as_of_day(p.start_date, day):  # the churn-label truth, from the state at the day's start
            probability = churn_oracle.no_order_probability(
                st.cust, st.pending.returns, st.pending.tickets, day, p
            )
            self.as_of[day] = AsOf(probability, st.cust.churned_day[: st.cust.n] >= 0)
        day_start = self.epoch0 + day * DAY_SECONDS
        drifted = day >= p.drift_day
        active = self._catalogue_and_customers(day, day_start)
        st.pending.apply(day, st.cust)
        campaign = marketing.campaign_on(day)
        if campaign is not None:
            self._campaign(campaign, day, day_start)
        shelf = Shelf(
            st.prod.popularity, st.prod.category, st.prod.price_cents, st.prod.buyable(day), drifted
        )
        self._shop(day, day_start, drifted, shelf, active)
        self._account_tickets(day, day_start, active)
        # churn at the end of the day, from behaviour so far (the active customers are the ones at risk)
        r = self.rng("churn", day)
        st.cust.churned_day[active[r.random(len(active)) < st.cust.daily_hazard(day, active)]] = day
        if self.on_day_end is not None:
            self.on_day_end(day, self.out)

    def _catalogue_and_customers(self, day: int, day_start: int) -> np.ndarray:
        """Catalogue and customer base first: everything later today may reference them. Returns the
        day's active customers (signed up before it, not churned): today's sign-ups shop from tomorrow."""
        s, prod, cust, out, pools = self.params.scale, self.state.prod, self.state.cust, self.out, self.pools
        r = self.rng("products", day)
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

        r = self.rng("customers", day)
        if day == 0:
            n0 = max(10, round(cfg.SF1_INITIAL_CUSTOMERS * s))
            idx = customers.sign_up(
                cust, pools, r, n0, 0, day_start - r.integers(DAY_SECONDS, 730 * DAY_SECONDS, n0)
            )
            cust.signup_day[idx] = -1  # existing customers may shop from day 0
            active = cust.active_before(day)
            customers.emit_rows(
                out["customers"], cust, pools, idx, day_start + r.integers(0, 3600, n0), 0, True
            )
        else:
            active = cust.active_before(day)
            idx = customers.change_profiles(cust, pools, r, day, active)
            stamp = day_start + r.integers(3600, DAY_SECONDS, len(idx))
            customers.emit_rows(out["customers"], cust, pools, idx, stamp, day, False)
        n_new = r.poisson(cfg.SF1_SIGNUPS_PER_DAY * s)
        joined = day_start + np.sort(r.integers(0, DAY_SECONDS, n_new))
        idx = customers.sign_up(cust, pools, r, n_new, day, joined)
        customers.emit_rows(out["customers"], cust, pools, idx, joined, day, True)
        return active

    def _campaign(self, campaign: marketing.Campaign, day: int, day_start: int) -> None:
        st = self.state
        r = self.rng("campaigns", day)
        audience, propensity = marketing.choose_audience(campaign, st.cust, r, day_start)
        if propensity is not None:
            st.propensity = propensity
        st.ids.contact += marketing.run_campaign(
            campaign, st.cust, audience, r, day_start, st.ids.contact, self.out["campaigns"],
            self.out["campaign_contacts"], self.params.date_of(day).strftime("%B %Y"),
        )  # fmt: skip

    def _shop(self, day: int, day_start: int, drifted: bool, shelf: Shelf, active: np.ndarray) -> None:
        """Sessions, conversions, orders and their events."""
        st, out, s = self.state, self.out, self.params.scale
        cust, prod, ids = st.cust, st.prod, st.ids
        r = self.rng("sessions", day)
        demand = demand_factor(self.params.date_of(day))
        n_anon = r.poisson(cfg.SF1_ANONYMOUS_SESSIONS_PER_DAY * s * demand)
        sess = sessions.draw_sessions(r, cust, active, day_start, demand, n_anon, drifted, ids.session)
        ids.session += len(sess.session_id)
        running = marketing.in_experiment(day)
        if running:
            ids.assignment += marketing.assign_variants(
                cust, self.rng("experiment", day), sess.customer, sess.start, day, ids.assignment,
                out["experiment_assignments"],
            )  # fmt: skip
        sessions.decide_conversion(
            r, sess, cust, day, marketing.EXPERIMENT_EFFECT, marketing.CAMPAIGN_UPLIFT, running
        )
        conv = np.flatnonzero(sess.converted)
        r = self.rng("orders", day)
        buyer = sess.customer[conv]
        line_order, line_product = sessions.basket(r, shelf, prod, cust, buyer)
        order_id = ids.order + np.arange(len(conv))
        ids.order += len(conv)
        session_order = np.full(len(sess.session_id), -1)
        session_order[conv] = order_id
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
        n_events, batch.placed_at, viewed = sessions.emit_events(
            out["web_events"], self.rng("events", day), sess, shelf, cust, day, ids.event, session_order,
            (line_order, line_product),
        )  # fmt: skip
        ids.event += n_events
        if day < len(self.viewed):
            self.viewed[day] = np.bincount(prod.category[viewed], minlength=len(CATEGORIES))
        after = orders.place_orders(batch, r, ids, self.epoch0, self._order_builders())
        st.pending.add(after.return_day, after.return_customer, st.pending.returns)
        st.pending.add(after.ticket_day, after.ticket_customer, st.pending.tickets)
        np.add.at(cust.n_orders, buyer, 1)
        np.add.at(cust.spend_cents, buyer, np.bincount(line_order, qty * price, len(conv)).astype(np.int64))
        cust.last_order_day[buyer] = day
        for key in ("session_id", "customer", "start", "device", "converted", "treated", "uplifted"):
            self.session_log[key].append(getattr(sess, key))

    def _order_builders(self) -> orders.Builders:
        out = self.out
        return orders.Builders(
            out["orders"], out["order_items"], out["payments"], out["returns"], out["support_tickets"]
        )

    def _account_tickets(self, day: int, day_start: int, pool: np.ndarray) -> None:
        """Account questions: support tickets not about an order. They do not feed churn (order tickets
        do), which keeps the hazard of a customer without orders deterministic (see churn_oracle)."""
        r = self.rng("support", day)
        s = self.params.scale
        who = each_with(r, pool, ACCOUNT_TICKETS_PER_DAY_SF1 * s / max(len(pool), 1))
        orders.account_tickets(self.out["support_tickets"], self.state.ids, r, who, day_start, self.epoch0)

    def world(self) -> World:
        """The finished world; the tables move out of the builders (sorted when written)."""
        out = self.out
        return World(
            params=self.params,
            epoch0=self.epoch0,
            tables={name: out.pop(name).build(sort=False) for name in list(out)},
            sessions={k: np.concatenate(v) for k, v in self.session_log.items()},
            customers=self.state.cust,
            products=self.state.prod,
            as_of=self.as_of,
            propensity=self.state.propensity,
            viewed_categories=self.viewed,
        )


def simulate(
    params: Params, pools: Pools, progress: bool = False, on_day_end: DayHook | None = None
) -> World:
    sim = Simulation(params, pools, on_day_end)
    sim.run(range(params.days), progress)
    return sim.world()
