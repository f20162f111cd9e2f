"""The recommender as an MLflow pyfunc model: input one customer's history (product_id, decayed weight; no
customer id), output the top products. Imports MLflow: only training and model loading import this."""

from __future__ import annotations

import mlflow.pyfunc
import numpy as np
import pandas as pd

from ml.recommend import ItemItemModel


class RecommenderModel(mlflow.pyfunc.PythonModel):
    def __init__(self, model: ItemItemModel, k: int = 10) -> None:
        self.model = model
        self.k = k

    # no type hints on the input: MLflow would derive a second signature from them
    def predict(self, context, model_input, params=None):
        history = model_input.assign(customer_id=0)[["customer_id", "product_id", "weight"]]
        if history.empty:
            popular = self.model.popular(self.k)
            return pd.DataFrame({"product_id": popular, "score": np.zeros(len(popular))})
        return self.model.recommend(history, self.k)[["product_id", "score"]].reset_index(drop=True)
