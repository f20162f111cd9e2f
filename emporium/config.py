"""The one place that reads configuration: environment variables with local defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PostgresSettings:
    """Where the `postgres` target lives (EMPORIUM_PG_*); the dbt profile reads the same variables."""

    host: str = "127.0.0.1"
    port: int = 54329
    user: str = "emporium"
    password: str = ""
    database: str = "emporium"

    def connection_params(self) -> dict[str, str | int]:
        """Keyword arguments for psycopg2.connect."""
        return {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                "dbname": self.database}  # fmt: skip

    def sqlalchemy_url(self) -> str:
        from urllib.parse import quote

        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"postgresql+psycopg2://{credentials}@{self.host}:{self.port}/{self.database}"

    def env(self) -> dict[str, str]:
        return {
            "EMPORIUM_PG_HOST": self.host,
            "EMPORIUM_PG_PORT": str(self.port),
            "EMPORIUM_PG_USER": self.user,
            "EMPORIUM_PG_PASSWORD": self.password,
            "EMPORIUM_PG_DATABASE": self.database,
        }


@dataclass(frozen=True)
class MLSettings:
    """Machine learning (ml/, orchestration/ml.py): where MLflow keeps runs and the registry, the registered
    model names, what a challenger must show to become champion, and the online store serving reads."""

    tracking_uri: str  # MLFLOW_TRACKING_URI; default a SQLite store under the data folder
    artifact_root: Path  # where runs of the default store keep artifacts (models, plots, model cards)
    online_store_path: Path  # EMPORIUM_ONLINE_STORE_PATH; SQLite file written by batch scoring
    churn_model: str = "emporium_churn"
    recommender_model: str = "emporium_recommender"
    experiment: str = "emporium"
    # a challenger replaces the champion only when its holdout metric (churn ROC AUC, recommender recall@10)
    # beats the champion's on the same rows by this much
    promotion_margin: float = 0.005
    # calibration within bounds: expected calibration error (10 bins) on the holdout at most this
    max_calibration_error: float = 0.1
    # metric floors (asset checks; a version below them is never promoted)
    min_churn_auc: float = 0.6
    min_recall_lift: float = 1.0  # recommender recall@10 over popularity's on the same window
    recommendation_k: int = 10
    interaction_half_life_days: float = 30.0  # time decay of a customer x product interaction


@dataclass(frozen=True)
class ServingSettings:
    """The prediction API (serving/, `emporium serve`) and its own store: bound to loopback by default; every
    endpoint but /health needs one of `api_keys` (EMPORIUM_API_KEYS, comma-separated; none set: nothing but
    /health answers)."""

    prediction_log_path: Path  # EMPORIUM_PREDICTION_LOG; the service's append-only SQLite log
    host: str = "127.0.0.1"  # EMPORIUM_SERVE_HOST
    port: int = 8765  # EMPORIUM_SERVE_PORT
    api_keys: tuple[str, ...] = ()
    canary_share: float = 0.1  # EMPORIUM_CANARY_SHARE: share of customers the challenger answers (sticky)
    shadow: bool = True  # EMPORIUM_SHADOW: the challenger also scores what the champion answers
    max_body_bytes: int = 16_384  # EMPORIUM_MAX_BODY_BYTES: larger request bodies get 413
    reload_seconds: float = 2.0  # EMPORIUM_RELOAD_SECONDS: how often aliases and the online store are polled
    workers: int = 1  # EMPORIUM_SERVE_WORKERS: uvicorn worker processes


@dataclass(frozen=True)
class DuckDBSettings:
    """DuckDB's resources, per database instance: the Python side's connections (engine.DuckDBEngine) and
    dbt's (profiles/profiles.yml reads the same variables). The defaults keep the SF 10 build of a 24 GiB,
    2-core machine within its 8 GiB budget: beyond `memory_limit` DuckDB spills to `temp_directory`."""

    temp_directory: Path  # EMPORIUM_DUCKDB_TEMP_DIR; default <data>/duckdb_tmp
    memory_limit: str = "4GiB"  # EMPORIUM_DUCKDB_MEMORY_LIMIT (DuckDB's syntax: 4GiB, 512MB, ...)
    threads: int = 2  # EMPORIUM_DUCKDB_THREADS: DuckDB's worker threads, and dbt's concurrent models

    def config(self) -> dict[str, str]:
        """DuckDB's settings by name (`SET name = 'value'`)."""
        return {"memory_limit": self.memory_limit, "threads": str(self.threads),
                "temp_directory": str(self.temp_directory)}  # fmt: skip

    def env(self) -> dict[str, str]:
        return {
            "EMPORIUM_DUCKDB_MEMORY_LIMIT": self.memory_limit,
            "EMPORIUM_DUCKDB_THREADS": str(self.threads),
            "EMPORIUM_DUCKDB_TEMP_DIR": str(self.temp_directory),
        }


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    seeds_dir: Path
    dbt_target: str
    dbt_target_path: Path  # dbt artifacts (manifest, run results); separate per warehouse in tests
    dagster_home: Path  # Dagster's instance: run storage, event log, schedules (DAGSTER_HOME)
    ml: MLSettings
    serving: ServingSettings
    duckdb: DuckDBSettings
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    # automation: how often the landing sensor may look at the files (EMPORIUM_SENSOR_INTERVAL_SECONDS);
    # the end-to-end daemon test shortens it so that its wait is the run, not the sensor's pause
    sensor_interval_seconds: int = 30
    # a CI run (CI=true, as CI services set it): the test suite may not skip what it cannot set up there
    ci: bool = False

    @property
    def truth_dir(self) -> Path:
        return self.landing_dir / "_truth"

    @property
    def profiles_dir(self) -> Path:
        return self.project_dir / "profiles"

    # --- dashboards (Evidence, dashboards/) ---
    @property
    def dashboards_dir(self) -> Path:
        """Where the site build works: the copy of gold it reads, the Evidence project run, the built site."""
        return self.data_dir / "dashboards"


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    return Path(value).resolve() if value else default


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from `env` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    data_dir = _path(env, "EMPORIUM_DATA_DIR", PROJECT_ROOT / "data")
    return Settings(
        project_dir=PROJECT_ROOT,
        data_dir=data_dir,
        landing_dir=_path(env, "EMPORIUM_LANDING_DIR", data_dir / "landing"),
        warehouse_path=_path(env, "EMPORIUM_WAREHOUSE_PATH", data_dir / "warehouse.duckdb"),
        seeds_dir=_path(env, "EMPORIUM_SEEDS_DIR", PROJECT_ROOT / "seeds"),
        dbt_target=env.get("DBT_TARGET", "duckdb"),
        dbt_target_path=_path(env, "DBT_TARGET_PATH", PROJECT_ROOT / "target"),
        dagster_home=_path(env, "DAGSTER_HOME", data_dir / "dagster"),
        duckdb=_duckdb(env, data_dir),
        postgres=_postgres(env),
        sensor_interval_seconds=int(env.get("EMPORIUM_SENSOR_INTERVAL_SECONDS", "30")),
        ci=env.get("CI", "").strip().lower() in ("true", "1"),
        ml=_ml(env, data_dir),
        serving=_serving(env, data_dir),
    )


def _ml(env: dict[str, str], data_dir: Path) -> MLSettings:
    ml_dir = data_dir / "ml"
    return MLSettings(
        tracking_uri=env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{ml_dir / 'mlflow.db'}",
        artifact_root=_path(env, "EMPORIUM_MLFLOW_ARTIFACTS", ml_dir / "mlartifacts"),
        online_store_path=_path(env, "EMPORIUM_ONLINE_STORE_PATH", ml_dir / "online_store.sqlite"),
    )


def _serving(env: dict[str, str], data_dir: Path) -> ServingSettings:
    default = ServingSettings(prediction_log_path=data_dir / "serving" / "prediction_log.sqlite")
    share = float(env.get("EMPORIUM_CANARY_SHARE", default.canary_share))
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"EMPORIUM_CANARY_SHARE must lie in [0, 1], got {share}")
    return ServingSettings(
        prediction_log_path=_path(env, "EMPORIUM_PREDICTION_LOG", default.prediction_log_path),
        host=env.get("EMPORIUM_SERVE_HOST", default.host),
        port=int(env.get("EMPORIUM_SERVE_PORT", default.port)),
        api_keys=tuple(key.strip() for key in env.get("EMPORIUM_API_KEYS", "").split(",") if key.strip()),
        canary_share=share,
        shadow=env.get("EMPORIUM_SHADOW", "true").lower() not in ("0", "false", "no", "off"),
        max_body_bytes=int(env.get("EMPORIUM_MAX_BODY_BYTES", default.max_body_bytes)),
        reload_seconds=float(env.get("EMPORIUM_RELOAD_SECONDS", default.reload_seconds)),
        workers=int(env.get("EMPORIUM_SERVE_WORKERS", default.workers)),
    )


def _duckdb(env: dict[str, str], data_dir: Path) -> DuckDBSettings:
    default = DuckDBSettings(temp_directory=data_dir / "duckdb_tmp")
    threads = int(env.get("EMPORIUM_DUCKDB_THREADS", default.threads))
    if threads < 1:
        raise ValueError(f"EMPORIUM_DUCKDB_THREADS must be at least 1, got {threads}")
    return DuckDBSettings(
        temp_directory=_path(env, "EMPORIUM_DUCKDB_TEMP_DIR", default.temp_directory),
        memory_limit=env.get("EMPORIUM_DUCKDB_MEMORY_LIMIT", default.memory_limit),
        threads=threads,
    )


def _postgres(env: dict[str, str]) -> PostgresSettings:
    default = PostgresSettings()
    return PostgresSettings(
        host=env.get("EMPORIUM_PG_HOST", default.host),
        port=int(env.get("EMPORIUM_PG_PORT", default.port)),
        user=env.get("EMPORIUM_PG_USER", default.user),
        password=env.get("EMPORIUM_PG_PASSWORD", default.password),
        database=env.get("EMPORIUM_PG_DATABASE", default.database),
    )


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment for a dbt subprocess: the settings above, absolute, and telemetry off."""
    return {
        **os.environ,
        **settings_env(settings),
        "DBT_PROFILES_DIR": str(settings.profiles_dir),
        "DBT_PROJECT_DIR": str(settings.project_dir),
        "DBT_LOG_PATH": str(settings.dbt_target_path.parent / "logs"),
        "DBT_SEND_ANONYMOUS_STATISTICS": "false",
        "DO_NOT_TRACK": "1",
    }


def settings_env(settings: Settings) -> dict[str, str]:
    """The variables that make `load_settings()` in another process (or dbt) see these settings."""
    return {
        "EMPORIUM_DATA_DIR": str(settings.data_dir),
        "EMPORIUM_LANDING_DIR": str(settings.landing_dir),
        "EMPORIUM_WAREHOUSE_PATH": str(settings.warehouse_path),
        "EMPORIUM_SEEDS_DIR": str(settings.seeds_dir),
        "DBT_TARGET": settings.dbt_target,
        "DBT_TARGET_PATH": str(settings.dbt_target_path),
        "DAGSTER_HOME": str(settings.dagster_home),
        **settings.duckdb.env(),
        **settings.postgres.env(),
        "EMPORIUM_SENSOR_INTERVAL_SECONDS": str(settings.sensor_interval_seconds),
        **_ml_env(settings),
        **_serving_env(settings.serving),
    }


def _ml_env(settings: Settings) -> dict[str, str]:
    return {
        "MLFLOW_TRACKING_URI": settings.ml.tracking_uri,
        "EMPORIUM_MLFLOW_ARTIFACTS": str(settings.ml.artifact_root),
        "EMPORIUM_ONLINE_STORE_PATH": str(settings.ml.online_store_path),
    }


def _serving_env(serving: ServingSettings) -> dict[str, str]:
    return {
        "EMPORIUM_PREDICTION_LOG": str(serving.prediction_log_path),
        "EMPORIUM_SERVE_HOST": serving.host,
        "EMPORIUM_SERVE_PORT": str(serving.port),
        "EMPORIUM_CANARY_SHARE": str(serving.canary_share),
        "EMPORIUM_SHADOW": str(serving.shadow).lower(),
        "EMPORIUM_MAX_BODY_BYTES": str(serving.max_body_bytes),
        "EMPORIUM_RELOAD_SECONDS": str(serving.reload_seconds),
        "EMPORIUM_SERVE_WORKERS": str(serving.workers),
    }
