"""Our code uses other packages through their public APIs only: no private module (`dagster._core...`,
`pkg._private`) and no private name (`from pkg import _helper`), which can change in any minor release."""

import ast
from pathlib import Path

from emporium.config import PROJECT_ROOT

OURS = ("emporium", "generator", "ingest", "quality", "ml", "serving", "orchestration")
SCANNED = (*OURS, "benchmarks", "scripts", "tests")


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def private_imports(path: Path) -> list[str]:
    """`line: import` for each private module or name of another package that `path` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [
            f"{node.lineno}: {name}" for name in names if name.split(".")[0] not in OURS and _private(name)
        ]
    return found


def test_private_imports_are_recognised(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from dagster._core.storage.tags import X\nimport pkg._private\nfrom pkg import _helper\n"
        "import os.path\nfrom __future__ import annotations\nfrom orchestration.warehouse import _build\n",
        encoding="utf-8",
    )
    assert private_imports(probe) == [
        "1: dagster._core.storage.tags",
        "1: dagster._core.storage.tags.X",
        "2: pkg._private",
        "3: pkg._helper",
    ]


def test_no_module_of_ours_imports_a_private_module() -> None:
    files = [path for folder in SCANNED for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))]
    assert len(files) > 50
    wrong = [f"{path.relative_to(PROJECT_ROOT)}:{hit}" for path in files for hit in private_imports(path)]
    assert not wrong, "private imports (use the package's public API):\n" + "\n".join(wrong)
