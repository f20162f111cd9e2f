"""`emporium dashboards serve` stops on SIGTERM, even when the process that started it ignores SIGTERM (the
ignore is inherited across exec: under pytest-xdist the browser test's servers outlived terminate())."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.dashboards.browser import free_port


def test_serve_stops_on_sigterm_even_when_the_parent_ignores_it(tmp_path: Path) -> None:
    site = tmp_path / "dashboards" / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<p>emporium</p>")
    port = free_port()
    command = [str(Path(sys.executable).with_name("emporium")), "dashboards", "serve", "--port", str(port)]
    server = subprocess.Popen(
        command,
        env={**os.environ, "EMPORIUM_DATA_DIR": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN),  # what the child inherits
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert b"emporium" in urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
        server.terminate()
        assert server.wait(timeout=10) == -signal.SIGTERM
    finally:
        server.kill()
        server.wait(timeout=10)
