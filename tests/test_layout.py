"""The layering rule: each source folder imports only the folders below it, no file
imports in a circle. Every import counts, lazy and TYPE_CHECKING ones included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Bottom to top (setup.py maps each to spanwise.<name>; spanwise/ is the facade on top).
ORDER = [
    "semconv",
    "common",
    "model",
    "instrumentations",
    "store",
    "exporter",
    "viewer",
    "server",
    "spanwise",
]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["spanwise", *(parts[1:] if parts[0] == "spanwise" else parts)])


def _folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ORDER else "spanwise"


def _imports() -> dict[str, set[str]]:
    """Module -> the spanwise modules (files) it imports."""
    files = {_module(p): p for folder in ORDER for p in (ROOT / folder).rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*pkg, base] if base else pkg)
                names = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for name in names:
                target = name
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != module:
                    found.add(target)
        edges[module] = found
    return edges


def test_folders_import_only_the_folders_below() -> None:
    rank = {name: index for index, name in enumerate(ORDER)}
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in _imports().items()
        for target in targets
        if rank[_folder(target)] > rank[_folder(module)]
        # a package's __init__ may name its own submodules
        and not target.startswith(module + ".")
    )
    assert upward == []


def test_no_file_imports_in_a_circle() -> None:
    edges = _imports()
    # Package __init__ files re-export their submodules: an edge from a submodule up to
    # its own package's __init__ is not a file cycle.
    for module, targets in edges.items():
        edges[module] = {t for t in targets if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_every_source_folder_is_in_the_order() -> None:
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert folders - {"tests", "benchmarks", "examples"} == set(ORDER)
