"""Headless Chromium (Debian's package) driven over the DevTools protocol: open a page, wait until it has
rendered, collect console errors, uncaught exceptions and requests to other hosts, take a screenshot. And the
built site served by `emporium dashboards serve` on a free port of 127.0.0.1."""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

# Evidence draws an error box / inline error with these texts when a query or component fails
ERROR_TEXTS = (
    "Error in Query",
    "Error in query",
    "Internal Error",
    "is not defined",
    "Error rendering",
    "Not Found",
)
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
# what the page reports once rendered: chart containers, tables and their rows, the visible text
PAGE_STATE = """(() => ({
    charts: document.querySelectorAll('[_echarts_instance_]').length,
    chart_canvases: document.querySelectorAll('[_echarts_instance_] canvas, [_echarts_instance_] svg').length,
    tables: document.querySelectorAll('table').length,
    table_rows: document.querySelectorAll('table tr').length,
    loading: document.querySelectorAll('[class*="animate-pulse"], .loading').length,
    text: document.body ? document.body.innerText : ''
}))()"""


def ensure_chromium() -> str:
    """The chromium binary; installed from Debian's package when missing (as root)."""
    found = shutil.which("chromium")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "chromium"], check=True, capture_output=True, timeout=600)
    found = shutil.which("chromium")
    assert found, "apt-get install chromium did not provide a chromium binary"
    return found


@dataclass
class PageVisit:
    url: str
    state: dict[str, Any]
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    screenshot: Path | None = None


class Browser:
    """One headless Chromium with one tab; `visit` pages one after another."""

    def __init__(self, binary: str, width: int = 1280, height: int = 1600) -> None:
        self.profile = tempfile.mkdtemp(prefix="emporium-chromium-")
        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        browser_ws = self._devtools_url(timeout=60)
        port = browser_ws.split("/")[2].split(":")[1]
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(method)

    def _devtools_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        assert self.process.stderr is not None
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            match = LISTENING.search(line)
            if match:
                return match.group(1)
            if not line and self.process.poll() is not None:
                break
        raise RuntimeError("chromium did not start its DevTools endpoint")

    def call(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)
        raise TimeoutError(method)

    def _drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=max(0.05, deadline - time.monotonic()))))
            except TimeoutError:
                return

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def click(self, element_js: str) -> bool:
        """A real mouse click on the centre of the element `element_js` evaluates to; False if there is none."""
        where = self.evaluate(
            f"(() => {{ const e = {element_js}; if (!e) return null; e.scrollIntoView({{block: 'center'}});"
            " const r = e.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        if not where:
            return False
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent", type=kind, x=where["x"], y=where["y"], button="left", clickCount=1
            )
        return True

    # (timeout: the pages query DuckDB-WASM in the browser; beside the suite's other worker a chart of the
    # filter pages was still loading after 60 s, although nothing was wrong with it)
    def visit(self, url: str, screenshot: Path, settle_s: float = 3.0, timeout_s: float = 180) -> PageVisit:
        """Open `url`, wait until its charts and tables stop changing (at most timeout_s), screenshot it."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        return self.settle(url, screenshot, settle_s, timeout_s)

    def settle(self, url: str, screenshot: Path, settle_s: float = 3.0, timeout_s: float = 180) -> PageVisit:
        """Wait until the page's charts and tables stop changing (at most timeout_s), screenshot it, report
        what it logged and fetched since the last visit."""
        deadline = time.monotonic() + timeout_s
        previous, stable_since = None, time.monotonic()
        while time.monotonic() < deadline:
            self._drain(0.5)
            state = self.evaluate(PAGE_STATE)
            shape = {k: v for k, v in state.items() if k != "text"}
            if shape != previous or state["loading"]:
                previous, stable_since = shape, time.monotonic()
            elif time.monotonic() - stable_since >= settle_s:
                break
        self._drain(0.5)
        height = self.evaluate("document.documentElement.scrollHeight")
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=min(int(height), 6000),
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        self._drain(1.0)
        shot = self.call("Page.captureScreenshot", format="png")
        self.call("Emulation.clearDeviceMetricsOverride")
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        visit = PageVisit(url=url, state=self.evaluate(PAGE_STATE), screenshot=screenshot)
        host = url.split("/")[2]
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                visit.console_errors.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
            elif method == "Runtime.exceptionThrown":
                visit.console_errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                visit.console_errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                request_url = params["request"]["url"]
                if request_url.startswith(("http:", "https:", "ws:")) and request_url.split("/")[2] != host:
                    visit.foreign_requests.append(request_url)
        return visit

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
            shutil.rmtree(self.profile, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_site(data_dir: Path) -> Iterator[str]:
    """`emporium dashboards serve` of the site built under `data_dir` on a free port of 127.0.0.1; yields
    its base URL once it answers."""
    port = free_port()
    env = {**os.environ, "EMPORIUM_DATA_DIR": str(data_dir)}
    command = [str(Path(sys.executable).with_name("emporium")), "dashboards", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (
                    server.stderr.read().decode() if server.stderr else "server died"
                )
                assert time.monotonic() < deadline, "the site server did not answer within 60 s"
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # whatever kept it from stopping, do not leave it running
            server.kill()
            server.wait(timeout=20)
