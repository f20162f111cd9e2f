"""Python imports run one way: base (emporium) <- domains (generator, ingest, quality, ml, dashboards) <- app
(orchestration, serving)."""

import ast
from pathlib import Path

import pytest

from emporium.config import PROJECT_ROOT

BASE, DOMAINS, APP = (
    ("emporium",),
    ("generator", "ingest", "quality", "ml", "dashboards"),
    ("orchestration", "serving"),
)
# what each package may import of ours (`from x.y import z` yields x.y and x.y.z: both are judged)
ALLOWED = {
    "emporium": set(BASE),
    "generator": {*BASE, "generator"},
    "ingest": {*BASE, "ingest"},
    "quality": {*BASE, "quality"},
    "ml": {*BASE, "ml"},
    "dashboards": {*BASE, "dashboards"},
    "orchestration": {*BASE, *DOMAINS, *APP},
    "serving": {*BASE, *DOMAINS, *APP},
}
OURS = (*BASE, *DOMAINS, *APP)


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in OURS}


def _allowed(name: str, allowed: set[str]) -> bool:
    return any(name == a or name.startswith(f"{a}.") for a in allowed)


@pytest.mark.parametrize("package", list(ALLOWED))
def test_package_imports_only_what_lies_below_it(package: str) -> None:
    files = sorted((PROJECT_ROOT / package).rglob("*.py"))
    assert files
    wrong = {
        f"{path.relative_to(PROJECT_ROOT)}: {name}"
        for path in files
        for name in imports_of(path)
        if not _allowed(name, ALLOWED[package])
    }
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(wrong))


def test_the_landing_contract_imports_nothing_of_ours() -> None:
    assert not imports_of(PROJECT_ROOT / "emporium" / "contract.py")
