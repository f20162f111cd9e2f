"""Great Expectations gates between the warehouse layers.

    from quality.gates import Gatekeeper, gate_checks
    gate_checks("silver")                    # static GateChecks: declare them before any data exists
    keeper = Gatekeeper(settings)             # one GX context (seconds to load) for the gates it runs
    result = keeper.run_gate("silver", run_id)  # after the layer is built; layer: bronze | silver | gold
    result.outcomes_by_check()[("silver.orders", "row_accounting")]  # the outcomes of one declared check
    if not result.passed: stop the pipeline

`run_gate(settings, layer, run_id)` does the same with a Gatekeeper of its own: what the Dagster gates do
(orchestration/quality.py), so a run of the whole graph builds three GX contexts, one per gated layer, each
in the step that gates it. Each gate yields exactly one
outcome per declared check: row accounting from quality/accounting.py, every other check as one GX
UnexpectedRowsExpectation (its SQL selects the unexpected rows) on a query asset of its relation, all of a
layer in one checkpoint (result_format COMPLETE: failing rows are kept as examples). Validation results
live under settings.data_dir/gx/uncommitted/validations (the latest per relation, so every layer shows
whichever process gated it), and the Data Docs HTML is rebuilt once per gate at
settings.data_dir/gx/uncommitted/data_docs/local_site/index.html. Every outcome is appended to
quality.gate_results. The warehouse is open only while gating: GX's connections are closed before the
results are written, so dbt can write between the gates.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from emporium.config import Settings
from emporium.engine import engine_for
from quality.gx_sources import source_for
from quality.results import ExpectationOutcome, GateResult, write_results
from quality.suites import ACCOUNTING, LAYERS, GateCheck, SuiteParams, gate_checks
from quality.suites.dbt_docs import model_docs

__all__ = ["GateCheck", "Gatekeeper", "SuiteParams", "data_docs_index", "gate_checks", "run_gate"]

_EXAMPLES = 3  # failing rows quoted in an outcome's observed value


def gx_dir(settings: Settings) -> Path:
    return settings.data_dir / "gx"


def data_docs_index(settings: Settings) -> Path:
    return gx_dir(settings) / "uncommitted" / "data_docs" / "local_site" / "index.html"


def run_gate(settings: Settings, layer: str, run_id: str, *, params: SuiteParams | None = None) -> GateResult:
    """Validate one layer with a Gatekeeper of its own (a run gating several layers should share one)."""
    return Gatekeeper(settings).run_gate(layer, run_id, params=params)


class Gatekeeper:
    """Holds one GX context for a run; `run_gate` validates a layer, writes its results and Data Docs."""

    def __init__(self, settings: Settings) -> None:
        from quality import gx_duckdb

        gx_duckdb.apply()  # before any GX engine exists
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        self.settings = settings
        self._docs = model_docs()  # parsed once per run, not per layer
        self._context = _context(settings)

    def run_gate(self, layer: str, run_id: str, *, params: SuiteParams | None = None) -> GateResult:
        """Validate one layer; `.passed` is False iff an error-severity check failed."""
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r}: expected one of {', '.join(LAYERS)}")
        started = time.perf_counter()
        params = params if params is not None else SuiteParams.from_landing(self.settings.landing_dir)
        checks = gate_checks(layer, self._docs)
        found: dict[tuple[str, str], ExpectationOutcome] = {}
        if accounting := [c for c in checks if c.kind == ACCOUNTING]:
            found |= _accounting_outcomes(self.settings, accounting)
        queries = {c: c.query(params) for c in checks if c.sql is not None}
        found |= {
            (c.relation, c.name): _outcome(
                c, True, f"not evaluated: no landing days in {self.settings.landing_dir}"
            )
            for c, sql in queries.items()
            if sql is None
        }
        found |= self._validate(layer, run_id, {c: sql for c, sql in queries.items() if sql is not None})
        outcomes = [
            found.get((c.relation, c.name)) or _outcome(c, False, "no result: the check did not run")
            for c in checks
        ]
        result = GateResult(layer=layer, run_id=run_id, outcomes=outcomes)
        result.data_docs = str(data_docs_index(self.settings))
        result.seconds = time.perf_counter() - started
        write_results(self.settings, result)
        return result

    def _validate(
        self, layer: str, run_id: str, queries: dict[GateCheck, str]
    ) -> dict[tuple[str, str], ExpectationOutcome]:
        if not queries:
            return {}
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier

        engine = engine_for(self.settings)
        source = source_for(engine)
        by_relation: dict[str, list[Any]] = {}
        for check, sql in queries.items():
            expectation = gx.expectations.UnexpectedRowsExpectation(
                unexpected_rows_query=source.query(sql),
                description=check.description,
                meta={"relation": check.relation, "check": check.name, "severity": check.severity},
            )
            by_relation.setdefault(check.relation, []).append(expectation)
        context = self._context
        name = f"warehouse_{layer}"
        # Everything this gate adds to the context goes again afterwards: the next gate (of any layer, with
        # any checks) starts from a clean context.
        runs = source.add(context, name, list(by_relation))
        created: list[tuple[Any, str]] = [(context.data_sources, name)]
        results: dict[Any, Any] = {}
        try:
            for index, checkpoint_run in enumerate(runs):
                definitions = []
                for relation, batch in checkpoint_run.batches.items():
                    suite = context.suites.add(
                        gx.ExpectationSuite(name=relation, expectations=by_relation[relation])
                    )
                    created.append((context.suites, relation))
                    definition = gx.ValidationDefinition(name=relation, data=batch, suite=suite)
                    definitions.append(context.validation_definitions.add(definition))
                    created.append((context.validation_definitions, relation))
                checkpoint_name = name if len(runs) == 1 else f"{name}_{index}"
                checkpoint = context.checkpoints.add(
                    gx.Checkpoint(
                        name=checkpoint_name,
                        validation_definitions=definitions,
                        result_format={"result_format": "COMPLETE"},
                    )
                )
                created.append((context.checkpoints, checkpoint_name))
                run = checkpoint.run(
                    batch_parameters=checkpoint_run.parameters,
                    run_id=RunIdentifier(run_name=f"{run_id}-{layer}"),
                )
                results |= run.run_results
        finally:
            source.release()
            for factory, object_name in reversed(created):
                factory.delete(object_name)
        checks = {(c.relation, c.name): c for c in queries}
        outcomes = {}
        for validation in results.values():
            for er in validation.results:
                key = (er.expectation_config.meta["relation"], er.expectation_config.meta["check"])
                outcomes[key] = _gx_outcome(checks[key], er)
        self._update_data_docs(layer, list(results))
        return outcomes

    def _update_data_docs(self, layer: str, identifiers: list[Any]) -> None:
        """Keep only this gate's results for the layer's relations, and render them (one build per gate)."""
        store = self._context.validation_results_store
        for key in store.list_keys():
            if key.expectation_suite_identifier.name.startswith(f"{layer}.") and key not in identifiers:
                store.remove_key(key)
        self._context.build_data_docs(site_names=["local_site"], resource_identifiers=identifiers)


def _context(settings: Settings) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    docs_dir = data_docs_index(settings).parent
    docs_dir.mkdir(parents=True, exist_ok=True)
    stores = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    # Results on disk: a gate in another process (one per orchestrated step) still sees the other layers'.
    stores.stores[stores.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(gx_dir(settings) / "uncommitted" / "validations"),
        },
    }
    config = DataContextConfig(
        store_backend_defaults=stores,
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
                # Validation pages list every expectation with its result; suite pages would repeat them.
                "site_section_builders": {"expectations": "None", "profiling": "None"},
            }
        },
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _accounting_outcomes(
    settings: Settings, checks: list[GateCheck]
) -> dict[tuple[str, str], ExpectationOutcome]:
    from quality.accounting import account

    by_relation = {c.relation: c for c in checks}
    outcomes = {}
    for a in account(settings):
        check = by_relation[f"silver.{a.entity}"]
        rows_failed = None if a.balanced else abs(a.difference)
        outcomes[(check.relation, check.name)] = _outcome(check, a.balanced, a.describe(), rows_failed)
    return outcomes


def _outcome(
    check: GateCheck, success: bool, observed: str, rows_failed: int | None = None
) -> ExpectationOutcome:
    return ExpectationOutcome(
        relation=check.relation,
        check_name=check.name,
        expectation=check.name if check.kind == ACCOUNTING else "unexpected_rows_expectation",
        column=",".join(check.columns) or None,
        severity=check.severity,
        success=success,
        observed=observed,
        rows_failed=rows_failed,
        description=check.description,
    )


def _gx_outcome(check: GateCheck, er: Any) -> ExpectationOutcome:
    result = er.result or {}
    exception = er.exception_info if isinstance(er.exception_info, dict) else {}
    errors = [v.get("exception_message") for v in exception.values() if isinstance(v, dict)]
    if exception.get("raised_exception") or any(errors):
        message = exception.get("exception_message") or next(filter(None, errors), "?")
        return _outcome(check, False, f"exception: {message}")
    count = result.get("observed_value")
    rows = (result.get("details") or {}).get("unexpected_rows") or []
    observed = f"{count} unexpected row(s)"
    if rows:
        observed += ", e.g. " + "; ".join(_row(r) for r in rows[:_EXAMPLES])
    return _outcome(check, bool(er.success), observed, count if isinstance(count, int) else None)


def _row(row: dict[str, Any]) -> str:
    return ", ".join(f"{column}={value}" for column, value in row.items())
