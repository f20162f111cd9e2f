"""Make Great Expectations 1.24's SQL datasource work on DuckDB (one patch, applied before a context exists).

Upstream bug (great_expectations issues #10738 and #11579): GX reads a metric's result after it has closed
the SQLAlchemy connection, and duckdb-engine's results die with the connection, so every metric comes back
empty (`IndexError` in resolve_metric_bundle). GX already keeps one persistent connection for the dialects in
`_PERSISTED_CONNECTION_DIALECTS`; adding DuckDB there fixes it. That tuple holds `GXSqlDialect` enum members,
compared both as strings (`dialect_name in ...`) and through `.value` (`str.startswith(d.value)`), so we add
a str that also has `.value`. tests/quality/test_gx_duckdb.py fails as soon as GX renames or drops the tuple
or fixes the bug differently; delete this module when a native DuckDB engine (GX PR #12084) ships.
"""

from __future__ import annotations

import os

from great_expectations.execution_engine import sqlalchemy_execution_engine as _engine_module


class _DuckDBDialect(str):
    value = "duckdb"


DUCKDB_DIALECT = _DuckDBDialect("duckdb")


def apply() -> None:
    """Idempotent: register DuckDB as a persisted-connection dialect, and switch GX analytics off."""
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    dialects = _engine_module._PERSISTED_CONNECTION_DIALECTS
    if "duckdb" not in dialects:
        _engine_module._PERSISTED_CONNECTION_DIALECTS = (*dialects, DUCKDB_DIALECT)


def is_applied() -> bool:
    return "duckdb" in getattr(_engine_module, "_PERSISTED_CONNECTION_DIALECTS", ())
