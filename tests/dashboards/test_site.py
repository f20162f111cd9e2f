"""The BI site end to end: installed from the committed lock (with the Evidence patch), built by the Dagster
job `dashboards` from the tiny world's warehouse (a copy), served by `emporium dashboards serve` on
127.0.0.1, and every page opened in headless Chromium: charts and tables drawn with the warehouse's numbers,
no console error, no error box, nothing fetched from another host, a screenshot per page. A page whose marts
hold nothing yet (the tiny world has no trained model, no prediction log and no causal run) says so."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Iterator

import duckdb
import pytest

from dashboards import site
from emporium.config import Settings
from orchestration.runner import build_dashboards
from tests.dashboards.browser import ERROR_TEXTS, Browser, PageVisit, ensure_chromium, serve_site
from tests.support import settings_for

PATCH = site.PROJECT / "patches" / "@evidence-dev+universal-sql+3.0.1.patch"
PATCHED = site.PROJECT / "node_modules" / "@evidence-dev" / "universal-sql" / "src" / "client-duckdb"
PAGES = ("/", "/sales/", "/cohorts/", "/rfm/", "/products/", "/funnel/", "/data-quality/", "/churn/",
         "/monitoring/", "/experiments/")  # fmt: skip
# what a page shows when the marts it reads hold nothing yet
EMPTY_TEXTS = {
    "/churn/": ("No churn scores yet", "No model versions yet"),
    "/monitoring/": ("No predictions logged yet", "No drift reports yet", "No training has registered"),
    "/experiments/": ("No experiment results yet",),
}


@pytest.fixture(scope="module")
def installed() -> None:
    site.install()


def test_the_patch_matches_the_locked_universal_sql(installed: None) -> None:
    """The patch replaces universal-sql's Node query client of exactly the version the lock installs: a new
    Evidence release (its node.js may change upstream) must come with a reviewed patch."""
    lock = json.loads((site.PROJECT / "package-lock.json").read_text(encoding="utf-8"))
    locked = lock["packages"]["node_modules/@evidence-dev/universal-sql"]["version"]
    assert PATCH.exists(), f"{PATCH} is missing"
    assert PATCH.name == f"@evidence-dev+universal-sql+{locked}.patch", (
        f"package-lock.json installs @evidence-dev/universal-sql {locked}, the patch is {PATCH.name}: check "
        "src/client-duckdb/node.js upstream and re-create the patch (npx patch-package @evidence-dev/universal-sql)"
    )
    # patch-package applied it at postinstall: the installed files are the patch's new side (its added and
    # context lines), line for line
    text = PATCH.read_text(encoding="utf-8")
    for name in ("node.js", "node-worker.js"):
        section = text.split(f"+++ b/node_modules/@evidence-dev/universal-sql/src/client-duckdb/{name}\n")[1]
        section = section.split("\ndiff --git")[0]
        lines = section.splitlines()
        assert [line[:2] for line in lines].count("@@") == 1 and lines[0].startswith("@@"), (
            f"{name}: the patch should rewrite the file in one hunk"
        )
        added = [line[1:] for line in lines[1:] if line[:1] in ("+", " ")]
        installed_lines = (PATCHED / name).read_text(encoding="utf-8").splitlines()
        # the hunk ends three context lines after the last change; what follows is upstream's, unchanged
        assert installed_lines[: len(added)] == added, f"{PATCHED / name} is not what the patch writes"


@pytest.fixture(scope="module")
def built(installed: None, tiny_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The site built by the dashboards job from a copy of the tiny warehouse."""
    data_dir = tmp_path_factory.mktemp("dashboards")
    warehouse = data_dir / "warehouse.duckdb"
    shutil.copyfile(tiny_warehouse.warehouse_path, warehouse)
    settings = settings_for(
        data_dir, EMPORIUM_WAREHOUSE_PATH=str(warehouse), EMPORIUM_LANDING_DIR=str(tiny_warehouse.landing_dir)
    )
    started = time.perf_counter()
    outcome = build_dashboards(settings)
    assert outcome.success, outcome.render()
    assert set(outcome.materialized) == {"dashboards/gold_copy", "dashboards/site"}
    print(f"dashboards job: {time.perf_counter() - started:.1f} s")
    return settings


@pytest.fixture(scope="module")
def served(built: Settings) -> Iterator[str]:
    """`emporium dashboards serve` on a free port of 127.0.0.1; yields its base URL."""
    with serve_site(built.data_dir) as base:
        yield base


@pytest.fixture(scope="module")
def visits(served: str, built: Settings) -> dict[str, PageVisit]:
    """Every page opened in headless Chromium; screenshots in the build's folder."""
    shots = built.dashboards_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    browser = Browser(ensure_chromium())
    try:
        return {
            page: browser.visit(served + page, shots / f"{page.strip('/') or 'index'}.png")
            for page in site.pages()
        }
    finally:
        browser.close()


def _gold(settings: Settings, sql: str) -> tuple:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchone()


def test_every_page_renders_without_errors(visits: dict[str, PageVisit]) -> None:
    assert set(visits) >= set(PAGES)
    for page, visit in visits.items():
        assert not visit.console_errors, f"{page}: console errors {visit.console_errors}"
        assert not visit.foreign_requests, f"{page}: fetched from another host: {visit.foreign_requests}"
        shown = [text for text in ERROR_TEXTS if text in visit.state["text"]]
        assert not shown, f"{page} shows an error: {shown}"
        empty = [text for text in EMPTY_TEXTS.get(page, ()) if text in visit.state["text"]]
        assert visit.state["charts"] + visit.state["tables"] > 0 or empty, f"{page}: no chart, table or note"
        assert visit.screenshot is not None and visit.screenshot.stat().st_size > 20_000, (
            f"{page}: blank shot"
        )


def test_charts_and_tables_are_drawn(visits: dict[str, PageVisit]) -> None:
    for page in (*PAGES[:7], "/monitoring/"):
        state = visits[page].state
        assert state["charts"] >= 1 and state["chart_canvases"] >= 1, f"{page}: no chart drawn: {state}"
    for page in ("/sales/", "/cohorts/", "/rfm/", "/products/", "/funnel/", "/data-quality/", "/monitoring/"):
        assert visits[page].state["table_rows"] > 1, f"{page}: no table rows"


def test_the_overview_shows_gold_net_revenue(visits: dict[str, PageVisit], built: Settings) -> None:
    net_revenue, orders = _gold(built, "select sum(net_revenue), sum(orders) from gold.mart_daily_revenue")
    text = visits["/"].state["text"]
    assert f"{net_revenue:,.2f}" in text, f"net revenue {net_revenue:,.2f} not shown on the overview"
    assert f"{orders:,}" in text, f"orders {orders:,} not shown on the overview"


def test_filter_pages_are_built_ahead_of_time(served: str, built: Settings) -> None:
    """The filters: the sales page links one prerendered page per category and per channel, the overview one
    per period; each shows its slice's numbers."""
    code, name, net_revenue = _gold(
        built,
        "select category_code, max(category_name), sum(net_revenue) from gold.mart_sales_daily"
        " group by 1 order by 3 desc limit 1",
    )
    channel, channel_name, channel_revenue = _gold(
        built,
        "select channel_code, max(channel_name), sum(net_revenue) from gold.mart_sales_daily"
        " group by 1 order by 3 desc limit 1",
    )
    (period_revenue,) = _gold(
        built,
        "select sum(net_revenue) from gold.mart_daily_revenue"
        " where revenue_date > (select max(revenue_date) from gold.mart_daily_revenue) - interval 90 day",
    )
    sales = urllib.request.urlopen(f"{served}/sales/", timeout=10).read().decode()
    assert f'href="/sales/{code}/"' in sales, "the sales page does not link the category page"
    assert f'href="/channels/{channel}/"' in sales, "the sales page does not link the channel page"
    overview = urllib.request.urlopen(f"{served}/", timeout=10).read().decode()
    assert 'href="/periods/last-90-days/"' in overview, "the overview does not link the period pages"
    expected = {
        f"/sales/{code}/": (name, net_revenue),
        f"/channels/{channel}/": (channel_name, channel_revenue),
        "/periods/last-90-days/": ("The last 90 days of data", period_revenue),
    }
    shots = built.dashboards_dir / "screenshots"
    browser = Browser(ensure_chromium())
    try:
        visits = {
            page: browser.visit(served + page, shots / f"{page.strip('/').replace('/', '-')}.png")
            for page in expected
        }
    finally:
        browser.close()
    for page, (title, revenue) in expected.items():
        visit = visits[page]
        assert not visit.console_errors, f"{page}: {visit.console_errors}"
        assert title in visit.state["text"], f"{page} does not show {title}"
        assert f"{revenue:,.2f}" in visit.state["text"], f"{page} does not show net revenue {revenue:,.2f}"
        assert visit.state["charts"] >= 1 and visit.state["table_rows"] > 1, f"{page}: {visit.state}"


def test_ml_pages_show_what_gold_holds(visits: dict[str, PageVisit], built: Settings) -> None:
    """Churn risk, model versions, monitoring and experiments: the marts' numbers, or the page's note that
    the mart holds nothing yet (never an error)."""
    churn, monitoring = visits["/churn/"].state["text"], visits["/monitoring/"].state["text"]
    (scored,) = _gold(built, "select count(*) from gold.mart_customer_churn_risk")
    assert (f"{scored:,}" in churn) if scored else ("No churn scores yet" in churn)
    (versions,) = _gold(built, "select count(*) from gold.mart_model_versions")
    assert ("Every registered version" in churn) if versions else ("No model versions yet" in churn)
    (predictions,) = _gold(
        built,
        "select coalesce(max(predictions), 0) from (select sum(predictions) as predictions"
        " from gold.mart_prediction_monitoring_daily group by model_name, model_version, role)",
    )
    assert (f"{predictions:,}" in monitoring) if predictions else ("No predictions logged yet" in monitoring)
    drift = _gold(
        built,
        "select count(distinct report_date), max(threshold) from gold.mart_drift_reports"
        " where column_name = 'device_type'",
    )
    assert drift[0] > 0, "the tiny world's run writes drift reports"
    assert f"{drift[0]:,}" in monitoring and f"{drift[1]:.3f}" in monitoring, f"drift {drift} not shown"
    with duckdb.connect(str(built.warehouse_path), read_only=True) as connection:
        tables = {name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'gold'").fetchall()}  # fmt: skip
    experiments = visits["/experiments/"].state["text"]
    if "mart_experiment_results" in tables:
        (effect,) = _gold(built, "select effect from gold.mart_experiment_results where is_primary limit 1")
        assert f"{effect:+.2%}" in experiments
    else:  # the causal job has not run on this warehouse: the page says so
        assert "No experiment results yet" in experiments


def test_the_other_pages_show_gold_numbers(visits: dict[str, PageVisit], built: Settings) -> None:
    (customers,) = _gold(built, "select count(*) from gold.mart_customer_rfm where rfm_segment = 'champions'")
    assert f"{customers:,}" in visits["/rfm/"].state["text"]
    (quarantined,) = _gold(built, "select sum(quarantined_rows) from gold.mart_data_quality_daily")
    assert f"{quarantined:,}" in visits["/data-quality/"].state["text"]
    (sales,) = _gold(built, "select sum(net_revenue) from gold.mart_sales_daily")
    assert f"{sales:,.2f}" in visits["/sales/"].state["text"]
    (sessions,) = _gold(
        built, "select sum(sessions) from gold.mart_funnel_daily group by device_type order by 1 desc limit 1"
    )
    assert f"{sessions:,}" in visits["/funnel/"].state["text"]
