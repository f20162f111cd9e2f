"""Build and serve the Evidence site.

The Evidence project lives in this folder (package.json and its lock, pages/, sources/gold/*.sql: one query
per gold mart a page reads). A build works in `settings.dashboards_dir`: a copy of the gold tables the
sources read (DuckDB: its own file, so the build never opens the pipeline's warehouse; Postgres: the
server's gold schema), a copy of the project with the connection written for the target, `evidence
sources` (the marts into Parquet) and `evidence build` (static pages, queries prerendered) -> site/.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socketserver
import subprocess
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import yaml

from emporium.config import PROJECT_ROOT, Settings
from emporium.engine import connect, engine_for, list_tables

PROJECT = Path(__file__).resolve().parent
SOURCE = "gold"  # the Evidence source name = the warehouse schema it reads
# not gold.duckdb: DuckDB names the catalog after the file, and `gold.<table>` would be ambiguous
COPY_NAME = "gold_copy.duckdb"
# the source marts the warehouse does not hold yet (written by copy_gold, read by prepare_project)
MISSING_NAME = "gold_missing.json"
# the gold models' contracts: the column types of a mart that is not built yet
GOLD_MODELS = PROJECT_ROOT / "models" / "gold" / "_gold__models.yml"
# what an Evidence run needs of the project (node_modules is linked, not copied)
PROJECT_FILES = ("package.json", "evidence.config.yaml", "evidence.settings.json", "pages", "sources")
NPM_TIMEOUT_S = 900
EVIDENCE_TIMEOUT_S = 900


class SiteBuildError(RuntimeError):
    """An npm or Evidence command failed; the message names the command and ends with its output."""


@dataclass(frozen=True)
class SiteBuild:
    site_dir: Path
    pages: tuple[str, ...]
    seconds: dict[str, float]  # copy, sources, build


def source_tables() -> tuple[str, ...]:
    """The gold marts the site reads: one source query per mart, named after it."""
    return tuple(sorted(path.stem for path in (PROJECT / "sources" / SOURCE).glob("*.sql")))


def page_files() -> dict[Path, str]:
    """pages/*.md -> URL path: index.md is `/`, sales/index.md `/sales/`; a templated page
    (sales/[category].md, built for every value a page links to) -> its folder's URL."""
    root = PROJECT / "pages"
    found = {}
    for path in sorted(root.rglob("*.md")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "index" or parts[-1].startswith("["):
            parts = parts[:-1]
        found[path] = "/" + "".join(f"{part}/" for part in parts)
    return found


def pages() -> tuple[str, ...]:
    """URL paths of the site's pages (not counting the pages a template builds per value)."""
    return tuple(sorted(url for path, url in page_files().items() if not path.name.startswith("[")))


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: int) -> None:
    try:
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise SiteBuildError(f"`{' '.join(command)}` in {cwd} took over {timeout} s") from error
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-6000:]
        raise SiteBuildError(f"`{' '.join(command)}` in {cwd} failed ({result.returncode}):\n{output}")


def _node_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # telemetry is off through evidence.settings.json (Evidence ignores the variable when the file exists)
    return {**os.environ, "DO_NOT_TRACK": "1", "NODE_OPTIONS": "--max-old-space-size=2048", **(extra or {})}


def install() -> bool:
    """`npm install` from the committed lock (patches applied at postinstall) unless node_modules already
    matches it; True when it ran. (`npm ci` fails: the lock names other platforms' DuckDB bindings.)"""
    stamp = PROJECT / "node_modules" / ".emporium-installed"
    inputs = [PROJECT / "package.json", PROJECT / "package-lock.json", *(PROJECT / "patches").glob("*.patch")]
    if stamp.exists() and stamp.stat().st_mtime >= max(p.stat().st_mtime for p in inputs):
        return False
    _run(["npm", "install", "--no-audit", "--no-fund"], PROJECT, _node_env(), NPM_TIMEOUT_S)
    stamp.touch()
    return True


def copy_gold(settings: Settings) -> Path:
    """The gold tables the site reads, copied where the build may read them (the caller holds the
    warehouse); returns the copy's path (unused when the engine's readers query the server). A mart its job
    has not built yet (e.g. the experiments' before the first causal run) is recorded as missing: its
    pages then say that there is nothing yet."""
    with connect(settings) as connection:
        present = set(list_tables(connection, SOURCE))
    tables = [table for table in source_tables() if table in present]
    copy = settings.dashboards_dir / COPY_NAME
    engine_for(settings).copy_for_readers(SOURCE, tables, copy)
    missing = sorted(set(source_tables()) - present)
    settings.dashboards_dir.mkdir(parents=True, exist_ok=True)  # nothing copied on a server engine
    (settings.dashboards_dir / MISSING_NAME).write_text(json.dumps(missing), encoding="utf-8")
    return copy


def empty_relation(table: str) -> str:
    """A relation with `table`'s contract columns and no rows, for a source whose mart is not built yet."""
    models = yaml.safe_load(GOLD_MODELS.read_text(encoding="utf-8"))["models"]
    model = next((m for m in models if m["name"] == table), None)
    if model is None or not all(column.get("data_type") for column in model.get("columns", [])):
        raise SiteBuildError(f"{GOLD_MODELS}: {table} has no contract with a data_type per column")
    columns = ", ".join(f"cast(null as {c['data_type']}) as {c['name']}" for c in model["columns"])
    return f"(select {columns} where 1 = 0) as {table}"


def prepare_project(settings: Settings, work: Path) -> dict[str, str]:
    """A fresh copy of the project in `work` with the connection for the target; returns the secrets'
    environment (EVIDENCE_SOURCE__gold__<option>)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in PROJECT_FILES:
        src = PROJECT / name
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, work / name)
    (work / "node_modules").symlink_to(PROJECT / "node_modules", target_is_directory=True)
    # relative: Evidence's DuckDB connector joins the source folder and the file name, even an absolute one
    source_dir = work / "sources" / SOURCE
    copy = Path(os.path.relpath(settings.dashboards_dir / COPY_NAME, source_dir))
    connection, secrets = engine_for(settings).evidence_source(copy, SOURCE)
    # JSON is YAML: Evidence reads it as connection.yaml
    (source_dir / "connection.yaml").write_text(json.dumps({"name": SOURCE, **connection}))
    missing_file = settings.dashboards_dir / MISSING_NAME
    for table in json.loads(missing_file.read_text(encoding="utf-8")) if missing_file.exists() else []:
        query = source_dir / f"{table}.sql"
        query.write_text(
            query.read_text(encoding="utf-8").replace(f"{SOURCE}.{table}", empty_relation(table)),
            encoding="utf-8",
        )
    return {f"EVIDENCE_SOURCE__{SOURCE}__{key}": str(value) for key, value in secrets.items()}


def build_site(settings: Settings) -> SiteBuild:
    """Run the Evidence build over the gold copy (copy_gold first) into `settings.dashboards_dir / site`."""
    if not (PROJECT / "node_modules").exists():
        raise SiteBuildError(f"{PROJECT}/node_modules is missing: run `emporium dashboards install`")
    work = settings.dashboards_dir / "project"
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    env = _node_env(prepare_project(settings, work))
    evidence = str(work / "node_modules" / ".bin" / "evidence")
    seconds["prepare"] = time.perf_counter() - started
    for step in ("sources", "build"):
        started = time.perf_counter()
        _run([evidence, step], work, env, EVIDENCE_TIMEOUT_S)
        if step == "sources":
            _write_empty_results(work / ".evidence" / "template")
        seconds[step] = time.perf_counter() - started
    site = settings.dashboards_dir / "site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.move(work / "build", site)
    _prerendered_only(site)
    return SiteBuild(site_dir=site, pages=pages(), seconds=seconds)


# Evidence's column types -> the Parquet types its own build reads them as (universal-sql's build-parquet.js)
PARQUET_TYPES = {"number": "float64", "boolean": "bool", "date": "timestamp[ms]", "string": "string"}


def _write_empty_results(template: Path) -> None:
    """A Parquet file of no rows for every source result `evidence sources` listed but did not write.
    Evidence writes no file for a query that returned no rows (a mart still empty: no champion model yet,
    no prediction logged) yet lists it, and `evidence build` then fails reading it; an empty file with the
    columns of the result's schema lets the pages run and say that there is nothing yet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    manifest = json.loads((template / "static" / "data" / "manifest.json").read_text(encoding="utf-8"))
    for relative in manifest["renderedFiles"].get(SOURCE, []):
        parquet = template / relative
        if parquet.exists():
            continue
        schema = json.loads(parquet.with_suffix("").with_suffix(".schema.json").read_text(encoding="utf-8"))
        fields = [pa.field(c["name"], pa.type_for_alias(PARQUET_TYPES[c["evidenceType"]])) for c in schema]
        pq.write_table(pa.schema(fields).empty_table(), parquet)


def _prerendered_only(site: Path) -> None:
    """Ship the prerendered query results only. In the browser, duckdb-wasm 1.32 fails offline when it
    registers the sources' Parquet files ("table index is out of bounds") and every page would log it; the
    pages' queries are all prerendered at build time (no inputs; per-value pages from templates), so the
    site drops the Parquet files and lists no sources, and the browser loads no data into duckdb-wasm."""
    shutil.rmtree(site / "data" / SOURCE, ignore_errors=True)
    (site / "data" / "manifest.json").write_text(json.dumps({"renderedFiles": {}}), encoding="utf-8")


def serve(site_dir: Path, port: int) -> None:
    """Serve the built site on 127.0.0.1:`port` until interrupted."""
    if not (site_dir / "index.html").exists():
        raise SiteBuildError(f"{site_dir} has no built site: run `emporium dashboards build` first")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir))
    # SIGTERM stops it even when started by a process that ignores SIGTERM (the ignore is inherited: under
    # pytest-xdist the browser test's servers outlived their terminate())
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with socketserver.ThreadingTCPServer(("127.0.0.1", port), handler) as server:
        server.serve_forever()
