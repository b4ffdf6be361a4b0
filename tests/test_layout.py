"""The code stays readable for a newcomer: no import circles (lazy imports inside functions count; imports
for type annotations only do not), no product module over 300 lines, function over 60 or class over 200,
and the catalogue reached only through the library."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [p for d in ("modules", "models", "pages") for p in sorted((ROOT / d).rglob("*.py"))] + [ROOT / "main.py"]


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST):
    """Every import statement, leaving out the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def import_graph() -> dict[str, set[str]]:
    modules = {_name(p): p for p in PRODUCT}

    def resolve(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for name, path in modules.items():
        deps = set()
        for node in _imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps.update(resolve(a.name) for a in node.names)
            elif node.module:
                # "from package import submodule" depends on the submodule, else on the module named
                deps.update(resolve(f"{node.module}.{a.name}") if f"{node.module}.{a.name}" in modules
                            else resolve(node.module) for a in node.names)
        graph[name] = deps - {"", name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_the_circle_check_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_long_modules_functions_or_classes():
    long = []
    for path in PRODUCT:
        src = path.read_text()
        where = path.relative_to(ROOT)
        if src.count("\n") > 300:
            long.append(f"{where}: {src.count(chr(10))} lines")
        for node in ast.walk(ast.parse(src)):
            size = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and size > 60:
                long.append(f"{where}:{node.lineno} function {node.name}: {size} lines")
            if isinstance(node, ast.ClassDef) and size > 200:
                long.append(f"{where}:{node.lineno} class {node.name}: {size} lines")
    assert long == []


def test_the_catalogue_is_reached_only_through_the_library():
    outside = [p.relative_to(ROOT) for p in PRODUCT if "store" not in p.parts
               and any(word in p.read_text() for word in (".catalog.", "._catalog", "store.catalog"))]
    assert outside == []
