"""Machine learning and causal inference (a domain package: imports only the base, `emporium`): feature
retrieval (features.py), churn and recommendation models (churn.py, recommend.py), the MLflow registry with its
approval step (registry.py), batch scoring and the online store serving reads (scoring.py, online_store.py);
causal estimators (causal/)."""
