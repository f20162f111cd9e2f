"""The record of landing files a raw load rejected or accepted with warnings, in schema `quality`.

quality.rejected_files: one row per problem of a rejected file version. A later load of the same landing
day that no longer finds that problem closes the row (resolved_at, resolved_by_run, resolution: `loaded`
when the file at that path loaded, `replaced` when another broken version is there now, `removed` when the
file is gone); a load that finds it again only updates last_seen_run. file_sha256 tells versions apart.
quality.landing_warnings: the benign variants (BOM, CRLF, column order) of the files currently loaded,
replaced per landing day on every load.

Plain SQL with %s parameters, so the same statements run on DuckDB and Postgres.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emporium.engine import engine_of
from ingest.raw_tables import query
from ingest.report import FileIssue

SCHEMA = "quality"
REJECTED = f"{SCHEMA}.rejected_files"
WARNINGS = f"{SCHEMA}.landing_warnings"
_ISSUE_COLUMNS = "run_id text not null, entity text not null, landing_day date, file text not null, line bigint, problem text not null, file_bytes bigint, file_sha256 text"  # noqa: E501
DDL = (
    f"create schema if not exists {SCHEMA}",
    f"create table if not exists {REJECTED} (rejection_id text not null, {_ISSUE_COLUMNS},"
    " rejected_at timestamp not null, last_seen_run text not null,"
    " resolved_at timestamp, resolved_by_run text, resolution text)",
    f"create table if not exists {WARNINGS} ({_ISSUE_COLUMNS}, warned_at timestamp not null)",
)  # `text` is written as the engine's text type


@dataclass(frozen=True)
class FileVersion:
    """A problem together with the identity of the file version it was found in."""

    issue: FileIssue
    size: int | None
    sha256: str | None

    @classmethod
    def of(cls, issue: FileIssue, landing_dir: Path) -> FileVersion:
        path = landing_dir / issue.file
        if not path.is_file():  # an unknown folder, a vanished file
            return cls(issue, None, None)
        data = path.read_bytes()
        return cls(issue, len(data), hashlib.sha256(data).hexdigest())

    def key(self) -> tuple[str, str | None, int | None, str]:
        return (self.issue.file, self.sha256, self.issue.line, self.issue.problem)


def ensure_tables(connection: Any) -> None:
    text_type = engine_of(connection).text_type
    for statement in DDL:
        query(connection, re.sub(r"\btext\b", text_type, statement))


def _in_scope(days: Collection[dt.date] | None) -> str:
    """Rows a load of `days` speaks for: those days, and problems outside any partition (always)."""
    if days is None:
        return "1 = 1"
    listed = ", ".join(f"'{day.isoformat()}'" for day in sorted(days))  # dates: safe to inline
    return f"(landing_day is null or landing_day in ({listed}))" if listed else "landing_day is null"


def record_rejections(
    connection: Any,
    run_id: str,
    days: Collection[dt.date] | None,
    rejected: Sequence[FileVersion],
    loaded: Collection[str],
    now: dt.datetime,
) -> list[str]:
    """Insert new rejections, touch the ones seen again, close the ones gone; returns the files closed."""
    open_rows = query(
        connection,
        f"select rejection_id, file, file_sha256, line, problem from {REJECTED}"
        f" where resolved_at is null and {_in_scope(days)}",
    )
    open_ids = {(file, sha, line, problem): rid for rid, file, sha, line, problem in open_rows}
    for version in rejected:
        issue = version.issue
        if version.key() in open_ids:
            key = ("rejection_id", open_ids[version.key()])
            engine_of(connection).update_row(connection, REJECTED, key, {"last_seen_run": run_id})
            continue
        query(
            connection,
            f"insert into {REJECTED} (rejection_id, run_id, entity, landing_day, file, line, problem,"
            " file_bytes, file_sha256, rejected_at, last_seen_run)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (uuid.uuid4().hex, run_id, issue.entity, issue.landing_day, issue.file, issue.line, issue.problem,
             version.size, version.sha256, now, run_id),
        )  # fmt: skip
    still_rejected = {version.key() for version in rejected}
    rejected_files = {version.issue.file for version in rejected}
    closed = []
    for key, rejection_id in open_ids.items():
        if key in still_rejected:
            continue
        file = key[0]
        resolution = "loaded" if file in loaded else "replaced" if file in rejected_files else "removed"
        values = {"resolved_at": now, "resolved_by_run": run_id, "resolution": resolution}
        engine_of(connection).update_row(connection, REJECTED, ("rejection_id", rejection_id), values)
        closed.append(file)
    return sorted(set(closed))


def record_warnings(
    connection: Any,
    run_id: str,
    days: Collection[dt.date] | None,
    warnings: Sequence[FileVersion],
    now: dt.datetime,
) -> None:
    engine_of(connection).delete_where(connection, WARNINGS, _in_scope(days))
    for version in warnings:
        issue = version.issue
        query(
            connection,
            f"insert into {WARNINGS} (run_id, entity, landing_day, file, line, problem, file_bytes, file_sha256,"
            " warned_at) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (run_id, issue.entity, issue.landing_day, issue.file, issue.line, issue.problem, version.size,
             version.sha256, now),
        )  # fmt: skip


def open_rejections(connection: Any) -> list[FileIssue]:
    """Problems of rejected files no later load has resolved (empty when nothing was ever recorded)."""
    if "rejected_files" not in engine_of(connection).tables(connection, SCHEMA):
        return []
    rows = query(
        connection,
        f"select entity, landing_day, file, line, problem from {REJECTED} where resolved_at is null",
    )
    return sorted(
        FileIssue(e, _date(day), f, None if line is None else int(line), p) for e, day, f, line, p in rows
    )


def _date(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(str(value)[:10])
