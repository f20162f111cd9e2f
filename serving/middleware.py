"""ASGI middleware: a request body size limit, and Prometheus request counts and latencies by endpoint and
model version (prometheus_client; one registry per app, served by /metrics)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

Scope = dict[str, Any]
ASGIApp = Any

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Metrics:
    registry: CollectorRegistry

    def __post_init__(self) -> None:
        labels = ["endpoint", "method", "status", "model_version"]
        self.requests = Counter(
            "emporium_http_requests", "HTTP requests answered", labels, registry=self.registry
        )
        self.latency = Histogram(
            "emporium_http_request_duration_seconds",
            "Time to answer a request, by endpoint and the model version that answered",
            ["endpoint", "model_version"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )


class Observe:
    """Counts and times every HTTP request; the endpoint is the matched route's path template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", "unmatched")
            version = str(scope.get("state", {}).get("model_version", "none"))
            self.metrics.requests.labels(endpoint, scope["method"], str(status["code"]), version).inc()
            self.metrics.latency.labels(endpoint, version).observe(time.perf_counter() - started)


class BodySizeLimit:
    """Answers 413 to a request whose body exceeds `max_bytes` (declared or streamed), before any handler
    reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                chunks = None
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._too_large(send)
                return
        replayed = {"sent": chunks is None}
        body = b"".join(chunks or [])

        async def replay() -> dict[str, Any]:
            if replayed["sent"]:
                return await receive()
            replayed["sent"] = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Any) -> None:
        detail = json.dumps({"detail": f"request body larger than {self.max_bytes} bytes"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(detail)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": detail})
