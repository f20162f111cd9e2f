"""The prediction API against MLflow's own server on the same champion, side by side in one run.

    .venv/bin/python benchmarks/serving_benchmark.py [--requests 2000] [--concurrency 8] [--rounds 2]

Needs a built world with a trained champion and the online store (`make run`; EMPORIUM_DATA_DIR picks
another). Starts `emporium
serve` and `mlflow models serve --env-manager local` (models:/<churn>@champion, MLflow's /invocations) on
free loopback ports with the same worker count, sends both the same feature payloads (one customer a
request) from the same number of client threads, alternating rounds so both see the same machine load,
then measures the known-customer lookup (GET /customers/{id}/churn) alone, one client at a time.
Writes benchmarks/results/serving.md. Goals: lookup p99 < 10 ms; POST /predict/churn >= 3x MLflow's
throughput.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from emporium.config import PROJECT_ROOT, load_settings, settings_env
from ml.features import CHURN_FEATURES
from ml.online_store import OnlineStore

RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "serving.md"
API_KEY = "benchmark-key"
STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}: not ready in {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)


def drive(url: str, bodies: list[dict], headers: dict[str, str], concurrency: int) -> dict[str, float]:
    """POST every body once from `concurrency` threads (keep-alive clients); latencies and throughput."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    chunks = [bodies[i::concurrency] for i in range(concurrency)]

    def worker(chunk: list[dict]) -> None:
        mine = []
        with httpx.Client(headers=headers, timeout=30) as client:
            for body in chunk:
                started = time.perf_counter()
                response = client.post(url, json=body)
                mine.append(time.perf_counter() - started)
                if response.status_code != 200:
                    with lock:
                        errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    wall = time.perf_counter() - started
    return summary(latencies, wall, errors[0])


def summary(latencies: list[float], wall: float, errors: int) -> dict[str, float]:
    ms = np.array(latencies) * 1000
    return {"requests": len(ms), "errors": errors, "throughput": len(ms) / wall,
            "p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99))}  # fmt: skip


def lookups(url: str, customers: list[int], repeat: int) -> dict[str, float]:
    """GET the known customers' churn one request at a time."""
    latencies = []
    errors = 0
    with httpx.Client(headers={"X-API-Key": API_KEY}, timeout=30) as client:
        started = time.perf_counter()
        for i in range(repeat):
            begin = time.perf_counter()
            response = client.get(f"{url}/customers/{customers[i % len(customers)]}/churn")
            latencies.append(time.perf_counter() - begin)
            errors += response.status_code != 200
        wall = time.perf_counter() - started
    return summary(latencies, wall, errors)


def payloads(store: OnlineStore, n: int) -> tuple[list[int], list[dict], list[dict]]:
    """(customers, our bodies, MLflow bodies): the same features, one customer each."""
    features = store.features()
    # customers with every feature present: MLflow's schema enforcement takes no nulls in a number column
    active = features.dropna(subset=list(CHURN_FEATURES)).head(n)
    ours, theirs = [], []
    for _, row in active.iterrows():
        values = [v.item() if hasattr(v, "item") else v for v in row[list(CHURN_FEATURES)]]
        ours.append(dict(zip(CHURN_FEATURES, values, strict=True)))
        theirs.append({"dataframe_split": {"columns": list(CHURN_FEATURES), "data": [values]}})
    return active["customer_id"].tolist(), ours, theirs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="POSTs per server and round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()

    settings = load_settings()
    store = OnlineStore(settings.ml.online_store_path)
    customers, ours, theirs = payloads(store, args.requests)
    version = store.meta()["models"][settings.ml.churn_model]
    logs = settings.data_dir / "benchmarks"
    logs.mkdir(parents=True, exist_ok=True)
    bin_dir = str(Path(sys.executable).parent)  # mlflow starts `uvicorn` from PATH
    env = {**os.environ, **settings_env(settings), "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1",
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
    our_port, mlflow_port = free_port(), free_port()
    serve_env = {**env, "EMPORIUM_API_KEYS": API_KEY, "EMPORIUM_CANARY_SHARE": "0", "EMPORIUM_SHADOW": "false",
                 "EMPORIUM_SERVE_WORKERS": str(args.workers)}  # fmt: skip
    ours_process = start([sys.executable, "-m", "orchestration.cli", "serve", "--port", str(our_port)],
                         serve_env, logs / "serve.log")  # fmt: skip
    mlflow_process = start(
        [str(Path(sys.executable).parent / "mlflow"), "models", "serve", "-m",
         f"models:/{settings.ml.churn_model}@champion", "--env-manager", "local", "-h", "127.0.0.1",
         "-p", str(mlflow_port), "-w", str(args.workers)],
        env, logs / "mlflow_serve.log",
    )  # fmt: skip
    try:
        our_url, mlflow_url = f"http://127.0.0.1:{our_port}", f"http://127.0.0.1:{mlflow_port}"
        wait_ready(f"{our_url}/health", ours_process, logs / "serve.log")
        wait_ready(f"{mlflow_url}/ping", mlflow_process, logs / "mlflow_serve.log")
        # warm both (first requests import and compile)
        drive(f"{our_url}/predict/churn", ours[:100], {"X-API-Key": API_KEY}, 2)
        drive(f"{mlflow_url}/invocations", theirs[:100], {}, 2)
        rounds = []
        for _ in range(args.rounds):
            rounds.append({
                "emporium": drive(f"{our_url}/predict/churn", ours, {"X-API-Key": API_KEY}, args.concurrency),
                "mlflow": drive(f"{mlflow_url}/invocations", theirs, {}, args.concurrency),
            })  # fmt: skip
        lookup = lookups(our_url, customers, args.lookups)
    finally:
        for process in (ours_process, mlflow_process):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    manifest_path = settings.truth_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    world = (
        f"scale {manifest.get('scale', '?')}, {manifest.get('days', '?')} days, {len(store.features())} customers"
        " in the store"
    )
    write(args, world, version, rounds, lookup)
    print(RESULTS.read_text())
    return 0


def write(
    args: argparse.Namespace, world: str, version: str, rounds: list[dict], lookup: dict[str, float]
) -> None:
    def best(server: str, key: str) -> float:
        values = [r[server][key] for r in rounds]
        return max(values) if key == "throughput" else min(values)

    ratio = best("emporium", "throughput") / best("mlflow", "throughput")
    lines = [
        "# Serving benchmark",
        "",
        f"`benchmarks/serving_benchmark.py`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} cores (shared with other jobs), Python {platform.python_version()}. World: {world}; "
        f"churn champion version {version}. Both servers on 127.0.0.1 with {args.workers} worker(s); "
        f"{args.requests} POSTs per server and round from {args.concurrency} client threads (keep-alive, the same "
        "client process), the same feature payloads (one customer each); rounds alternate between the servers.",
        "",
        "| round | server | requests | errors | throughput (req/s) | p50 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, result in enumerate(rounds, 1):
        for server, label in (
            ("emporium", "emporium POST /predict/churn"),
            ("mlflow", "mlflow /invocations"),
        ):
            r = result[server]
            lines.append(f"| {i} | {label} | {r['requests']} | {r['errors']} | {r['throughput']:.0f} | "
                         f"{r['p50']:.2f} | {r['p99']:.2f} |")  # fmt: skip
    lines += [
        "",
        f"Throughput, best round each: **{ratio:.1f}x MLflow's** (goal >= 3x: {'met' if ratio >= 3 else 'NOT met'}).",
        "",
        f"Known-customer lookup `GET /customers/{{id}}/churn` alone (one client, {lookup['requests']} requests, "
        f"{lookup['errors']} errors): p50 {lookup['p50']:.2f} ms, **p99 {lookup['p99']:.2f} ms** (goal < 10 ms: "
        f"{'met' if lookup['p99'] < 10 else 'NOT met'}), {lookup['throughput']:.0f} req/s.",
        "",
        "The service writes every prediction to its log (a background thread) in both measurements; canary and "
        "shadow are off here (one model answers, as in MLflow's server). Load average (1, 5, 15 min) when written: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores shared with other jobs).",
        "",
        "```json",
        json.dumps({"rounds": rounds, "lookup": lookup}, indent=1),
        "```",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
