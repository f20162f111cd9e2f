"""The dashboards read gold alone, each page is a dbt exposure listing exactly the marts it reads, and the
Evidence source follows the warehouse target."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from dashboards import site
from dashboards.site import prepare_project
from emporium.config import PROJECT_ROOT
from tests.support import settings_for

EXPOSURES = PROJECT_ROOT / "models" / "gold" / "_gold__exposures.yml"
RELATION = re.compile(r"\b(?:from|join)\s+([a-z_]+)\.([a-z_]+)", re.I)


def _reads(sql: str) -> set[tuple[str, str]]:
    return {(schema.lower(), table.lower()) for schema, table in RELATION.findall(sql)}


def test_sources_read_the_gold_mart_they_are_named_after() -> None:
    for path in sorted((site.PROJECT / "sources" / site.SOURCE).glob("*.sql")):
        assert _reads(path.read_text(encoding="utf-8")) == {("gold", path.stem)}, path


def test_every_page_is_an_exposure_of_the_marts_it_reads() -> None:
    exposures = yaml.safe_load(EXPOSURES.read_text(encoding="utf-8"))["exposures"]
    by_url = {e["url"].split("3001", 1)[1]: e for e in exposures if e["type"] == "dashboard" and e.get("url")}
    sources = set(site.source_tables())
    reads: dict[str, set[str]] = {}
    for path, url in site.page_files().items():
        read = {table for schema, table in _reads(path.read_text(encoding="utf-8")) if schema == site.SOURCE}
        assert read, f"{path} reads no gold mart"
        assert read <= sources, f"{path} reads {read - sources}, which no source query provides"
        reads.setdefault(url, set()).update(read)
    for url, read in reads.items():
        assert url in by_url, f"no dashboard exposure with url ...{url}"
        listed = {re.sub(r"ref\('(\w+)'\)", r"\1", ref) for ref in by_url[url]["depends_on"]}
        assert listed == read, f"exposure {by_url[url]['name']} lists {listed}, the page {url} reads {read}"


def test_the_evidence_source_follows_the_target(tmp_path: Path) -> None:
    """DuckDB: the connector opens the gold copy (a path relative to the source folder, the way the
    connector joins them); Postgres: the server's gold schema, the password passed in the environment."""
    duck = settings_for(tmp_path / "duck")
    prepare_project(duck, tmp_path / "duck-project")
    source_dir = tmp_path / "duck-project" / "sources" / site.SOURCE
    connection = json.loads((source_dir / "connection.yaml").read_text(encoding="utf-8"))
    assert connection["type"] == "duckdb" and connection["name"] == site.SOURCE
    assert (source_dir / connection["options"]["filename"]).resolve() == duck.dashboards_dir / site.COPY_NAME

    pg = settings_for(
        tmp_path / "pg", DBT_TARGET="postgres", EMPORIUM_PG_PORT="55432", EMPORIUM_PG_PASSWORD="s3"
    )
    secrets = prepare_project(pg, tmp_path / "pg-project")
    connection = json.loads(
        (tmp_path / "pg-project" / "sources" / site.SOURCE / "connection.yaml").read_text(encoding="utf-8")
    )
    assert connection["type"] == "postgres"
    assert connection["options"]["port"] == 55432 and connection["options"]["schema"] == "gold"
    assert "password" not in connection["options"]
    assert secrets == {f"EVIDENCE_SOURCE__{site.SOURCE}__password": "s3"}
