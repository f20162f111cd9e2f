"""The same pages and SQL over the Postgres target: the dashboards job reads the tiny world's warehouse on the
throwaway server through Evidence's Postgres connector, and every page renders in Chromium with that
server's numbers. A site build takes minutes on two shared cores: marker `full` (`make test-full`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboards import site
from emporium.config import Settings
from emporium.engine import connect, fetch_all
from orchestration.runner import build_dashboards
from tests.dashboards.browser import ERROR_TEXTS, Browser, ensure_chromium, serve_site

pytestmark = [pytest.mark.postgres, pytest.mark.full]


def test_the_site_builds_and_renders_over_postgres(postgres_warehouse: Settings) -> None:
    site.install()
    outcome = build_dashboards(postgres_warehouse)
    assert outcome.success, outcome.render()
    with connect(postgres_warehouse) as connection:
        ((net_revenue, orders),) = fetch_all(
            connection, "select sum(net_revenue), sum(orders) from gold.mart_daily_revenue"
        )
        ((drift_days,),) = fetch_all(
            connection,
            "select count(distinct report_date) from gold.mart_drift_reports where column_name = 'device_type'",
        )
    shots: Path = postgres_warehouse.dashboards_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with serve_site(postgres_warehouse.data_dir) as base:
        browser = Browser(ensure_chromium())
        try:
            visits = {
                page: browser.visit(base + page, shots / f"{page.strip('/') or 'index'}.png")
                for page in site.pages()
            }
        finally:
            browser.close()
    for page, visit in visits.items():
        assert not visit.console_errors, f"{page}: console errors {visit.console_errors}"
        assert not visit.foreign_requests, f"{page}: fetched from another host: {visit.foreign_requests}"
        shown = [text for text in ERROR_TEXTS if text in visit.state["text"]]
        assert not shown, f"{page} shows an error: {shown}"
    overview = visits["/"].state["text"]
    assert f"{net_revenue:,.2f}" in overview and f"{orders:,}" in overview
    assert visits["/sales/"].state["charts"] >= 1 and visits["/funnel/"].state["table_rows"] > 1
    assert drift_days > 0 and f"{drift_days:,}" in visits["/monitoring/"].state["text"]
