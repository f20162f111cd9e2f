"""Fast churn scoring for the service: the registered pipeline's own fitted parts applied to a numpy matrix,
and one scoring thread that scores the rows of concurrent requests together.

`PipelineScorer` encodes a row the way the pipeline's ColumnTransformer does (numeric columns passed through,
the tier one-hot by the encoder's fitted categories; an unseen tier is all zeros, as `handle_unknown=ignore`)
and averages the calibrated classifiers' isotonic probabilities of the gradient-boosting decision values, as
`CalibratedClassifierCV.predict_proba` does, without the per-call DataFrame checks, joblib dispatch and
response-method lookup that cost a single row ~10 ms. It is built only for the pipeline shape `ml/churn.py`
trains and must reproduce the pipeline's own `predict_proba` to 1e-9 on every row of the online store
(serving.deployment.LoadedModel.checked), else the service scores through the pipeline itself.

`ScoringThread` runs every per-request score on one thread with OpenMP limited to one thread: the trees'
OpenMP loops would otherwise start a thread team per tree (100 trees x 3 calibration folds per call),
which on a loaded 2-core machine costs more than the trees themselves. Requests waiting while a batch is
scored are scored together as the next batch (no timer: an idle service scores a request at once).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder
from threadpoolctl import threadpool_limits

from ml.features import CHURN_CATEGORICAL, CHURN_NUMERIC

TOLERANCE = 1e-9
MAX_BATCH = 256


def feature_matrix(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(numeric float64 matrix in CHURN_NUMERIC order, NaN where missing; categorical object matrix)."""
    numeric = frame.loc[:, list(CHURN_NUMERIC)].to_numpy(dtype="float64", na_value=np.nan)
    categorical = frame.loc[:, list(CHURN_CATEGORICAL)].to_numpy(dtype=object)
    return numeric, categorical


class PipelineScorer:
    """P(churn) from the fitted ColumnTransformer + CalibratedClassifierCV(HistGradientBoosting) pipeline."""

    def __init__(self, pipeline: Any) -> None:
        preprocess, calibrated = pipeline.named_steps["preprocess"], pipeline.named_steps["model"]
        numeric_index = {name: i for i, name in enumerate(CHURN_NUMERIC)}
        categorical_index = {name: i for i, name in enumerate(CHURN_CATEGORICAL)}
        self.blocks: list[tuple[str, list[int], Any]] = []  # in the transformer's output order
        for name, transformer, columns in preprocess.transformers_:
            if name == "remainder":
                continue
            passthrough = transformer == "passthrough" or (
                isinstance(transformer, FunctionTransformer) and transformer.func is None
            )
            if passthrough and all(c in numeric_index for c in columns):
                self.blocks.append(("numeric", [numeric_index[c] for c in columns], None))
            elif (
                isinstance(transformer, OneHotEncoder)
                and transformer.handle_unknown == "ignore"
                and transformer.drop is None
                and all(c in categorical_index for c in columns)
            ):
                lookups = [{value: j for j, value in enumerate(cats)} for cats in transformer.categories_]
                self.blocks.append(("onehot", [categorical_index[c] for c in columns], lookups))
            else:
                raise ValueError(f"churn pipeline step {name!r} ({transformer!r}) has no fast scorer")
        self.width = sum(len(b[1]) if b[0] == "numeric" else sum(len(x) for x in b[2]) for b in self.blocks)
        self.folds = [(fold.estimator, fold.calibrators[0]) for fold in calibrated.calibrated_classifiers_]
        if list(calibrated.classes_) != [0, 1] or calibrated.method != "isotonic":
            raise ValueError("churn pipeline: expected a binary isotonic CalibratedClassifierCV")

    def encode(self, numeric: np.ndarray, categorical: np.ndarray) -> np.ndarray:
        matrix = np.zeros((len(numeric), self.width), dtype="float64")
        offset = 0
        for kind, indices, lookups in self.blocks:
            if kind == "numeric":
                matrix[:, offset : offset + len(indices)] = numeric[:, indices]
                offset += len(indices)
                continue
            for column, lookup in zip(indices, lookups, strict=True):
                for row, value in enumerate(categorical[:, column]):
                    position = lookup.get(value)
                    if position is not None:
                        matrix[row, offset + position] = 1.0
                offset += len(lookup)
        return matrix

    def score(self, numeric: np.ndarray, categorical: np.ndarray) -> np.ndarray:
        encoded = self.encode(numeric, categorical)
        # CalibratedClassifierCV.predict_proba for two classes: the mean over folds of the fold's isotonic
        # calibration of its trees' decision values
        return np.mean([iso.predict(trees.decision_function(encoded)) for trees, iso in self.folds], axis=0)


class ScoringThread:
    """Scores requests' rows on one thread (OpenMP at one thread), concurrent requests in one batch."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Any, np.ndarray, np.ndarray, Any, Any] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="churn-scoring", daemon=True)
        self._thread.start()

    async def score(self, model: Any, numeric: np.ndarray, categorical: np.ndarray) -> float:
        """P(churn) of one row by `model` (a serving.deployment.LoadedModel)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((model, numeric, categorical, loop, future))
        return await future

    def _run(self) -> None:
        with threadpool_limits(limits=1, user_api="openmp"):
            while True:
                item = self._queue.get()
                if item is None:
                    return
                batch = [item]
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self._queue.put(None)  # stop after this batch
                        break
                    batch.append(item)
                self._score(batch)

    @staticmethod
    def _score(batch: Sequence[tuple[Any, np.ndarray, np.ndarray, Any, Any]]) -> None:
        by_model: dict[int, list[tuple[Any, np.ndarray, np.ndarray, Any, Any]]] = {}
        for item in batch:
            by_model.setdefault(id(item[0]), []).append(item)
        for items in by_model.values():
            model = items[0][0]
            try:
                scores: Any = model.score_rows(
                    np.vstack([i[1] for i in items]), np.vstack([i[2] for i in items])
                )
            except Exception as error:  # the requests answer 500; the thread keeps scoring
                scores = [error] * len(items)
            for (_, _, _, loop, future), value in zip(items, scores, strict=True):
                try:
                    loop.call_soon_threadsafe(_settle, future, value)
                except RuntimeError:  # the event loop closed (shutdown): nobody waits for the answer
                    continue

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)


def _settle(future: asyncio.Future[float], value: Any) -> None:
    if future.done():  # the request was cancelled (client gone)
        return
    if isinstance(value, Exception):
        future.set_exception(value)
    else:
        future.set_result(float(value))
