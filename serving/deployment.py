"""What the service answers with: the churn model's champion and challenger (MLflow aliases) and the online
store's current snapshot, replaced as a whole when either changes.

A background thread polls the registry's aliases and the online store file every `reload_seconds`. A
change is loaded beside the running deployment and then swapped in with one reference assignment: a
request holds the deployment it started with until it answers, so no request in flight fails or mixes two
versions, and no restart is needed. Canary routing is sticky: a customer's hash decides once for all.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emporium.config import Settings
from ml.features import CHURN_CATEGORICAL, CHURN_FEATURES, CHURN_NUMERIC
from ml.online_store import OnlineStore
from ml.registry import CHALLENGER, CHAMPION, alias_versions, load_model
from serving.scorer import TOLERANCE, PipelineScorer, feature_matrix

log = logging.getLogger("emporium.serving")
RECHECK_SECONDS = 1.0


@dataclass(frozen=True, eq=False)  # compared by identity: a reload makes a new one
class LoadedModel:
    name: str
    version: str
    model: Any  # the scikit-learn pipeline registered in MLflow
    fast: PipelineScorer | None  # None: scored through the pipeline itself (no fast scorer for its shape)

    @classmethod
    def of(cls, name: str, version: str, model: Any) -> LoadedModel:
        try:
            fast: PipelineScorer | None = PipelineScorer(model)
        except (ValueError, AttributeError, KeyError) as error:
            log.warning("churn %s: scored through the pipeline (%s)", version, error)
            fast = None
        return cls(name, version, model, fast)

    def score_rows(self, numeric: np.ndarray, categorical: np.ndarray) -> np.ndarray:
        """P(churn) of each row (serving.scorer.feature_matrix's two matrices)."""
        if self.fast is not None:
            return self.fast.score(numeric, categorical)
        frame = pd.DataFrame(numeric, columns=list(CHURN_NUMERIC))
        for i, column in enumerate(CHURN_CATEGORICAL):
            frame[column] = categorical[:, i]
        return self.model.predict_proba(frame.loc[:, list(CHURN_FEATURES)])[:, 1]

    def pipeline_scores(self, features: pd.DataFrame) -> np.ndarray:
        """The pipeline's own P(churn) of each row of `features`: what MLflow's pyfunc answers."""
        if features.empty:
            return np.array([])
        return self.model.predict_proba(features.loc[:, list(CHURN_FEATURES)])[:, 1]

    def checked(self, features: pd.DataFrame, expected: np.ndarray) -> LoadedModel:
        """This model, or one without the fast scorer when that misses the pipeline's scores by > 1e-9."""
        if self.fast is None or features.empty:
            return self
        gap = float(np.abs(self.fast.score(*feature_matrix(features)) - expected).max())
        if gap <= TOLERANCE:
            return self
        log.warning(
            "churn %s: the fast scorer is off by %.3g; scoring through the pipeline", self.version, gap
        )
        return LoadedModel(self.name, self.version, self.model, None)


@dataclass(frozen=True, eq=False)
class StoreSnapshot:
    """The online store as of one file: every customer's features in memory, read through the store's own
    reader (the training normalisation), keyed by customer_id."""

    path: Path
    stamp: tuple[int, int, int]  # inode, size, mtime: a new file (atomic rename) changes it
    features: pd.DataFrame
    no_history: frozenset[int]  # customers without an order or a session yet: the cold-start answer
    features_as_of: str | None
    written_at: str | None  # when batch scoring wrote the store
    base_churn_rate: float

    @classmethod
    def read(cls, path: Path, stamp: tuple[int, int, int]) -> StoreSnapshot:
        store = OnlineStore(path)
        meta = store.meta()
        features = store.features().set_index("customer_id", drop=False)
        quiet = features["days_since_last_order"].isna() & features["days_since_last_session"].isna()
        return cls(
            path=path,
            stamp=stamp,
            features=features,
            no_history=frozenset(int(c) for c in features.index[quiet]),
            features_as_of=None if meta.get("features_as_of") is None else str(meta["features_as_of"]),
            written_at=meta.get("written_at"),
            base_churn_rate=float(meta["base_churn_rate"]),
        )

    def recommendations(self, customer_id: int, k: int) -> list[int]:
        return OnlineStore(self.path).recommendations(customer_id, k)

    def popular(self, k: int) -> list[int]:
        return OnlineStore(self.path).popular(k)


@dataclass(frozen=True)
class Deployment:
    champion: LoadedModel | None
    challenger: LoadedModel | None
    store: StoreSnapshot | None
    # version -> customer_id -> the pipeline's P(churn) of the customer's stored features, computed once per
    # store and model: a lookup answers from here
    scores: dict[str, dict[int, float]] = field(default_factory=dict, compare=False)

    @property
    def ready(self) -> bool:
        return self.champion is not None and self.store is not None


def in_canary(customer_id: int, share: float) -> bool:
    """Sticky canary: the customer's hash, uniform in [0, 1), below `share`."""
    digest = hashlib.sha256(f"canary:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


@dataclass
class Deployer:
    """Holds the current Deployment and keeps it up to date from a background thread."""

    settings: Settings
    current: Deployment = field(default_factory=lambda: Deployment(None, None, None))
    last_error: str | None = None
    _versions: dict[str, str | None] = field(default_factory=dict)
    _registry_stamp: tuple[int, int, int] | None = None
    _asked_at: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Load what changed since the last look; True when the deployment was replaced."""
        current = self.current
        store = current.store
        stamp = file_stamp(self.settings.ml.online_store_path)
        if stamp is not None and (store is None or store.stamp != stamp):
            store = StoreSnapshot.read(self.settings.ml.online_store_path, stamp)
        name = self.settings.ml.churn_model
        versions = self._alias_versions(name)
        loaded = {m.version: m for m in (current.champion, current.challenger) if m is not None}

        def model_for(alias: str) -> LoadedModel | None:
            version = versions.get(alias)
            if version is None:
                return None
            if version not in loaded:
                pipeline = load_model(self.settings, name, alias, flavor="sklearn")
                loaded[version] = LoadedModel.of(name, version, pipeline)
            return loaded[version]

        champion, challenger = model_for(CHAMPION), model_for(CHALLENGER)
        if (champion, challenger, store) == (current.champion, current.challenger, current.store):
            return False
        scores = {}
        if store is not None:
            models = {}
            for model in (champion, challenger):
                if model is not None and model.version not in scores:
                    expected = model.pipeline_scores(store.features)
                    scores[model.version] = dict(
                        zip(store.features.index.tolist(), expected.tolist(), strict=True)
                    )
                    models[model.version] = model.checked(store.features, expected)
            champion, challenger = (models.get(m.version) if m else None for m in (champion, challenger))
        new = Deployment(champion, challenger, store, scores)
        self.current = new  # one assignment: requests in flight keep the deployment they read
        log.info(
            "deployment: champion %s, challenger %s, features as of %s",
            new.champion and new.champion.version, new.challenger and new.challenger.version,
            new.store and new.store.features_as_of,
        )  # fmt: skip
        return True

    def _alias_versions(self, name: str) -> dict[str, str | None]:
        """The registry's aliases. A local SQLite registry is asked again only when its file changed since
        the last question, or may have: file times are coarse, so a write within RECHECK_SECONDS before the
        last question (or after it) asks again. The poll then costs requests nothing while nothing moves."""
        uri = self.settings.ml.tracking_uri
        if not uri.startswith("sqlite:///"):
            return alias_versions(self.settings, name)
        stamp = file_stamp(Path(uri.removeprefix("sqlite:///")))
        if stamp is None:  # never written: asking MLflow would create (and migrate) an empty store
            return {}
        if stamp != self._registry_stamp or stamp[2] / 1e9 >= self._asked_at - RECHECK_SECONDS:
            self._asked_at = time.time()
            self._versions = alias_versions(self.settings, name)
            self._registry_stamp = stamp
        return self._versions

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="deployment-watcher", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
                self.last_error = None
            except Exception as error:  # keep serving what is loaded; /health shows why nothing new loads
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning("deployment refresh failed: %s", self.last_error)
            self._stop.wait(self.settings.serving.reload_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
