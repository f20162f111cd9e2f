"""Dashboard query latency and site build time, on a warehouse `make run` built.

    .venv/bin/python benchmarks/dashboards_benchmark.py [--data-dir data] [--repeat 30]
    .venv/bin/python benchmarks/dashboards_benchmark.py --warehouse /path/to/warehouse.duckdb --work-dir /tmp/x \
        --label "SF 1, 365 days"

--warehouse reads another warehouse (opened read-only; the gold marts are copied out of it, the site is built
in --work-dir/dashboards, never beside that warehouse).

Evidence runs SQL at two levels: each source query (dashboards/sources/gold/*.sql) over the warehouse's gold
schema, once per build, into Parquet; then each page's queries over those results (at build time in Node,
with the patched native DuckDB client; after an input changes, in the browser's duckdb-wasm). This
benchmark times both in native DuckDB 1.5 (Python): the source queries over a copy of gold, and every
page query (a templated page with its biggest value) over the source results
held in memory, `--repeat` times each, p50/p95. Then one site build (copy gold, evidence sources, evidence
build), timed by step. Results go to benchmarks/results/dashboards.md.
"""

import argparse
import json
import os
import platform
import re
import statistics
import time
from pathlib import Path

import duckdb

from dashboards.site import MISSING_NAME, PROJECT, SOURCE, build_site, copy_gold, empty_relation, install
from emporium.config import PROJECT_ROOT, load_settings

RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "dashboards.md"
SQL_BLOCK = re.compile(r"```sql (\w+)\n(.*?)```", re.S)
REFERENCE = re.compile(r"\$\{(\w+)\}")
PARAM = re.compile(r"\$\{params\.(\w+)\}")
# the value a templated page (pages/sales/[category].md, ...) is timed with: the biggest slice
BIGGEST = (
    "select {column} from " + SOURCE + ".mart_sales_daily group by 1 order by sum(net_revenue) desc limit 1"
)
PARAM_VALUES = {
    "category": BIGGEST.format(column="category_code"),
    "channel": BIGGEST.format(column="channel_code"),
    "period": "select 'last-365-days'",
}


def page_queries(page: Path, params: dict[str, str]) -> dict[str, str]:
    """The page's named queries, `${other}` inlined, a templated page's `${params.x}` filled in."""
    raw = {name: sql.strip() for name, sql in SQL_BLOCK.findall(page.read_text(encoding="utf-8"))}

    def resolve(sql: str) -> str:
        sql = PARAM.sub(lambda m: params[m.group(1)], sql)
        return REFERENCE.sub(lambda m: f"({resolve(raw[m.group(1)])})", sql)

    return {name: resolve(sql) for name, sql in raw.items()}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "data")
    parser.add_argument(
        "--warehouse", type=Path, help="the DuckDB warehouse to read (default: the data dir's)"
    )
    parser.add_argument(
        "--work-dir", type=Path, help="where the gold copy and the site go (default: data dir)"
    )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--label", default="SF 0.1, 365 days (make run)")
    args = parser.parse_args()
    env = {**os.environ, "EMPORIUM_DATA_DIR": str((args.work_dir or args.data_dir).resolve())}
    if args.warehouse:
        env["EMPORIUM_WAREHOUSE_PATH"] = str(args.warehouse.resolve())
    elif args.work_dir:
        env["EMPORIUM_WAREHOUSE_PATH"] = str((args.data_dir / "warehouse.duckdb").resolve())
    settings = load_settings(env)
    install()

    started = time.perf_counter()
    copy = copy_gold(settings)
    copy_s = time.perf_counter() - started

    missing = set(json.loads((settings.dashboards_dir / MISSING_NAME).read_text(encoding="utf-8")))
    rows = []
    with duckdb.connect() as connection:
        connection.execute(f"attach '{copy}' as warehouse (read_only)")
        connection.execute(f"create schema {SOURCE}")
        for source_sql in sorted((PROJECT / "sources" / SOURCE).glob("*.sql")):
            sql = source_sql.read_text(encoding="utf-8")
            if source_sql.stem in missing:  # not built in this warehouse: the site reads it empty
                sql = sql.replace(f"{SOURCE}.{source_sql.stem}", empty_relation(source_sql.stem))
            sql = sql.replace(f"from {SOURCE}.", f"from warehouse.{SOURCE}.")
            samples = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                connection.execute(f"select count(*) from ({sql})").fetchall()
                samples.append(time.perf_counter() - began)
            connection.execute(f"create table {SOURCE}.{source_sql.stem} as {sql}")
            (count,) = connection.execute(f"select count(*) from {SOURCE}.{source_sql.stem}").fetchone()
            rows.append(("source", source_sql.stem, count, *percentiles(samples)))
        params = {name: str(connection.execute(sql).fetchone()[0]) for name, sql in PARAM_VALUES.items()}
        for page in sorted((PROJECT / "pages").rglob("*.md")):
            for name, sql in page_queries(page, params).items():
                samples = []
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    result = connection.execute(sql).fetchall()
                    samples.append(time.perf_counter() - began)
                label = page.relative_to(PROJECT / "pages").with_suffix("")
                rows.append((f"page {label}", name, len(result), *percentiles(samples)))

    build = build_site(settings)
    p95s = [row[4] for row in rows]
    lines = [
        "# Dashboards: query latency and site build",
        "",
        f"{args.label}; {platform.node()}, {os.cpu_count()} cores shared with other jobs; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; native DuckDB {duckdb.__version__}, "
        f"{args.repeat} runs per query; warehouse {settings.warehouse_path.name}"
        f"{' (not built: ' + ', '.join(sorted(missing)) + ')' if missing else ''}.",
        "",
        f"Worst p95 of any query: **{max(p95s):.1f} ms** (goal < 50 ms on DuckDB).",
        "",
        "| level | query | rows | p50 ms | p95 ms |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {level} | {name} | {count:,} | {p50:.2f} | {p95:.2f} |"
            for level, name, count, p50, p95 in rows
        ),
        "",
        "Site build (one run): copy gold {:.1f} s, prepare project {:.1f} s, `evidence sources` {:.1f} s, "
        "`evidence build` {:.1f} s; total {:.1f} s.".format(
            copy_s,
            build.seconds["prepare"],
            build.seconds["sources"],
            build.seconds["build"],
            copy_s + sum(build.seconds.values()),
        ),
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
