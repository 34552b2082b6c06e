"""The core's modules import each other without cycles, at module level and inside functions alike.

A cycle hidden by an import inside a function still ties two modules together (each needs the other
to work) and breaks as soon as someone moves that import to the top. The graph is read from the
source with `ast`: every `import` / `from ... import` of a `routellm_core` module counts, wherever it
sits, except under `if TYPE_CHECKING:` (never run). An import of a name from a package counts as an
edge to the package's `__init__`; `from . import sub` counts as an edge to the submodule only. The
import of a parent package that Python does before any submodule is not an edge (every package that
imports its own submodules would be a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import routellm_core

CORE = Path(routellm_core.__file__).parent
PACKAGE = "routellm_core"

#: Cycles allowed on purpose, each a frozenset of module names with the reason. Keep it empty.
ALLOWED_CYCLES: dict[frozenset[str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class Imports(ast.NodeVisitor):
    def __init__(self, name: str, is_package: bool, modules: set[str]):
        self.package = name.split(".") if is_package else name.split(".")[:-1]
        self.modules = modules
        self.targets: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == PACKAGE:
                self.targets.add(self.known(alias.name))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package[: len(self.package) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source.split(".")[0] != PACKAGE:
            return
        submodules = {f"{source}.{alias.name}" for alias in node.names} & self.modules
        if submodules:
            self.targets |= submodules
        if len(submodules) < len(node.names):  # some names come from `source` itself
            self.targets.add(self.known(source))

    def known(self, name: str) -> str:
        while name not in self.modules:  # `import a.b.c` where c is an attribute: the nearest module
            name = name.rpartition(".")[0]
        return name


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in CORE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        visitor = Imports(name, path.name == "__init__.py", set(files))
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        graph[name] = visitor.targets - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as one cycle path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [path_through(graph, component) for component in found]


def path_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One concrete cycle inside a component, e.g. [a, b, a], for a readable failure."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & component):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return sorted(component)


def test_the_graph_sees_imports_inside_functions_and_skips_type_checking_ones():
    graph = import_graph()
    assert "routellm_core.checkpoint" in graph["routellm_core.router"]  # Router.save and config_fingerprint
    assert "routellm_core.router" not in graph["routellm_core.checkpoint"]  # only under TYPE_CHECKING
    assert "routellm_core.embedding_onnx" in graph["routellm_core.embedding_transformer"]  # inside a method
    assert "routellm_core.embedding_models" in graph["routellm_core.embedding_static"]
    assert "routellm_core.cli.group" in graph["routellm_core.cli.route"]


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_core_has_no_import_cycles():
    found = [cycle for cycle in cycles(import_graph()) if frozenset(cycle) not in ALLOWED_CYCLES]
    assert not found, "import cycles in routellm_core (move what both sides need into a module both import):\n" + \
        "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_formerly_tangled_modules_stay_apart():
    graph = import_graph()

    def reaches(source: str, target: str) -> bool:
        seen, todo = set(), [source]
        while todo:
            node = todo.pop()
            if node == target:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return False

    assert not reaches("routellm_core.checkpoint", "routellm_core.router")
    for low_level in ("routellm_core.embedding_onnx", "routellm_core.embedding_static",
                      "routellm_core.embedding_transformer", "routellm_core.embedding_models"):
        assert not reaches(low_level, "routellm_core.embedding")
    assert not reaches("routellm_core.storage", "routellm_core")  # storage imports nothing of the core
    assert not reaches("routellm_core.embedding_models", "routellm_core.evaluation")
