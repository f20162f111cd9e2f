"""`emporium serve`: the prediction API under uvicorn (bound to 127.0.0.1 unless told otherwise)."""

from __future__ import annotations

import argparse
import sys

from emporium.config import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve", help="the prediction API (FastAPI under uvicorn): churn, recommendations"
    )
    serve.add_argument("--host", help="bind address (default EMPORIUM_SERVE_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default EMPORIUM_SERVE_PORT, 8765)")
    serve.add_argument("--workers", type=int, help="worker processes (default EMPORIUM_SERVE_WORKERS, 1)")
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    serving = load_settings().serving
    if not serving.api_keys:
        print("emporium serve: set EMPORIUM_API_KEYS (comma-separated) first; every endpoint but /health"
              " needs one of them", file=sys.stderr)  # fmt: skip
        return 2
    host, port = args.host or serving.host, args.port or serving.port
    print(f"prediction API: http://{host}:{port}  (OpenAPI at /docs)", flush=True)
    uvicorn.run(
        "serving.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers or serving.workers,
        log_level="warning",
        access_log=False,
    )
    return 0
