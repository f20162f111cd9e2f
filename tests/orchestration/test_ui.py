"""The Dagster UI (the webserver `dagster dev` starts) serves the code location's graph on 127.0.0.1."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from emporium.config import PROJECT_ROOT, settings_env
from orchestration.definitions import defs
from orchestration.instance import prepare_home
from tests.support import free_port, settings_for

QUERY = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def test_webserver_serves_the_whole_graph_on_localhost(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    prepare_home(settings)
    port = free_port()
    command = [str(Path(sys.executable).with_name("dagster-webserver")), "-m", "orchestration.definitions"]
    command += ["-h", "127.0.0.1", "-p", str(port)]
    env = {**os.environ, **settings_env(settings)}
    server = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, "the webserver exited"
            try:
                nodes = _graphql(port, QUERY)["assetNodes"]
                break
            except (OSError, KeyError, TypeError):
                assert time.monotonic() < deadline, "the webserver did not answer within 180 s"
                time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    served = {"/".join(node["assetKey"]["path"]) for node in nodes}
    expected = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert served == expected
    deps = {
        "/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]} for n in nodes
    }
    assert "landing/orders" in deps["raw/shop"] and "silver/orders" in deps["gold/fct_orders"]
