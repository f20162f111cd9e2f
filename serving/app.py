"""The prediction API.

    GET  /health                                 ready only when a champion and the online store are loaded
    GET  /customers/{id}/churn                   P(churn) from the customer's current features (canary, shadow)
    GET  /customers/{id}/recommendations?k=10    the customer's top k products (cold start: popular items)
    POST /predict/churn                          P(churn) of a feature payload (the model's input columns)
    GET  /metrics                                Prometheus text: requests and latency by endpoint and version
    /docs, /openapi.json                         the schema (public; every data endpoint needs an API key)

Unknown customer: 404. A known customer without an order or a session yet: the cold-start answer (the
base churn rate of the newest labelled month; the most popular items), flagged `cold_start`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import numpy as np
from fastapi import BackgroundTasks, Body, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, ConfigDict, Field, create_model

from emporium.config import Settings, load_settings
from ml.features import CHURN_CATEGORICAL, CHURN_NUMERIC
from serving.auth import require_api_key
from serving.deployment import Deployer, Deployment, LoadedModel, in_canary
from serving.middleware import BodySizeLimit, Metrics, Observe
from serving.prediction_log import Prediction, PredictionLog, now
from serving.scorer import ScoringThread

MAX_ID = 2**62  # ids beyond this fit no store's integer column
NULLABLE = ("days_since_last_order", "days_since_last_session")  # missing = no order / session yet
assert set(NULLABLE) <= set(CHURN_NUMERIC), "serving.app.NULLABLE names columns the model no longer has"


def _feature_field(column: str) -> tuple[Any, Any]:
    if column in CHURN_CATEGORICAL:
        return str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$", examples=["standard"])
    number = Field(ge=0, le=1e9, allow_inf_nan=False, examples=[3])
    return (float | None, number) if column in NULLABLE else (float, number)


# The payload's fields are the model's input columns, named once in ml/features.py.
ChurnFeatures = create_model(
    "ChurnFeatures",
    __config__=ConfigDict(extra="forbid"),
    customer_id=(int | None, Field(None, ge=1, le=MAX_ID, description="routes the canary (sticky)")),
    **{column: _feature_field(column) for column in (*CHURN_NUMERIC, *CHURN_CATEGORICAL)},
)


class ChurnAnswer(BaseModel):
    customer_id: int | None
    churn_probability: float
    model_name: str
    model_version: str | None  # None: the cold-start base rate, no model
    role: str  # champion, challenger (canary) or cold_start
    cold_start: bool
    features_as_of: str | None
    request_id: str


class RecommendationAnswer(BaseModel):
    customer_id: int
    product_ids: list[int]
    cold_start: bool
    features_as_of: str | None
    request_id: str


class Health(BaseModel):
    status: str  # ready or loading
    champion: str | None
    challenger: str | None
    features_as_of: str | None
    store_written_at: str | None
    canary_share: float
    last_error: str | None


CustomerId = Annotated[int, Path(ge=1, le=MAX_ID, description="customer_id")]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    deployer = Deployer(settings)
    metrics = Metrics(CollectorRegistry())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.log = PredictionLog(settings.serving.prediction_log_path)
        app.state.scoring = ScoringThread()
        deployer.start()
        yield
        deployer.stop()
        app.state.scoring.stop()
        app.state.log.close()

    app = FastAPI(
        title="Emporium predictions",
        description=__doc__,
        version="1",
        lifespan=lifespan,
        responses={401: {"description": "no valid API key"}},
    )
    app.state.settings, app.state.deployer, app.state.metrics = settings, deployer, metrics
    app.add_middleware(BodySizeLimit, max_bytes=settings.serving.max_body_bytes)
    app.add_middleware(Observe, metrics=metrics)  # outermost: 413 answers are counted too
    secured = [Depends(require_api_key)]

    @app.get("/health", response_model=Health, responses={503: {"model": Health}})
    def health() -> Any:
        current = deployer.current
        body = Health(
            status="ready" if current.ready else "loading",
            champion=current.champion and current.champion.version,
            challenger=current.challenger and current.challenger.version,
            features_as_of=current.store and current.store.features_as_of,
            store_written_at=current.store and current.store.written_at,
            canary_share=settings.serving.canary_share,
            last_error=deployer.last_error,
        )
        return body if current.ready else Response(body.model_dump_json(), 503, media_type="application/json")

    @app.get("/metrics", dependencies=secured, response_class=Response)
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get(
        "/customers/{customer_id}/churn",
        response_model=ChurnAnswer,
        dependencies=secured,
        responses={404: {"description": "unknown customer"}, 503: {"description": "not loaded yet"}},
    )
    async def customer_churn(
        customer_id: CustomerId, request: Request, background: BackgroundTasks
    ) -> ChurnAnswer:
        started = time.perf_counter()
        current = _ready(deployer)
        _known(current, customer_id)

        async def stored(model: LoadedModel) -> float:  # scored once when the store or model loaded
            return current.scores[model.version][customer_id]

        cold = customer_id in current.store.no_history
        return await _answer(
            request, background, current, stored, customer_id, started, "customer_churn", cold
        )

    @app.get(
        "/customers/{customer_id}/recommendations",
        response_model=RecommendationAnswer,
        dependencies=secured,
        responses={404: {"description": "unknown customer"}, 503: {"description": "not loaded yet"}},
    )
    def customer_recommendations(
        customer_id: CustomerId, k: Annotated[int, Query(ge=1, le=100)] = 10
    ) -> RecommendationAnswer:
        current = _ready(deployer)
        _known(current, customer_id)
        products = current.store.recommendations(customer_id, k)
        cold = not products
        return RecommendationAnswer(
            customer_id=customer_id,
            product_ids=current.store.popular(k) if cold else products,
            cold_start=cold,
            features_as_of=current.store.features_as_of,
            request_id=uuid.uuid4().hex,
        )

    @app.post(
        "/predict/churn",
        response_model=ChurnAnswer,
        dependencies=secured,
        responses={413: {"description": "body too large"}, 503: {"description": "not loaded yet"}},
    )
    async def predict_churn(
        payload: Annotated[ChurnFeatures, Body()], request: Request, background: BackgroundTasks
    ) -> ChurnAnswer:
        started = time.perf_counter()
        current = _ready(deployer)
        values = payload.model_dump()
        customer_id = values.pop("customer_id")
        # the model's input columns with the training types: numbers as float64 (NaN: no order / session yet)
        numeric = np.array(
            [[np.nan if values[c] is None else values[c] for c in CHURN_NUMERIC]], dtype="float64"
        )
        categorical = np.array([[values[c] for c in CHURN_CATEGORICAL]], dtype=object)
        scoring: ScoringThread = request.app.state.scoring

        async def scored(model: LoadedModel) -> float:
            return await scoring.score(model, numeric, categorical)

        return await _answer(
            request, background, current, scored, customer_id, started, "predict_churn", False
        )

    return app


def _ready(deployer: Deployer) -> Deployment:
    current = deployer.current
    if not current.ready:
        raise HTTPException(503, "not ready: the champion model or the online store is not loaded yet")
    return current


def _known(current: Deployment, customer_id: int) -> None:
    if customer_id not in current.store.features.index:
        raise HTTPException(404, f"customer {customer_id} is not in the online store (features as of "
                                 f"{current.store.features_as_of})")  # fmt: skip


Score = Callable[[LoadedModel], Awaitable[float]]


async def _answer(
    request: Request,
    background: BackgroundTasks,
    current: Deployment,
    score_by: Score,
    customer_id: int | None,
    started: float,
    endpoint: str,
    cold: bool,
) -> ChurnAnswer:
    """Score with the champion or, for the canary's customers, the challenger; log it; let the challenger
    shadow-score the champion's answers after the response has gone."""
    settings: Settings = request.app.state.settings
    prediction_log: PredictionLog = request.app.state.log
    request_id = uuid.uuid4().hex
    store = current.store
    canary = current.challenger is not None and customer_id is not None
    canary = canary and in_canary(customer_id, settings.serving.canary_share)
    served: LoadedModel | None = None
    if cold:
        role, score = "cold_start", store.base_churn_rate
    else:
        served = current.challenger if canary else current.champion
        role, score = ("challenger" if canary else "champion"), await score_by(served)
    version = served.version if served else None
    request.state.model_version = version or "none"
    latency_ms = (time.perf_counter() - started) * 1000
    name = settings.ml.churn_model if served else "base_rate"
    prediction_log.append(
        Prediction(now(), request_id, endpoint, customer_id, name, version, role, score, latency_ms)
    )
    shadow = current.challenger if settings.serving.shadow and role == "champion" else None
    if shadow is not None:
        background.add_task(
            _shadow_score, prediction_log, shadow, score_by, request_id, endpoint, customer_id
        )
    return ChurnAnswer(
        customer_id=customer_id,
        churn_probability=score,
        model_name=name,
        model_version=version,
        role=role,
        cold_start=cold,
        features_as_of=store.features_as_of if endpoint == "customer_churn" else None,
        request_id=request_id,
    )


async def _shadow_score(
    prediction_log: PredictionLog,
    model: LoadedModel,
    score_by: Score,
    request_id: str,
    endpoint: str,
    customer_id: int | None,
) -> None:
    started = time.perf_counter()
    score = await score_by(model)
    latency_ms = (time.perf_counter() - started) * 1000
    prediction_log.append(
        Prediction(
            now(), request_id, endpoint, customer_id, model.name, model.version, "shadow", score, latency_ms
        )
    )
