"""The package layout: packages in layers that import only downward, no cycles, a curated API.

``ALLOWED`` is the table of package-to-package imports: a package imports itself and
the packages listed for it, nothing else, counting imports inside functions and under
``TYPE_CHECKING`` (a type is a dependency too) and ``import_module("peakend.x")``
with a literal name. ``LAYERS`` orders the packages bottom to top and every allowed
edge points down it. ``docs/architecture.md`` and ``docs/figures/layers.svg`` are drawn
from these two tables (``python docs/architecture_graph.py``), and a test checks they match.

To add an import between packages: add the edge to ``ALLOWED`` (it must point down
``LAYERS``) and run the script; a new package gets a place in ``LAYERS`` first.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "peakend"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (layer, its packages), bottom to top. A top-level module is a package of its own:
    # "_version" (the version), "peakend" (the package root, the public API), "__main__".
    ("base", ("_version", "base")),
    ("config", ("config",)),
    ("engine", ("engine",)),
    ("experience", ("experience",)),
    ("simulation", ("simulation",)),
    ("measures", ("analysis",)),
    ("retention", ("retention",)),
    ("runs", ("runs",)),
    ("store", ("store",)),
    ("experiments", ("experiments",)),
    ("calibration", ("calibration",)),
    ("classics", ("classics",)),
    ("presentation", ("output",)),
    ("optimise", ("optimise",)),
    ("checks", ("checks",)),
    ("command line", ("cli",)),
    ("entry points", ("peakend", "__main__")),
)

_BASE = frozenset({"_version", "base"})

ALLOWED: dict[str, frozenset[str]] = {
    "_version": frozenset(),
    "base": frozenset(),
    "config": _BASE,
    "engine": _BASE | {"config"},
    "experience": _BASE | {"config", "engine"},
    "simulation": _BASE | {"config", "engine", "experience"},
    "analysis": _BASE | {"config", "engine", "simulation"},
    "retention": _BASE | {"analysis", "config", "engine", "experience", "simulation"},
    "runs": _BASE | {"analysis", "config", "experience", "retention", "simulation"},
    "store": _BASE | {"analysis", "config", "runs"},
    "experiments": _BASE | {"analysis", "config", "runs", "store"},
    "calibration": _BASE | {"analysis", "config", "experience", "simulation", "store"},
    "classics": _BASE | {"analysis", "config", "experience"},
    "checks": _BASE
    | {"analysis", "classics", "config", "engine", "optimise", "retention", "runs", "simulation"},
    "output": _BASE | {"analysis", "config", "experiments", "runs", "store"},
    "optimise": _BASE | {"analysis", "config", "engine", "experiments", "output", "runs", "store"},
    "cli": _BASE
    | {"calibration", "checks", "classics", "config", "experiments", "optimise", "output"}
    | {"runs", "store"},
    # The root re-exports the public API from any layer (lazily, see peakend/__init__.py).
    "peakend": frozenset(
        {"_version", "analysis", "base", "calibration", "config", "engine", "experience"}
        | {"experiments", "retention", "runs", "simulation"}
    ),
    "__main__": frozenset({"cli"}),
}
"""Each package and the packages it may import (besides itself)."""


def module_name(path: Path, source: Path = SOURCE) -> str:
    """``peakend.engine.journey`` for ``source/engine/journey.py`` (``source`` = the package)."""
    parts = path.relative_to(source.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


@functools.cache
def imports_of(path: Path, source: Path = SOURCE) -> tuple[tuple[str, int, bool], ...]:
    """Every name ``path`` imports: ``(dotted name, line, under TYPE_CHECKING)``.

    ``from a import b`` gives ``a`` and ``a.b`` (``b`` may be a module); relative
    imports are resolved; ``import_module("x.y")`` with a literal name gives ``x.y``.
    Imports anywhere count: module level, inside functions, under ``TYPE_CHECKING``
    (an import in either branch of an ``if TYPE_CHECKING`` is marked hidden).
    """
    here = module_name(path, source)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []
    stack: list[tuple[ast.AST, bool]] = [(ast.parse(path.read_text()), False)]
    while stack:
        node, hidden = stack.pop()
        hidden = hidden or _is_type_checking_block(node)
        stack.extend((child, hidden) for child in ast.iter_child_nodes(node))
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        found.extend((name, node.lineno, hidden) for name in names)  # type: ignore[attr-defined]
    return tuple(sorted(found, key=lambda item: (item[1], item[0])))


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """peakend modules that ``path`` imports at run time (function-level imports included)."""
    here = module_name(path)
    return {
        name
        for name, _, hidden in imports_of(path)
        if not hidden and name in known and name != here
    }


def import_graph() -> dict[str, set[str]]:
    paths = sorted(SOURCE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    return {module_name(path): imported_modules(path, known) for path in paths}


def package_of(module: str, root: str) -> str | None:
    """The package a module belongs to: ``engine`` for ``peakend.engine.journey``,
    ``peakend`` for the root itself; None for a module outside ``root``."""
    if module == root:
        return root
    if not module.startswith(root + "."):
        return None
    return module.split(".")[1]


def package_edges(source: Path = SOURCE) -> dict[tuple[str, str], list[str]]:
    """Every import from one package to another: ``(importer, imported)`` -> where.

    ``source`` is the package directory (``src/peakend``); ``from peakend import x``
    imports the root (whatever ``x`` is: the root runs first and re-exports).
    """
    root = source.name
    paths = sorted(source.rglob("*.py"))
    known = {module_name(path, source) for path in paths}
    edges: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        importer = package_of(module_name(path, source), root)
        for name, line, _ in imports_of(path, source):
            if name in known:
                imported = package_of(name, root)
            elif name.rpartition(".")[0] == root:
                imported = root  # a name the root defines or re-exports
            else:
                continue  # a name from a module (the module is listed too) or not ours
            if importer is None or imported is None or imported == importer:
                continue
            where = f"{path.relative_to(source.parent)}:{line} imports {name}"
            edges.setdefault((importer, imported), []).append(where)
    return edges


def forbidden_edges(source: Path, allowed: Mapping[str, frozenset[str]]) -> list[str]:
    """One line per package-to-package import that ``allowed`` does not list."""
    return [
        f"{importer} -> {imported}: {'; '.join(sorted(set(where)))}"
        for (importer, imported), where in sorted(package_edges(source).items())
        if imported not in allowed.get(importer, frozenset())
    ]


def layer_index() -> dict[str, int]:
    """Each package's layer, 0 at the bottom."""
    return {package: i for i, (_, packages) in enumerate(LAYERS) for package in packages}


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


def test_packages_import_only_the_packages_the_table_allows() -> None:
    """Every import between packages is in ALLOWED (in functions and TYPE_CHECKING too)."""
    edges = package_edges()
    assert len(edges) > 40  # the walk really read the package
    assert forbidden_edges(SOURCE, ALLOWED) == []


def test_every_package_has_a_layer_and_a_row_of_the_table() -> None:
    on_disk = {path.parent.name for path in SOURCE.glob("*/__init__.py")}
    on_disk |= {path.stem for path in SOURCE.glob("*.py") if path.stem != "__init__"}
    on_disk.add("peakend")
    in_layers = [package for _, packages in LAYERS for package in packages]
    assert len(in_layers) == len(set(in_layers))  # one layer per package
    assert set(in_layers) == on_disk, "give a new package a layer in LAYERS and a row in ALLOWED"
    assert set(ALLOWED) == on_disk


def test_every_allowed_edge_points_down_the_layers() -> None:
    """No two packages of one layer import each other; nothing imports a layer above it."""
    layer = layer_index()
    upward = sorted(
        f"{importer} -> {imported}"
        for importer, targets in ALLOWED.items()
        for imported in targets
        if layer[imported] >= layer[importer]
    )
    assert upward == []


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_checker_reports_an_upward_import_wherever_it_hides(tmp_path: Path) -> None:
    """A fake two-layer package: each way of importing upward is reported, with its line."""
    source = tmp_path / "src" / "fake"
    _write(source / "__init__.py", "")
    _write(source / "low" / "__init__.py", "")
    _write(source / "high" / "__init__.py", "")
    _write(source / "high" / "top.py", "from fake.low import bottom\n")  # allowed: downward
    _write(source / "low" / "bottom.py", "X = 1\n")
    _write(
        source / "low" / "upward.py",
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from fake.high.top import bottom\n"
        "def f():\n"
        "    import fake.high.top\n"
        "    from ..high import top\n"
        "    return top\n",
    )
    _write(
        source / "low" / "by_name.py",
        "from importlib import import_module\nimport_module('fake.high.top')\n",
    )
    allowed = {"fake": frozenset({"high", "low"}), "high": frozenset({"low"}), "low": frozenset()}
    assert forbidden_edges(source, allowed) == [
        "low -> high: fake/low/by_name.py:2 imports fake.high.top; "
        "fake/low/upward.py:4 imports fake.high.top; "
        "fake/low/upward.py:6 imports fake.high.top; "
        "fake/low/upward.py:7 imports fake.high; "
        "fake/low/upward.py:7 imports fake.high.top"
    ]
    # The same tree with the edge allowed passes: the report is the edge, not the tree.
    assert forbidden_edges(source, {**allowed, "low": frozenset({"high"})}) == []


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
    expected |= {"base", "simulation", "runs", "store", "checks"}
    assert expected | {"output", "cli", "config"} <= packages


def test_the_public_api_is_curated() -> None:
    import peakend

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


def _drawing_script() -> ModuleType:
    path = ROOT / "docs" / "architecture_graph.py"
    spec = importlib.util.spec_from_file_location("architecture_graph", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_architecture_page_and_figure_are_drawn_from_these_tables() -> None:
    """docs/architecture.md and docs/figures/layers.svg are what the script draws from
    LAYERS and ALLOWED (regenerate with ``python docs/architecture_graph.py``)."""
    script = _drawing_script()
    page = script.PAGE.read_text()
    block = script.render_markdown(LAYERS, ALLOWED)
    assert script.page_with_block(page, block) == page
    assert script.FIGURE.read_text() == script.render_svg(LAYERS, ALLOWED)
    for _, packages in LAYERS:
        for package in packages:
            assert f"| `{script._label(package)}` |" in block
    rows = [line for line in block.splitlines() if line.startswith("| ") and "`" in line]
    listed = sum(line.count("`") // 2 - 1 for line in rows if not line.endswith("nothing |"))
    assert listed == sum(len(targets) for targets in ALLOWED.values())


def test_the_architecture_page_says_what_each_package_holds() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    described = page.split("## What each package holds", 1)[1]
    for _, packages in LAYERS:
        for package in packages:
            if package not in ("peakend", "__main__", "_version"):
                assert f"**`{package}/`**" in described, package


def test_the_drawing_keeps_only_edges_no_chain_implies() -> None:
    script = _drawing_script()
    allowed = {"a": frozenset({"b", "c"}), "b": frozenset({"c"}), "c": frozenset()}
    assert script.reduced_edges(allowed) == [("a", "b"), ("b", "c")]
