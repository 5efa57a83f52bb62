"""engine/ is layered one way (issue 19): no import cycle among its modules, counting imports
inside functions and under TYPE_CHECKING too, nothing from service/, no file over 600 lines."""
from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"


def _imports(path: Path) -> set[str]:
    """The engine modules one module imports (engine.x names), anywhere in the file."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = node.module or ""
                if base:
                    out.add(base.split(".")[0])
                else:
                    out.update(a.name for a in node.names)
            elif node.module and node.module.startswith("engine."):
                out.add(node.module.split(".")[1])
            elif node.module == "engine":
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("engine."))
    modules = {p.stem for p in ENGINE.glob("*.py")}
    return {m for m in out if m in modules and m != "__init__"}


def _graph() -> dict[str, set[str]]:
    return {p.stem: _imports(p) for p in ENGINE.glob("*.py") if p.stem != "__init__"}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2
    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_inside_engine():
    graph = _graph()
    assert "organisations" in graph["loader"] and "yamlfile" in graph["organisations"]
    assert _cycles(graph) == []


def test_engine_never_imports_service():
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            assert not any(n == "service" or n.startswith("service.") for n in names), path.name


def test_no_engine_file_over_600_lines():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in ENGINE.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 600} == {}
