"""The warehouse engine is one object: emporium/engine.py alone knows how DuckDB and Postgres differ on the
Python side. No other module compares an engine's name, keys a table by it, sniffs a connection's driver or
imports a driver; engine-specific behaviour goes on the Engine classes (`engine_for(settings)`,
`engine_of(connection)`), SQL differences into dispatched dbt macros."""

from __future__ import annotations

import ast
from pathlib import Path

import duckdb
import pytest

from emporium.config import PROJECT_ROOT
from emporium.engine import ENGINES, DuckDBEngine, Engine, PostgresEngine, engine_of
from ingest.raw_load import LoadError, writer_for

SCANNED = (
    "emporium",
    "ingest",
    "quality",
    "ml",
    "dashboards",
    "orchestration",
    "generator",
    "benchmarks",
    "scripts",
)
DRIVERS = {"duckdb", "_duckdb", "psycopg2", "psycopg"}
ENGINE_WORDS = {*ENGINES, *DRIVERS, "postgresql"}

# file -> the findings it may have, and why; None: anything (the engine itself)
EXCEPTIONS: dict[str, set[str] | None] = {
    "emporium/engine.py": None,
    # patches Great Expectations' tuple of SQLAlchemy dialect names, on every engine: not a branch on ours
    "quality/gx_duckdb.py": {"compares 'duckdb'"},
    # a DuckDB-only benchmark (it pins DBT_TARGET=duckdb) reading and checkpointing warehouse files directly
    "benchmarks/orchestration_probe.py": {"import duckdb"},
    # times the dashboards' SQL in DuckDB over the gold copy the site build reads (a DuckDB file on any target)
    "benchmarks/dashboards_benchmark.py": {"import duckdb"},
    # a stage names the dbt target it builds on (DuckDB unless said), starts the server it needs (a Postgres
    # server, a Spark cluster) and runs a Spark stage in Spark's own environment
    "benchmarks/bench.py": {"compares 'duckdb'", "compares 'spark'", "key 'postgres'", "key 'spark'"},
    # warehouse_differences ATTACHes one DuckDB warehouse file to another, which no Engine method covers
    "tests/support.py": {"import duckdb"},
}


def scanned_files() -> list[Path]:
    """Our modules, and the helpers of tests/ (test modules themselves may set up either engine directly)."""
    files = [path for package in SCANNED for path in sorted((PROJECT_ROOT / package).rglob("*.py"))]
    files += [
        path for path in sorted((PROJECT_ROOT / "tests").rglob("*.py")) if not path.name.startswith("test_")
    ]
    return [path for path in files if "__pycache__" not in path.parts]


def _words(node: ast.AST) -> list[str]:
    """The engine or driver names written as the string constant(s) of `node` (a tuple/list/set of them too)."""
    nodes = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [
        n.value
        for n in nodes
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.lower() in ENGINE_WORDS
    ]


def _is_engine_name(node: ast.AST) -> bool:
    """`settings.dbt_target`, `<...engine...>.name`: an engine's name read to be compared."""
    if not isinstance(node, ast.Attribute):
        return False
    if node.attr == "dbt_target":
        return True
    return node.attr == "name" and "engine" in ast.unparse(node.value).lower()


def engine_branches(source: str) -> set[str]:
    """What in `source` branches on the engine by name or driver, or talks to a driver directly."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {f"import {a.name}" for a in node.names if a.name.split(".")[0] in DRIVERS}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in DRIVERS:
            found.add(f"import {node.module}")
        elif isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                found |= {f"compares {word!r}" for word in _words(side)}
                if _is_engine_name(side):
                    found.add(f"compares {ast.unparse(side)}")
        elif isinstance(node, ast.Dict):
            found |= {f"key {word!r}" for key in node.keys if key is not None for word in _words(key)}
        elif isinstance(node, ast.Subscript):
            found |= {f"key {word!r}" for word in _words(node.slice)}
            if _is_engine_name(node.slice):
                found.add(f"key {ast.unparse(node.slice)}")
        elif isinstance(node, ast.MatchValue):
            found |= {f"case {word!r}" for word in _words(node.value)}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("startswith", "endswith"):
                found |= {f"{node.func.attr} {word!r}" for arg in node.args for word in _words(arg)}
        elif isinstance(node, ast.Attribute) and node.attr == "__module__":
            found.add("reads __module__")  # a connection's driver told by its module: engine_of's job
    return found


def findings() -> dict[str, set[str]]:
    return {
        str(path.relative_to(PROJECT_ROOT)): engine_branches(path.read_text(encoding="utf-8"))
        for path in scanned_files()
    }


def test_no_module_outside_the_engine_branches_on_it() -> None:
    wrong = []
    for path, found in findings().items():
        allowed = EXCEPTIONS.get(path, set())
        if allowed is not None:
            wrong += [f"{path}: {finding}" for finding in sorted(found - allowed)]
    assert not wrong, (
        "engine branches outside emporium/engine.py (put the behaviour on the Engine classes):\n"
        + "\n".join(wrong)
    )


def test_every_exception_is_still_needed() -> None:
    found = findings()
    stale = [
        f"{path}: {finding}"
        for path, allowed in EXCEPTIONS.items()
        for finding in sorted(allowed or ())
        if finding not in found.get(path, set())
    ]
    assert not stale, "exceptions no longer needed, drop them from EXCEPTIONS:\n" + "\n".join(stale)


@pytest.mark.parametrize(
    ("source", "finding"),
    [
        ('if engine == "duckdb":\n    pass', "compares 'duckdb'"),
        ('if settings.dbt_target != "postgres":\n    pass', "compares settings.dbt_target"),
        ("ok = engine.name in WRITERS", "compares engine.name"),
        ("x = WRITERS[engine.name]", "key engine.name"),
        ('WRITERS = {"duckdb": a, "postgres": b}', "key 'postgres'"),
        ('w = WRITERS["duckdb"]', "key 'duckdb'"),
        ('match target:\n    case "postgres":\n        pass', "case 'postgres'"),
        ('pg = type(connection).__module__.startswith("psycopg2")', "startswith 'psycopg2'"),
        ("pg = type(connection).__module__", "reads __module__"),
        ("import psycopg2", "import psycopg2"),
        ("from duckdb import DuckDBPyConnection", "import duckdb"),
    ],
)
def test_the_check_sees_an_engine_branch(source: str, finding: str) -> None:
    assert finding in engine_branches(source)


def test_the_check_lets_engine_objects_through() -> None:
    source = "engine = engine_for(settings)\nengine.load_csv(connection, table, header, path)\n"
    assert engine_branches(source + 'message = f"no loader for {engine.name}"') == set()


def test_a_connection_knows_its_engine_and_queries_inside_its_transaction() -> None:
    connection = duckdb.connect()
    try:
        assert engine_of(connection) is DuckDBEngine
        connection.begin()
        DuckDBEngine.query(connection, "create table t (x text)")
        DuckDBEngine.query(connection, "insert into t values (%s)", ("a",))
        assert DuckDBEngine.query(connection, "select x from t where x = %s", ("a",)) == [("a",)]
        connection.rollback()  # query ran on the connection itself: the rollback takes all of it back
        assert DuckDBEngine.query(connection, "select count(*) from information_schema.tables") == [(0,)]
    finally:
        connection.close()
    with pytest.raises(TypeError, match="not a connection of a known engine"):
        engine_of(object())


def test_the_raw_writer_follows_the_engine_class(tmp_path: Path) -> None:
    from ingest import duckdb_writer, postgres_writer
    from tests.support import settings_for

    settings = settings_for(tmp_path)
    assert writer_for(DuckDBEngine(settings)) is duckdb_writer.insert_files
    assert writer_for(PostgresEngine(settings)) is postgres_writer.insert_files

    class AttachedDuckDB(DuckDBEngine):
        name = "attached_duckdb"

    assert writer_for(AttachedDuckDB(settings)) is duckdb_writer.insert_files, "a subclass inherits"

    class Other(Engine):
        name = "other"

    with pytest.raises(LoadError, match="no raw loader for the other engine"):
        writer_for(Other(settings))
