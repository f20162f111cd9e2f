"""The Great Expectations gates as asset checks: one multi-asset check per layer, declared from the suites
(quality.gates.gate_checks), run once the layer is built. An `error` check is blocking: when it fails, the
next layer's assets do not materialise. A `warn` check is recorded. Every result also lands in
quality.gate_results and the Data Docs, as before.
"""

from collections.abc import Iterator

import dagster as dg

from orchestration.instance import WAREHOUSE_POOL
from orchestration.partitions import window
from orchestration.resources import EmporiumResource
from quality.gates import gate_checks

GATED_LAYERS = ("bronze", "silver", "gold")


def relation_key(relation: str) -> dg.AssetKey:
    """`silver.orders` -> silver/orders: the dbt assets' keys are `<schema>/<name>` too."""
    return dg.AssetKey(relation.split("."))


def _gate(layer: str) -> dg.AssetChecksDefinition:
    checks = gate_checks(layer)
    specs = [
        dg.AssetCheckSpec(
            check.name,
            asset=relation_key(check.relation),
            description=f"[GX {check.severity}] {check.description}",
            blocking=check.severity == "error",
        )
        for check in checks
    ]

    @dg.multi_asset_check(specs=specs, name=f"{layer}_gate", pool=WAREHOUSE_POOL)
    def _check(
        context: dg.AssetCheckExecutionContext, emporium: EmporiumResource
    ) -> Iterator[dg.AssetCheckResult]:
        from quality.gates import SuiteParams, run_gate

        settings = emporium.settings()
        # a backfill of old days is fresh when its own last day is there, not the landing zone's newest
        span = window(context)
        params = SuiteParams.from_landing(settings.landing_dir, loaded_through=span[1] if span else None)
        result = run_gate(settings, layer, context.run.run_id, params=params)
        (context.log.info if result.passed else context.log.error)(result.render())
        by_check = result.outcomes_by_check()
        for check in checks:
            outcomes = by_check.get((check.relation, check.name), [])
            failed = [o for o in outcomes if not o.success]
            yield dg.AssetCheckResult(
                asset_key=relation_key(check.relation),
                check_name=check.name,
                passed=bool(outcomes) and not failed,
                severity=dg.AssetCheckSeverity.ERROR
                if check.severity == "error"
                else dg.AssetCheckSeverity.WARN,
                description=None if outcomes else "the gate produced no result for this check",
                metadata={"observed": "; ".join(o.observed for o in (failed or outcomes))[:2000]},
            )

    return _check


GATES = tuple(_gate(layer) for layer in GATED_LAYERS)
