"""The import graph of eventsapp has no cycles: imports run down, from views and tasks to
services, models and the ground modules (text, timefmt, web, …), never back up.

The graph is read from the source (no module is imported): every `import` and `from … import`
of an eventsapp module, at module level or inside a function. A function-level import counts
like any other unless a comment on its line or on the line above says why it is deferred
(a registry looked up by name, an optional domain, a cost paid only by one command): hiding an
upward import in a function does not make it run down.
"""
from __future__ import annotations

import ast
import re
from itertools import pairwise
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "eventsapp"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name `from <node.module> import …` refers to, from module `importer`."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


NOQA = re.compile(r"^noqa(:\s*[A-Z]+[0-9]+(,\s*[A-Z]+[0-9]+)*)?")


def _justified(lines: list[str], node: ast.stmt) -> bool:
    """A comment on the import's line (more than a noqa), or a comment line just above the group
    of imports it belongs to (one reason may serve the imports written together)."""
    own = lines[node.lineno - 1]
    if "#" in own and NOQA.sub("", own.split("#", 1)[1].strip()).strip():
        return True
    number = node.lineno - 2
    while number >= 0 and (lines[number].strip().startswith(("from ", "import ")) or not lines[number].strip()):
        number -= 1
    return number >= 0 and lines[number].strip().startswith("#")


def _imports(name: str, path: Path, modules: dict[str, Path]):
    """(imported module, line, deferred) for each eventsapp module `name` imports, at any depth."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    top_level = set(map(id, tree.body))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node)
            # `from . import tasks` names a module; `from .tasks import run` names a function in one.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        deferred = id(node) not in top_level
        if deferred and _justified(lines, node):
            continue
        for target in targets:
            if target in modules and target != name:
                yield target, node.lineno, deferred


def import_graph() -> dict[str, dict[str, tuple[int, bool]]]:
    """module -> {imported module: (line, deferred)} over eventsapp."""
    modules = _modules()
    graph: dict[str, dict[str, tuple[int, bool]]] = {}
    for name, path in modules.items():
        edges = graph.setdefault(name, {})
        for target, line, deferred in _imports(name, path, modules):
            edges.setdefault(target, (line, deferred))
    return graph


def cycles(graph: dict[str, dict[str, tuple[int, bool]]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_one_cycle(graph, group) for group in groups]


def _one_cycle(graph, group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node]):
            if target == start:
                return paths[node] + [start]
            if target in group and target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")


def _describe(graph, cycle: list[str]) -> str:
    steps = []
    for importer, imported in pairwise(cycle):
        line, deferred = graph[importer][imported]
        where = "in a function" if deferred else "at module level"
        steps.append(f"  {importer} imports {imported} (line {line}, {where})")
    return "\n".join(steps)


def test_the_import_graph_has_no_cycles():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles (move the shared code down, or say in a comment why the import is deferred):\n" + \
        "\n\n".join(_describe(graph, cycle) for cycle in found)


def test_the_graph_sees_function_level_imports_and_their_reasons(tmp_path):
    """The walk itself: a deferred import without a reason is an edge; one with a reason is not."""
    source = (
        "from . import ground\n"
        "def f():\n"
        "    from .tasks import run\n"
        "def g():\n"
        "    # the registry is filled by the domains, looked up when called\n"
        "    from .blueprints import DOMAINS\n"
        "def h():\n"
        "    from . import views  # noqa: F401\n"
        "def i():\n"
        "    # the CLI loads a domain only for the command run\n"
        "    from . import cli\n"
        "\n"
        "    from . import models  # noqa: F401  (every model known to Alembic)\n"
    )
    path = PACKAGE / "services_example.py"
    modules = {name: path for name in ("eventsapp.services_example", "eventsapp.ground", "eventsapp.tasks",
                                       "eventsapp.blueprints", "eventsapp.views", "eventsapp.cli", "eventsapp.models")}
    tree_path = tmp_path / "services_example.py"
    tree_path.write_text(source, encoding="utf-8")
    found = {target: deferred for target, _, deferred in _imports("eventsapp.services_example", tree_path, modules)}
    assert found == {"eventsapp.ground": False, "eventsapp.tasks": True, "eventsapp.views": True}
    graph = {"a": {"b": (1, False)}, "b": {"c": (3, True)}, "c": {"a": (2, False)}, "d": {"a": (1, False)}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
