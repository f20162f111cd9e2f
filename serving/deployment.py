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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emporium.config import Settings
from ml.features import CHURN_FEATURES
from ml.online_store import OnlineStore
from ml.registry import CHALLENGER, CHAMPION, alias_versions, load_model

log = logging.getLogger("emporium.serving")


@dataclass(frozen=True, eq=False)  # compared by identity: a reload makes a new one
class LoadedModel:
    name: str
    version: str
    model: Any  # the scikit-learn pipeline registered in MLflow

    def score(self, features: pd.DataFrame) -> np.ndarray:
        """P(churn) of each row of `features` (CHURN_FEATURES columns)."""
        return self.model.predict_proba(features.loc[:, list(CHURN_FEATURES)])[:, 1]


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
        versions = alias_versions(self.settings, name) if self._registry_exists() else {}
        loaded = {m.version: m for m in (current.champion, current.challenger) if m is not None}

        def model_for(alias: str) -> LoadedModel | None:
            version = versions.get(alias)
            if version is None:
                return None
            if version not in loaded:
                loaded[version] = LoadedModel(
                    name, version, load_model(self.settings, name, alias, flavor="sklearn")
                )
            return loaded[version]

        new = Deployment(model_for(CHAMPION), model_for(CHALLENGER), store)
        if new == current:
            return False
        self.current = new  # one assignment: requests in flight keep the deployment they read
        log.info(
            "deployment: champion %s, challenger %s, features as of %s",
            new.champion and new.champion.version, new.challenger and new.challenger.version,
            new.store and new.store.features_as_of,
        )  # fmt: skip
        return True

    def _registry_exists(self) -> bool:
        """False for a local store that was never written: the service only reads the registry, and asking
        MLflow would create (and migrate) an empty one."""
        uri = self.settings.ml.tracking_uri
        return not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).exists()

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
