"""service/domain stays pure: no broker, database, network or web-server imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import service.domain

FORBIDDEN = {"faust", "aiokafka", "kafka", "sqlite3", "socket", "aiohttp", "requests", "httpx"}
DOMAIN = Path(service.domain.__file__).resolve().parent
MODULES = sorted(DOMAIN.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def test_modules_found() -> None:
    names = {p.relative_to(DOMAIN).as_posix() for p in MODULES}
    assert "identity.py" in names
    assert "extraction/__init__.py" in names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DOMAIN).as_posix())
def test_no_io_imports(path: Path) -> None:
    bad = imported_roots(path) & FORBIDDEN
    assert not bad, f"{path.relative_to(DOMAIN)} imports {sorted(bad)}"


def test_detector_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import faust\nfrom aiokafka.client import X\nimport os.path\n")
    assert imported_roots(sample) >= {"faust", "aiokafka", "os"}
