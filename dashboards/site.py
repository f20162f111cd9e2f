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
import socketserver
import subprocess
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from emporium.config import Settings
from emporium.engine import engine_for

PROJECT = Path(__file__).resolve().parent
SOURCE = "gold"  # the Evidence source name = the warehouse schema it reads
# not gold.duckdb: DuckDB names the catalog after the file, and `gold.<table>` would be ambiguous
COPY_NAME = "gold_copy.duckdb"
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
    warehouse); returns the copy's path (unused when the engine's readers query the server)."""
    copy = settings.dashboards_dir / COPY_NAME
    engine_for(settings).copy_for_readers(SOURCE, source_tables(), copy)
    return copy


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
        seconds[step] = time.perf_counter() - started
    site = settings.dashboards_dir / "site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.move(work / "build", site)
    _prerendered_only(site)
    return SiteBuild(site_dir=site, pages=pages(), seconds=seconds)


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
    with socketserver.ThreadingTCPServer(("127.0.0.1", port), handler) as server:
        server.serve_forever()
