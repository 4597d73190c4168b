"""The house stays as its layout says: pygls/lsprotocol only under lsp/, no import cycle among modules.

Reads the sources with ``ast`` (nothing is imported). Every import counts — at module level or inside a
function (a lazy import still ties the modules together) — except under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import venvkeeper

PACKAGE = Path(venvkeeper.__file__).parent
PROTOCOL_LIBS = ("pygls", "lsprotocol")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module named by a runtime import in ``tree`` (relative imports resolved)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                package = package if is_package else package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base]) if base else ".".join(package)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets = set(_imports(tree, name, path.name == "__init__.py"))
        # "from venvkeeper.lsp import protocol" names a module; "from venvkeeper.x import f" names x.
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _is_package_of(module: str, package: str) -> bool:
    """A package's ``__init__`` importing its own submodules (or the reverse) is not a layering cycle."""
    return module == package or module.startswith(package + ".")


def test_no_import_cycle_among_server_modules() -> None:
    graph = import_graph()
    # A package __init__ and its submodules import each other by construction; only edges between
    # distinct modules that are not a package and its own child count.
    pruned = {
        m: {t for t in ts if not _is_package_of(m, t) and not _is_package_of(t, m)} for m, ts in graph.items()
    }
    assert cycles(pruned) == []


def test_only_lsp_imports_the_protocol_libraries() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        if name.startswith("venvkeeper.lsp"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        used = {t.split(".")[0] for t in _imports(tree, name, path.name == "__init__.py")}
        if used & set(PROTOCOL_LIBS):
            offenders.append(name)
    assert offenders == []
