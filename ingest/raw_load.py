"""The raw load: accepted landing files into schema `raw` of the warehouse, on DuckDB and Postgres alike.

    report = load_raw(settings, days, run_id=run_id)   # days=None: every landing day, tables replaced
    print(report.render()); report.rejected -> the raw/<entity> asset check fails

Every file of the landing days asked for is validated (ingest/validation.py). A broken file is left out and
recorded in quality.rejected_files (file, line, problem) while the rest loads; a benign variant (BOM, CRLF,
columns in another order) loads normalised and is recorded in quality.landing_warnings. Loading a set of
days replaces exactly those days' rows, in one transaction, so loads are idempotent and a re-sent old
partition is rebuilt however old it is. The dbt source `shop` reads raw.<entity> on every engine
(models/bronze/_shop__sources.yml); `load_truth` fills raw_truth for the reconciliation tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from emporium.config import Settings, load_settings
from emporium.contract import ENTITIES, Entity
from emporium.engine import Engine, engine_for
from ingest import duckdb_writer, postgres_writer, spark_writer
from ingest.landing_zone import (
    LandingFile,
    entity_files,
    file_fingerprints,
    fingerprint,
    landing_day_of,
    landing_days,
)
from ingest.normalise import staged_copy
from ingest.raw_tables import RAW_SCHEMA, LoadError, delete_days, prepare_table, raw_columns
from ingest.rejections import FileVersion, ensure_tables, record_rejections, record_warnings
from ingest.report import FileIssue, LoadReport
from ingest.truth import load_truth
from ingest.validation import ERROR, WARN, Problem, validate_landing

__all__ = [
    "FileIssue",
    "LoadError",
    "LoadReport",
    "file_fingerprints",
    "landing_day_of",
    "landing_days",
    "load_raw",
    "load_truth",
]

Writer = Callable[[Any, Entity, Sequence[LandingFile]], int]
# The writers need the landing contract (generator/, ingest/), which emporium/ must not import, so an Engine
# cannot hold its writer: each writer module names the Engine class it loads (`ENGINE`) and the load picks the
# writer by the engine object's class (a subclass inherits its parent's), never by the engine's name.
WRITERS: dict[type[Engine], Writer] = {
    writer.ENGINE: writer.insert_files for writer in (duckdb_writer, postgres_writer, spark_writer)
}


def writer_for(engine: Engine) -> Writer:
    """The raw-file writer of `engine`; a LoadError for an engine without one."""
    for kind in type(engine).__mro__:
        if kind in WRITERS:
            return WRITERS[kind]
    known = ", ".join(kind.name for kind in WRITERS)
    raise LoadError(f"no raw loader for the {engine.name} engine (known: {known})")


def load_raw(settings: Settings, days: Sequence[dt.date] | None, *, run_id: str) -> LoadReport:
    """Validate and load the landing files of `days` (every day when None) into raw.<entity>."""
    started = time.perf_counter()
    landing_dir = settings.landing_dir
    if not landing_dir.is_dir():
        raise LoadError(f"{landing_dir}: landing zone not found")
    scope = None if days is None else frozenset(days)
    engine = engine_for(settings)
    write = writer_for(engine)
    problems = validate_landing(landing_dir, days=scope)
    report = LoadReport(run_id, engine.describe(), None if scope is None else tuple(sorted(scope)))
    rejected = _versions(problems, landing_dir, ERROR)
    warnings = _versions(problems, landing_dir, WARN)
    broken = {p.path for p in problems if p.severity == ERROR}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with (
        tempfile.TemporaryDirectory(prefix="emporium-staging-") as staging,
        engine.connect(read_only=False) as db,
    ):
        engine.begin(db)
        ensure_tables(db)
        loaded: set[str] = set()
        for entity in ENTITIES:
            candidates = entity_files(landing_dir, entity, scope)
            accepted = [file for file in candidates if file.relative not in broken]
            prepare_table(
                db, RAW_SCHEMA, entity.name, raw_columns(entity), replace=scope is None, partition="date"
            )
            if scope is not None:
                delete_days(db, entity.name, scope)
            staged = [staged_copy(file, Path(staging)) for file in accepted]
            report.rows[entity.name] = write(db, entity, staged)
            report.files[entity.name] = len(accepted)
            report.fingerprints |= {file.relative: file.fingerprint for file in candidates}
            loaded |= {file.relative for file in accepted}
        report.resolved = record_rejections(db, run_id, scope, rejected, loaded, now)
        record_warnings(db, run_id, scope, warnings, now)
    report.rejected = [version.issue for version in rejected]
    report.warnings = [version.issue for version in warnings]
    stray = {v.issue.file for v in rejected} - report.fingerprints.keys()  # e.g. a wrong extension
    report.fingerprints |= {f: fingerprint(landing_dir / f) for f in stray if (landing_dir / f).is_file()}
    report.seconds = time.perf_counter() - started
    return report


def _versions(problems: list[Problem], landing_dir: Path, severity: str) -> list[FileVersion]:
    issues = [
        FileIssue(p.entity, p.landing_day, p.path, p.line, p.problem)
        for p in problems
        if p.severity == severity
    ]
    return [FileVersion.of(issue, landing_dir) for issue in issues]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "load",
        help="validate the landing zone and load it into the warehouse's schema raw (broken files left out)",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--days",
        type=_days,
        default=None,
        help="only these landing days, comma-separated YYYY-MM-DD (replaced)",
    )
    scope.add_argument(
        "--since", type=dt.date.fromisoformat, default=None, help="only landing days >= YYYY-MM-DD"
    )
    parser.set_defaults(func=run)


def _days(text: str) -> list[dt.date]:
    return [dt.date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    """Exit 0: everything loaded; 1: files were rejected (the rest loaded) or the load failed."""
    settings = load_settings()
    days = args.days
    if args.since is not None:
        days = [day for day in landing_days(settings.landing_dir) if day >= args.since]
    try:
        report = load_raw(settings, days, run_id=f"cli-{uuid.uuid4().hex[:12]}")
        truth = load_truth(settings)
    except LoadError as error:
        print(f"emporium load: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # connection refused, a locked warehouse and the like: one line, no traceback
        print(f"emporium load: {type(error).__name__}: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    print(report.render(), flush=True)
    if truth:
        print(f"truth: {', '.join(f'{name} {rows:,}' for name, rows in truth.items())} rows into raw_truth")
    return 0 if report.ok else 1
