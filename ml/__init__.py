"""Machine learning on the warehouse: feature retrieval (features.py), churn and recommendation models
(churn.py, recommend.py), the MLflow registry with its approval step (registry.py), batch scoring and the
online store serving reads (scoring.py, online_store.py). A domain: imports only the base (emporium/)."""
