"""Materialise the asset graph in this process, recorded in the Dagster instance (DAGSTER_HOME): what
`emporium run` does, and what the tests and benchmarks drive. The UI, sensor and schedule launch the same
assets through the daemon instead."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from emporium.config import Settings, settings_env
from orchestration.instance import NO_RETRY_TAGS, get_instance, recover_dead_runs, run_tags
from orchestration.partitions import range_tags, register_days


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    window: tuple[dt.date, dt.date] | None
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[tuple[str, str, str]] = field(default_factory=list)  # asset, check, severity
    materialized: list[str] = field(default_factory=list)
    not_materialized: list[str] = field(default_factory=list)  # selected, but stopped upstream

    def render(self) -> str:
        span = (
            "all landing days" if self.window is None else f"landing days {self.window[0]}..{self.window[1]}"
        )
        lines = [
            f"Dagster run {self.run_id} ({span}): {'SUCCESS' if self.success else 'FAILURE'}, "
            f"{len(self.materialized)} assets materialised"
        ]
        if self.failed_steps:
            lines.append("failed steps: " + ", ".join(self.failed_steps))
        for asset, check, severity in self.failed_checks:
            lines.append(f"failed check [{severity}] {asset}: {check}")
        if self.not_materialized:
            lines.append(f"not materialised (stopped upstream): {len(self.not_materialized)} assets, e.g. "
                         + ", ".join(self.not_materialized[:5]))  # fmt: skip
        return "\n".join(lines)


def landing_days_present(settings: Settings) -> list[dt.date]:
    from ingest.raw_load import landing_days

    return landing_days(settings.landing_dir)


def generate(settings: Settings, *, scale: float, days: int, seed: int) -> RunOutcome:
    """A run of the generator's assets (landing/*): a fresh world, its days registered as partitions."""
    from orchestration.definitions import build_definitions

    definitions = build_definitions(settings_env(settings))
    config = {"ops": {"generate_landing": {"config": {"scale": scale, "days": days, "seed": seed}}}}
    return _execute(settings, definitions, ["landing"], None, run_config=config)


def materialize_warehouse(
    settings: Settings,
    *,
    window: tuple[dt.date, dt.date] | None = None,
    full_refresh: bool = False,
    extra_tags: dict[str, str] | None = None,
) -> RunOutcome:
    """One run of every asset downstream of the landing files for the landing days `window` (default:
    every day that has landed, registered as partitions first)."""
    from orchestration.definitions import build_definitions

    instance = get_instance(settings)
    days = landing_days_present(settings)
    if not days:
        raise ValueError(f"{settings.landing_dir}: no landing partitions (date=YYYY-MM-DD) to build")
    register_days(instance, days)
    span = window or (days[0], days[-1])
    tags = {**range_tags(*span, full_refresh=full_refresh), **(extra_tags or {})}
    definitions = build_definitions(settings_env(settings))
    return _execute(settings, definitions, None, None if window is None else window, tags=tags)


def train_models(settings: Settings) -> RunOutcome:
    """One run of the training job's assets (orchestration/ml.py): train, register, approve both models."""
    from orchestration.definitions import build_definitions
    from orchestration.ml import TRAINING

    return _execute(settings, build_definitions(settings_env(settings)), None, None, selection=TRAINING)


def score_models(settings: Settings) -> RunOutcome:
    """One run of batch scoring and the dbt models over its tables (gold_after_python)."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.ml import CHURN_PREDICTIONS, MODEL_VERSIONS, RECOMMENDATIONS

    selection = dg.AssetSelection.assets(CHURN_PREDICTIONS, RECOMMENDATIONS, MODEL_VERSIONS).downstream()
    selection -= dg.AssetSelection.groups("dashboards")  # the site builds in its own job
    return _execute(settings, build_definitions(settings_env(settings)), None, None, selection=selection)


def estimate_effects(settings: Settings) -> RunOutcome:
    """One run of the job causal_estimates' assets (orchestration/causal.py): the estimates, the report and
    gold.mart_experiment_results after them."""
    from orchestration.causal import CAUSAL
    from orchestration.definitions import build_definitions

    return _execute(settings, build_definitions(settings_env(settings)), None, None, selection=CAUSAL)


def build_dashboards(settings: Settings) -> RunOutcome:
    """One run of the dashboards job's assets (orchestration/dashboards.py): copy gold, build the site."""
    from orchestration.dashboards import GROUP
    from orchestration.definitions import build_definitions

    return _execute(settings, build_definitions(settings_env(settings)), [GROUP], None)


def _execute(
    settings: Settings,
    definitions: Any,
    groups: list[str] | None,
    window: tuple[dt.date, dt.date] | None,
    *,
    selection: Any = None,
    tags: dict[str, str] | None = None,
    run_config: dict[str, Any] | None = None,
) -> RunOutcome:
    import dagster as dg

    from orchestration.automation import WAREHOUSE

    instance = get_instance(settings)
    for run_id in recover_dead_runs(instance):
        print(
            f"run {run_id} had died (its process is gone): marked failed, its warehouse slot freed",
            flush=True,
        )
    if selection is None:
        selection = dg.AssetSelection.groups(*groups) if groups else WAREHOUSE
    graph = definitions.resolve_asset_graph()
    keys = sorted(selection.resolve(graph))
    job = definitions.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        asset_selection=keys,
        tags={**NO_RETRY_TAGS, **(tags or {}), **run_tags()},
        run_config=run_config or {},
        raise_on_error=False,
    )
    return _outcome(result, keys, window)


def _outcome(result: Any, keys: list[Any], window: tuple[dt.date, dt.date] | None) -> RunOutcome:
    outcome = RunOutcome(result.run_id, result.success, window)
    materialized = set()
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            outcome.failed_steps.append(event.step_key)
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            materialized.add(event.asset_key.to_user_string())
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                outcome.failed_checks.append(
                    (evaluation.asset_key.to_user_string(), evaluation.check_name, evaluation.severity.value)
                )
    outcome.materialized = sorted(materialized)
    outcome.not_materialized = sorted(
        k.to_user_string() for k in keys if k.to_user_string() not in materialized
    )
    return outcome
