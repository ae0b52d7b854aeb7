"""The core's import graph: no cycles (TYPE_CHECKING imports included), no adapter imports."""

from __future__ import annotations

import ast
from pathlib import Path

import interop.core

CORE = Path(interop.core.__file__).parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"interop.core.{p.stem}": p for p in CORE.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path) & modules.keys() for name, path in modules.items()}


def test_core_has_no_import_cycles() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join([*path, module]))
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_core_imports_no_adapter_or_web_code() -> None:
    banned = ("interop.rest", "interop.a2a", "interop.mcp", "interop.storage", "starlette")
    for path in CORE.glob("*.py"):
        bad = {m for m in _imports(path) if m.startswith(banned)}
        assert not bad, f"{path.name} imports {sorted(bad)}"
