"""The package layout: subpackages by concept, no import cycles, a curated API."""

from __future__ import annotations

import ast
from pathlib import Path

import peakend

from conftest import ROOT

SOURCE = ROOT / "src" / "peakend"


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _under_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """peakend modules that ``path`` imports at run time (function-level imports included)."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if _under_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name in known and name != here}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(SOURCE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    return {module_name(path): imported_modules(path, known) for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles_not_even_inside_functions() -> None:
    graph = import_graph()
    assert len(graph) > 40  # the walk really read the package
    assert find_cycle(graph) is None


def test_only_the_package_root_imports_the_package_root() -> None:
    """Library modules import what they need from its own module, never ``from peakend``."""
    graph = import_graph()
    offenders = sorted(name for name, targets in graph.items() if "peakend" in targets)
    assert offenders == []


def test_modules_live_in_subpackages_by_concept() -> None:
    top_level = sorted(path.stem for path in SOURCE.glob("*.py"))
    assert top_level == ["__init__", "__main__", "_version"] or top_level == [
        "__init__",
        "_version",
    ]
    packages = {path.parent.name for path in SOURCE.glob("*/__init__.py")}
    expected = {"engine", "experience", "retention", "experiments", "analysis", "classics"}
    assert expected | {"output", "cli", "config"} <= packages


def test_the_public_api_is_curated() -> None:
    names = peakend.__all__
    assert len(names) == len(set(names))
    assert 15 <= len(names) <= 30
    for name in names:
        assert getattr(peakend, name) is not None


def test_test_modules_have_unique_basenames() -> None:
    """pytest's default (prepend) import mode imports test files by basename."""
    names = [path.name for path in (ROOT / "tests").rglob("test_*.py")]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert duplicates == []


def test_printing_belongs_to_the_command_line() -> None:
    """Library modules return reports and raise errors; only ``peakend.cli`` prints."""
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "cli" in path.relative_to(SOURCE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("print", "click.echo", "console.print") or name.endswith(".echo"):
                    offenders.append(f"{module_name(path)}: {name}")
    assert offenders == []
