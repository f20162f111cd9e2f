"""`emporium ml train | promote | ui`: the models' training, the logged manual override of the approval
step, and the MLflow UI on the project's store."""

from __future__ import annotations

import argparse
import getpass
import os
import subprocess
import sys

from emporium.config import load_settings

OK, FAILED = 0, 1
MODELS = ("churn", "recommender")


def register(subparsers: argparse._SubParsersAction) -> None:
    ml = subparsers.add_parser("ml", help="train, promote or browse the ML models (MLflow registry)")
    commands = ml.add_subparsers(dest="ml_command", required=True)
    train = commands.add_parser(
        "train", help="run the ml_training job (train, register, approve), then score"
    )
    train.set_defaults(func=run_train)
    promote = commands.add_parser("promote", help="make a version champion by hand (logged on the version)")
    promote.add_argument("--model", choices=MODELS, default="churn")
    promote.add_argument("--version", required=True)
    promote.add_argument("--reason", required=True, help="why: recorded as the version's approval.reason")
    promote.set_defaults(func=run_promote)
    ui = commands.add_parser("ui", help="the MLflow UI on the project's store, on 127.0.0.1")
    ui.add_argument("--port", type=int, default=5000)
    ui.set_defaults(func=run_ui)


def run_train(args: argparse.Namespace) -> int:
    from orchestration.runner import score_models, train_models

    settings = load_settings()
    for run in (train_models, score_models):
        outcome = run(settings)
        print(outcome.render(), flush=True)
        if not outcome.success:
            return FAILED
    return OK


def run_promote(args: argparse.Namespace) -> int:
    from ml.registry import manual_promote

    settings = load_settings()
    name = settings.ml.churn_model if args.model == "churn" else settings.ml.recommender_model
    try:
        manual_promote(
            settings, name, str(args.version), args.reason, by=f"emporium ml promote ({getpass.getuser()})"
        )
    except Exception as error:  # MLflow raises its own exception types for unknown models and versions
        print(f"emporium ml promote: {error}", file=sys.stderr)
        return FAILED
    print(f"{name} version {args.version} is champion ({args.reason})", flush=True)
    return OK


def run_ui(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.ml.artifact_root.mkdir(parents=True, exist_ok=True)
    command = [
        os.path.join(os.path.dirname(sys.executable), "mlflow"),
        "ui",
        "--backend-store-uri",
        settings.ml.tracking_uri,
        "--default-artifact-root",
        settings.ml.artifact_root.as_uri(),
        "--host",
        "127.0.0.1",
        "--port",
        str(args.port),
    ]
    print(f"MLflow UI: http://127.0.0.1:{args.port}  (store {settings.ml.tracking_uri})", flush=True)
    return subprocess.call(command, env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"})
