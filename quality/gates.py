"""Great Expectations gates between the warehouse layers.

    from quality.gates import run_gate
    result = run_gate(settings, "silver", run_id)   # layer: bronze | silver | gold
    print(result.render()); if not result.passed: stop the pipeline

One run builds an ephemeral GX context (analytics off), a SQL datasource on the configured warehouse
(DuckDB read-only or Postgres), one query asset + validation definition per table of the layer's suites
(quality/suites), and ONE checkpoint (result_format SUMMARY) whose UpdateDataDocsAction writes the HTML to
settings.data_dir/gx/uncommitted/data_docs/local_site/index.html. The silver gate also runs the row
accounting (quality/accounting.py). Every outcome is appended to quality.gate_results in the warehouse.
The warehouse is open only while gating: the GX engine is disposed before the results are written.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from emporium.config import Settings
from emporium.engine import engine_for
from quality import gx_duckdb
from quality.results import ExpectationOutcome, GateResult, write_results
from quality.suites import LAYERS, SuiteParams, TableSuite, severity_of, suites_for

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def gx_dir(settings: Settings) -> Path:
    return settings.data_dir / "gx"


def data_docs_index(settings: Settings) -> Path:
    return gx_dir(settings) / "uncommitted" / "data_docs" / "local_site" / "index.html"


def run_gate(settings: Settings, layer: str, run_id: str, *, params: SuiteParams | None = None) -> GateResult:
    """Validate one layer; `.passed` is False iff an error-severity expectation failed."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}: expected one of {', '.join(LAYERS)}")
    started = time.perf_counter()
    params = params if params is not None else SuiteParams.from_landing(settings.landing_dir)
    result = GateResult(layer=layer, run_id=run_id)
    if layer == "silver":
        result.outcomes.extend(_accounting_outcomes(settings))
    result.outcomes.extend(_validate(settings, layer, suites_for(layer, params), run_id))
    result.data_docs = str(data_docs_index(settings))
    result.seconds = time.perf_counter() - started
    write_results(settings, result)
    return result


def _accounting_outcomes(settings: Settings) -> list[ExpectationOutcome]:
    from quality.accounting import account

    return [
        ExpectationOutcome(
            suite=f"accounting.{a.entity}",
            expectation="row_accounting",
            column=None,
            severity="error",
            success=a.balanced,
            observed=a.describe(),
            rows_failed=None if a.balanced else abs(a.difference),
            description="raw rows = silver rows + duplicates collapsed + quarantined rows",
        )
        for a in account(settings)
    ]


def _context(settings: Settings) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    docs_dir = data_docs_index(settings).parent
    docs_dir.mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={
            "local_site": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _validate(
    settings: Settings, layer: str, tables: list[TableSuite], run_id: str
) -> list[ExpectationOutcome]:
    gx_duckdb.apply()  # before any GX engine exists
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = _context(settings)
    engine = engine_for(settings)
    datasource = context.data_sources.add_sql(
        name=f"warehouse_{layer}",
        connection_string=engine.sqlalchemy_url(),
        kwargs=engine.sqlalchemy_kwargs(),
    )
    definitions = []
    for table in tables:
        asset = datasource.add_query_asset(name=table.relation, query=table.query)
        suite = context.suites.add(table.suite())
        definition = gx.ValidationDefinition(
            name=table.relation, data=asset.add_batch_definition_whole_table("all"), suite=suite
        )
        definitions.append(context.validation_definitions.add(definition))
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{layer}_gate",
            validation_definitions=definitions,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "SUMMARY"},
        )
    )
    try:
        run = checkpoint.run(run_id=RunIdentifier(run_name=f"{run_id}-{layer}"))
    finally:
        _dispose(datasource)
    outcomes = []
    for validation in run.run_results.values():
        relation = (
            validation.meta.get("active_batch_definition", {}).get("data_asset_name") or validation.suite_name
        )
        outcomes.extend(_outcome(relation, er) for er in validation.results)
    return outcomes


def _dispose(datasource: Any) -> None:
    """Close every connection GX opened on the warehouse, so no process keeps the DuckDB file open.

    GX holds two engines: the datasource's own (column reflection of query assets) and the execution
    engine's, whose persisted connection (gx_duckdb) is never closed by GX itself.
    """
    import gc

    import sqlalchemy
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    engines = [datasource.get_execution_engine()]
    # Other copies of the datasource (the context keeps its own) may have built engines too.
    engines += [o for o in gc.get_objects() if isinstance(o, SqlAlchemyExecutionEngine) and o not in engines]
    url = datasource.get_execution_engine().engine.url
    for engine in engines:
        connection = getattr(engine, "_connection", None)
        if connection is not None and engine.engine.url == url:
            connection.close()
            engine._connection = None
    for sa_engine in [o for o in gc.get_objects() if isinstance(o, sqlalchemy.Engine)]:
        if sa_engine.url == url:
            sa_engine.dispose()


def _outcome(relation: str, er: Any) -> ExpectationOutcome:
    config = er.expectation_config
    kwargs = config.kwargs
    result = er.result or {}
    column = kwargs.get("column") or (",".join(kwargs["column_list"]) if kwargs.get("column_list") else None)
    column = column or (config.meta or {}).get("column")
    rows_failed = result.get("unexpected_count")
    if config.type == "unexpected_rows_expectation":
        rows_failed = result.get("observed_value")
    exception = (er.exception_info or {}) if isinstance(er.exception_info, dict) else {}
    errors = [v.get("exception_message") for v in exception.values() if isinstance(v, dict)]
    if exception.get("raised_exception") or errors:
        observed = "exception: " + (exception.get("exception_message") or next(filter(None, errors), "?"))
    elif "observed_value" in result:
        observed = str(result["observed_value"])
        if config.type == "unexpected_rows_expectation":
            observed = f"{observed} unexpected row(s)"
    elif rows_failed is not None:
        sample = result.get("partial_unexpected_list") or []
        observed = f"{rows_failed} of {result.get('element_count')} rows unexpected"
        observed += f", e.g. {sample[:5]}" if sample else ""
    else:
        observed = ""
    return ExpectationOutcome(
        suite=relation,
        expectation=config.type,
        column=column,
        severity=severity_of(config.meta),
        success=bool(er.success),
        observed=observed,
        rows_failed=int(rows_failed) if isinstance(rows_failed, int) else None,
        description=config.description,
    )
