"""Imports under service/ run one way: no module imports itself back through others, and no room
(``service.api``, ``service.runtime``, ``service.domain``, ``service.cli`` ...) does either.

Every import counts: at module level, inside functions and methods, and under
``if TYPE_CHECKING:``. A function-level import is a dependency that only waits to run, and a
type-only one still makes one module's meaning depend on another's; both would hide a cycle.
Importing ``a.b.c`` counts as a dependency on ``a.b.c`` alone (the parent packages' ``__init__``
modules run too, but a package that re-exports its own modules is not a cycle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import service

ROOT = Path(service.__file__).resolve().parent
PACKAGE = "service"


def module_name(path: Path, root: Path, package: str) -> str:
    """``service/api/views.py`` -> ``service.api.views``; ``service/api/__init__.py`` ->
    ``service.api``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def modules_of(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package at ``root``: dotted name -> file."""
    return {module_name(p, root, package): p for p in sorted(root.rglob("*.py"))}


def imports_of(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` (file ``path``) imports, anywhere in it.

    ``from X import y`` is an import of ``X.y`` when that is a module, else of ``X``; relative
    imports are resolved against the module's package.
    """
    known = set(known)
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                module = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                add(candidate if candidate in known else module)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    mods = modules_of(root, package)
    return {name: imports_of(name, path, mods) for name, path in mods.items()}


def room_of(module: str, package: str) -> str:
    """``service.api.views`` -> ``service.api``; ``service.cli`` -> ``service.cli``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else package


def room_graph(graph: Mapping[str, set[str]], package: str) -> dict[str, set[str]]:
    """The import graph between rooms (first-level modules and packages)."""
    rooms: dict[str, set[str]] = {}
    for source, targets in graph.items():
        room = room_of(source, package)
        rooms.setdefault(room, set())
        for target in targets:
            other = room_of(target, package)
            if other != room and other != package:
                rooms[room].add(other)
    return rooms


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one node, as a path that closes on itself
    (``[a, b, a]``), sorted; empty when the graph has no cycle (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group: set[str] = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.add(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(_cycle_in(graph, group) for group in groups)


def _cycle_in(graph: Mapping[str, set[str]], group: set[str]) -> list[str]:
    """One cycle through the smallest node of a strongly connected ``group`` (breadth first)."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for succ in sorted(graph.get(node, set()) & group):
            if succ == start:
                return [*paths[node], start]
            if succ not in paths:
                paths[succ] = [*paths[node], succ]
                queue.append(succ)
    raise AssertionError(f"no cycle in {sorted(group)}")


def _show(cycles: list[list[str]]) -> str:
    return "\n".join(" -> ".join(c) for c in cycles)


def test_no_module_cycles() -> None:
    cycles = find_cycles(import_graph(ROOT, PACKAGE))
    assert not cycles, f"import cycles under service/:\n{_show(cycles)}"


def test_no_room_cycles() -> None:
    cycles = find_cycles(room_graph(import_graph(ROOT, PACKAGE), PACKAGE))
    assert not cycles, f"rooms of service/ import each other:\n{_show(cycles)}"


ALLOWED = {
    "service": set(),
    "service.__main__": {"service.cli"},
    "service.cli": {
        "service.bootstrap",
        "service.cli_output",
        "service.config",
        "service.logs",
        "service.runtime",
    },
    "service.cli_output": {"service.domain", "service.runtime"},
    "service.bootstrap": {"service.api", "service.config", "service.runtime"},
    "service.api": {"service.config", "service.domain", "service.runtime"},
    "service.tools": {"service.config", "service.domain", "service.runtime"},
    "service.runtime": {"service.config", "service.domain", "service.logs"},
    "service.domain": set(),
    "service.config": set(),
    "service.logs": set(),
}
"""Room -> the rooms it may import: cli -> bootstrap -> api -> runtime -> domain (-> schemas,
outside ``service``); config and logs import nothing of the service. A new room is placed here."""


def test_rooms_import_only_the_rooms_below_them() -> None:
    rooms = room_graph(import_graph(ROOT, PACKAGE), PACKAGE)
    unplaced = sorted(set(rooms) - set(ALLOWED))
    assert not unplaced, f"rooms not placed in ALLOWED: {unplaced}"
    wrong = {room: sorted(targets - ALLOWED[room]) for room, targets in rooms.items()}
    wrong = {room: targets for room, targets in wrong.items() if targets}
    assert not wrong, f"imports against the direction cli -> api -> runtime -> domain: {wrong}"


def test_graph_sees_the_known_edges() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert "service.cli" in graph
    assert "service.runtime.embedded" in graph["service.cli"]
    assert "service.domain.projection" in graph["service.runtime.embedded"]


def test_detector_finds_cycles(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "low").mkdir(parents=True)
    (pkg / "high").mkdir()
    for init in (pkg, pkg / "low", pkg / "high"):
        (init / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.high.b import B\n"
    )
    (pkg / "low" / "c.py").write_text("def f():\n    from ..high import b\n")
    (pkg / "high" / "b.py").write_text("from pkg.low import c\nimport pkg.low.a\n")
    graph = import_graph(pkg, "pkg")
    assert graph["pkg.low.a"] == {"pkg.high.b"}
    assert graph["pkg.low.c"] == {"pkg.high.b"}
    assert graph["pkg.high.b"] == {"pkg.low.c", "pkg.low.a"}
    assert find_cycles(graph) == [["pkg.high.b", "pkg.low.a", "pkg.high.b"]]
    assert find_cycles(room_graph(graph, "pkg")) == [["pkg.high", "pkg.low", "pkg.high"]]
    (pkg / "low" / "a.py").write_text("")
    (pkg / "low" / "c.py").write_text("")
    assert find_cycles(import_graph(pkg, "pkg")) == []
