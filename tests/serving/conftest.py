"""One served world for the serving tests: a private copy of the tiny warehouse, the real training job and
batch scoring through Dagster (champion version 1 of both models, the online store), a second churn
version registered as challenger, and `emporium serve` as a real uvicorn process on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from emporium.config import Settings, settings_env
from tests.support import settings_for

API_KEY = "serving-test-key"
CANARY_SHARE = 0.3
STARTUP_SECONDS = 180


@dataclass(frozen=True)
class Server:
    url: str
    settings: Settings
    process: subprocess.Popen
    log_path: Path

    def client(self, *, key: str | None = API_KEY) -> httpx.Client:
        headers = {"X-API-Key": key} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def register_challenger(settings: Settings) -> str:
    """A second churn version (shallower trees) through the registry's approval step: it does not beat the
    champion by the margin, so it stays `challenger`."""
    import mlflow

    from emporium.engine import connect
    from ml import registry
    from ml.churn import build_pipeline
    from ml.features import CHURN_FEATURES, CHURN_LABEL, training_rows
    from ml.training import TRUSTED_TYPES

    with connect(settings) as connection:
        rows = training_rows(connection)
    model = build_pipeline(max_depth=2, learning_rate=0.3).fit(rows[list(CHURN_FEATURES)], rows[CHURN_LABEL])
    with mlflow.start_run(experiment_id=registry.experiment_id(settings)):
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            pyfunc_predict_fn="predict_proba",
            registered_model_name=settings.ml.churn_model,
            skops_trusted_types=TRUSTED_TYPES,
        )
    version = str(info.registered_model_version)
    decision = registry.Decision(False, "serving tests: a second version to roll out")
    registry.record(settings, settings.ml.churn_model, version, decision)
    return version


@pytest.fixture(scope="session")
def served_world(tiny_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the tiny warehouse, trained and scored as `emporium run` does on a fresh clone, plus a
    challenger."""
    from orchestration.runner import score_models, train_models

    data_dir = tmp_path_factory.mktemp("served")
    settings = settings_for(data_dir, EMPORIUM_LANDING_DIR=str(tiny_warehouse.landing_dir))
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_warehouse.warehouse_path, settings.warehouse_path)
    from ml import registry

    training = train_models(settings)
    assert training.success, training.render()
    name = settings.ml.churn_model
    if registry.alias_versions(settings, name)[registry.CHAMPION] is None:
        # the tiny world's holdout is small: when version 1 misses a promotion check, promote it the
        # documented way (the logged manual override), so there is a champion to serve
        registry.manual_promote(
            settings, name, "1", "serving tests need a champion on the tiny world", "tests"
        )
    scoring = score_models(settings)
    assert scoring.success, scoring.render()
    assert register_challenger(settings) == "2"
    return settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def server(served_world: Settings) -> Iterator[Server]:
    """`emporium serve` on a free loopback port, ready (champion and online store loaded)."""
    port = free_port()
    env = {
        **os.environ,
        **settings_env(served_world),
        "EMPORIUM_API_KEYS": f"other-key,{API_KEY}",
        "EMPORIUM_CANARY_SHARE": str(CANARY_SHARE),
        "EMPORIUM_RELOAD_SECONDS": "0.5",
    }
    log_path = served_world.data_dir / "serve.log"
    with log_path.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, f"emporium serve exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"not ready in {STARTUP_SECONDS} s:\n{log_path.read_text()}"
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        yield Server(url, served_world, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
