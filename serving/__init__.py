"""The prediction API (FastAPI + uvicorn; `emporium serve`): churn scores and recommendations from the
online store batch scoring writes and the MLflow registry's champion/challenger aliases, with canary and
shadow rollout, a prediction log of its own, Prometheus metrics and live reload. It never opens the
warehouse file. An application package: imports the base and the ml domain."""
