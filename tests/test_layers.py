"""The package reads one way: blueprints -> notify -> services -> core and db -> state.

Every import inside ``kassa`` (at module level or inside a function) must point down this
order or stay inside its own layer, and no chain of imports may come back to where it started.
Imports under ``if TYPE_CHECKING:`` are annotations only and are not counted.
"""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "plugin" / "kassa"

#: Layer of each top-level module or sub-package (dotted, relative to ``kassa``); a longer
#: prefix wins, so ``payments.views`` sits above the rest of ``payments``.
LAYERS: dict[str, int] = {
    "core": 0, "translations": 0,
    "errors": 1, "config": 1, "service_settings": 1, "products": 1, "signals": 1, "i18n": 1,
    "state": 1,
    "db": 2,
    "services": 3, "invoicing": 3, "payments": 3, "workers": 3,
    "notify": 4,
    "pages": 5, "checkout": 5, "account": 5, "api": 5, "console": 5, "payments.views": 5,
    "ratelimits": 5,
    "cli": 6, "extension": 6,
    "": 7,  # the package's __init__: re-exports the public API
}
LAYER_NAMES = {0: "core", 1: "state and settings", 2: "db", 3: "services", 4: "notify",
               5: "blueprints", 6: "extension and CLI", 7: "package"}


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int:
    best = max((prefix for prefix in LAYERS
                if module == prefix or module.startswith(prefix + ".") or prefix == ""),
               key=len)
    return LAYERS[best]


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(path: pathlib.Path, modules: set[str]) -> set[str]:
    """The modules of ``kassa`` that ``path`` imports at run time (relative or absolute)."""
    name = module_name(path)
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                target = ".".join([p for p in base if p] + ([node.module] if node.module else []))
            elif node.module == "kassa" or (node.module or "").startswith("kassa."):
                target = node.module.removeprefix("kassa").removeprefix(".")
            else:
                continue
            for alias in node.names:
                child = f"{target}.{alias.name}" if target else alias.name
                found.add(child if child in modules else target)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("kassa").removeprefix(".") for a in node.names
                         if a.name == "kassa" or a.name.startswith("kassa."))
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    paths = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    # The compiled catalogs are installed as kassa.translations from the top-level folder.
    modules = {module_name(p) for p in paths} | {"translations"}
    graph = {module_name(p): imports_of(p, modules) for p in paths}
    graph["translations"] = set()
    return graph


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"kassa.{module} ({LAYER_NAMES[layer_of(module)]}) imports kassa.{target} "
        f"({LAYER_NAMES[layer_of(target)]})"
        for module, targets in graph.items() for target in targets
        if layer_of(target) > layer_of(module)
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_every_import_points_down_the_layers() -> None:
    graph = import_graph()
    assert len(graph) > 40
    assert upward_imports(graph) == []


def test_no_module_of_the_package_imports_itself_back() -> None:
    assert cycles(import_graph()) == []


def test_the_checks_catch_an_upward_import_and_a_cycle() -> None:
    graph = {"services.checkout": {"api.views"}, "api.views": {"services.checkout"}}
    assert upward_imports(graph) == [
        "kassa.services.checkout (services) imports kassa.api.views (blueprints)"]
    assert cycles(graph) == [["api.views", "services.checkout"]]


def test_every_module_has_a_layer() -> None:
    for module in import_graph():
        top = module.split(".")[0]
        assert module == "" or top in LAYERS, f"kassa.{module} belongs to no layer"
