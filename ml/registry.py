"""The MLflow registry with an approval step.

A new version gets the alias `challenger`. It becomes `champion` only when it passes the checks (metric
floor, no leakage, calibration within bounds) and beats the champion on the same holdout by the stated
margin (emporium/config.py MLSettings.promotion_margin); the first passing version becomes champion.
Otherwise it stays challenger and the reason is recorded on the version (tags `approval.*`). A person may
override with `emporium ml promote --version N --reason TEXT`, recorded the same way.

    model = load_model(settings, settings.ml.churn_model)          # models:/emporium_churn@champion
    alias_versions(settings, settings.ml.churn_model)              # {"champion": "3", "challenger": "4"}
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emporium.config import Settings

CHAMPION, CHALLENGER = "champion", "challenger"
ALIASES = (CHAMPION, CHALLENGER)

# No usage data leaves the machine (DO_NOT_TRACK=1 is not the "true" MLflow looks for); set before import.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def client(settings: Settings) -> Any:
    """An MlflowClient on the configured tracking and registry store (set as the process default too)."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(settings.ml.tracking_uri)
    mlflow.set_registry_uri(settings.ml.tracking_uri)
    return MlflowClient(tracking_uri=settings.ml.tracking_uri, registry_uri=settings.ml.tracking_uri)


def experiment_id(settings: Settings) -> str:
    """The project's experiment, created with its artifacts under the data folder (a local store's default
    would be ./mlruns of whichever directory the process runs in)."""
    import mlflow

    client(settings)
    found = mlflow.get_experiment_by_name(settings.ml.experiment)
    if found is not None:
        return str(found.experiment_id)
    settings.ml.artifact_root.mkdir(parents=True, exist_ok=True)
    return str(mlflow.create_experiment(settings.ml.experiment, settings.ml.artifact_root.as_uri()))


def model_uri(name: str, alias: str = CHAMPION) -> str:
    return f"models:/{name}@{alias}"


def alias_versions(settings: Settings, name: str) -> dict[str, str | None]:
    """alias -> the version it points to (None: no such alias, or no such model yet)."""
    from mlflow.exceptions import MlflowException

    mlflow_client = client(settings)
    versions: dict[str, str | None] = {}
    for alias in ALIASES:
        try:
            versions[alias] = str(mlflow_client.get_model_version_by_alias(name, alias).version)
        except MlflowException:
            versions[alias] = None
    return versions


def load_model(settings: Settings, name: str, alias: str = CHAMPION, *, flavor: str = "pyfunc") -> Any:
    """The model `models:/<name>@<alias>`: "sklearn" gives the scikit-learn pipeline itself (churn:
    predict_proba), "pyfunc" the generic MLflow model (churn's predict returns probabilities)."""
    import mlflow

    client(settings)
    module = mlflow.sklearn if flavor == "sklearn" else mlflow.pyfunc
    return module.load_model(model_uri(name, alias))


def version_metrics(settings: Settings, name: str, version: str) -> dict[str, float]:
    """The metrics of the run that logged this version."""
    mlflow_client = client(settings)
    run_id = mlflow_client.get_model_version(name, version).run_id
    return dict(mlflow_client.get_run(run_id).data.metrics)


def decide(
    candidate: float,
    champion: float | None,
    failed_checks: list[str],
    margin: float,
    metric: str,
) -> Decision:
    """The approval rule: checks first, then the margin over the champion on the same holdout."""
    if failed_checks:
        return Decision(False, "failed checks: " + "; ".join(failed_checks))
    if champion is None:
        return Decision(True, f"first version to pass the checks ({metric} {candidate:.4f})")
    if candidate >= champion + margin:
        return Decision(True, f"{metric} {candidate:.4f} beats the champion's {champion:.4f} by >= {margin}")
    return Decision(
        False,
        f"{metric} {candidate:.4f} does not beat the champion's {champion:.4f} on the same holdout by {margin}",
    )


def record(
    settings: Settings, name: str, version: str, decision: Decision, *, by: str = "approval step"
) -> None:
    """Alias the version (challenger always; champion when promoted) and tag the decision on it."""
    mlflow_client = client(settings)
    mlflow_client.set_registered_model_alias(name, CHALLENGER, version)
    tags = {
        "approval.status": "champion" if decision.promote else "challenger",
        "approval.reason": decision.reason,
        "approval.by": by,
        "approval.at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    for key, value in tags.items():
        mlflow_client.set_model_version_tag(name, version, key, value)
    if decision.promote:
        promote(settings, name, version)


def promote(settings: Settings, name: str, version: str) -> None:
    """Point `champion` at `version`; the previous champion's version is tagged as replaced."""
    mlflow_client = client(settings)
    previous = alias_versions(settings, name)[CHAMPION]
    mlflow_client.set_registered_model_alias(name, CHAMPION, version)
    if previous is not None and previous != str(version):
        mlflow_client.set_model_version_tag(name, previous, "approval.replaced_by", str(version))
    if alias_versions(settings, name)[CHALLENGER] == str(version):
        mlflow_client.delete_registered_model_alias(name, CHALLENGER)


def manual_promote(settings: Settings, name: str, version: str, reason: str, by: str) -> None:
    """`emporium ml promote`: the logged override of the approval step."""
    if not reason.strip():
        raise ValueError("a manual promotion needs a reason (--reason TEXT)")
    client(settings).get_model_version(name, version)  # raises for an unknown version
    record(settings, name, version, Decision(True, f"manual override: {reason}"), by=by)


# what BI sees of a version (ml.model_versions, gold.mart_model_versions): its approval record and the
# metrics the approval step compares, none of the model itself
VERSION_METRICS = ("roc_auc", "calibration_error", "recall_lift_over_popularity")


def never_written(settings: Settings) -> bool:
    """A local store that was never written holds no model: answered without importing MLflow (seconds,
    which every warehouse build of a fresh world would pay) or creating the store."""
    uri = settings.ml.tracking_uri
    return uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists()


def version_records(settings: Settings) -> list[dict[str, Any]]:
    """One record per registered version of the project's models: when it was registered, its alias
    (champion, challenger or none), the approval decision tagged on it and its run's metrics."""
    if never_written(settings):
        return []
    mlflow_client = client(settings)
    names = (settings.ml.churn_model, settings.ml.recommender_model)
    recall = f"recall_at_{settings.ml.recommendation_k}"
    records = []
    for name in names:
        aliases = {version: alias for alias, version in alias_versions(settings, name).items() if version}
        for version in mlflow_client.search_model_versions(f"name = '{name}'"):
            metrics = mlflow_client.get_run(version.run_id).data.metrics if version.run_id else {}
            tags = version.tags or {}
            records.append(
                {
                    "model_name": name,
                    "model_version": str(version.version),
                    "registered_at": dt.datetime.fromtimestamp(
                        version.creation_timestamp / 1000, dt.UTC
                    ).replace(tzinfo=None),
                    "alias": aliases.get(str(version.version), "none"),
                    "approval_status": tags.get("approval.status"),
                    "approval_reason": tags.get("approval.reason"),
                    "approval_by": tags.get("approval.by"),
                    "replaced_by": tags.get("approval.replaced_by"),
                    **{metric: metrics.get(metric) for metric in VERSION_METRICS},
                    "recall_at_k": metrics.get(recall),
                    "run_id": version.run_id,
                }
            )
    return records
