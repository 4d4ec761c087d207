"""The shape of the package: no import cycle among passplan's modules, the import-linter contracts
in pyproject.toml hold, and the light modules stay free of scipy."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "passplan"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_files() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _runtime_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run when the module is imported: not function bodies, not TYPE_CHECKING blocks."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If):
            test = ast.unparse(node.test)
            if test in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                yield from _runtime_statements(node.orelse)
                continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _runtime_statements([n for n in inner if isinstance(n, ast.stmt)])
            if field == "handlers" and inner:
                for handler in inner:
                    yield from _runtime_statements(handler.body)


def module_level_imports(name: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """passplan modules that ``name`` imports when it is imported (``from . import x`` counts as
    an import of the submodule ``x`` when there is one)."""
    return _imports_of(name, path, modules, _runtime_statements(ast.parse(path.read_text(encoding="utf-8")).body))


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: module_level_imports(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One shortest cycle through each strongly connected component of more than one module
    (Tarjan's algorithm, then a breadth-first search inside the component)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in components:
        members, start = set(comp), comp[0]
        paths = {start: [start]}
        frontier = [start]
        cycle: list[str] | None = None
        while frontier and cycle is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & members):
                    if w == start:
                        cycle = paths[v] + [start]
                        break
                    if w not in paths:
                        paths[w] = paths[v] + [w]
                        nxt.append(w)
                if cycle:
                    break
            frontier = nxt
        cycles.append(cycle or comp)
    return cycles


def test_cycle_finder_names_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_sees_relative_and_submodule_imports() -> None:
    graph = import_graph()
    assert "passplan.satellite" in graph["passplan.elements"]
    assert "passplan.satellite" in graph["passplan.designed"]
    assert "passplan.link.background" in graph["passplan.link.budget"]  # from . import background
    # lazy and TYPE_CHECKING imports do not run at import time
    assert "passplan.link" not in graph["passplan.designed"]
    assert "passplan.link.budget" not in graph["passplan.link"]


def test_no_import_cycle_in_passplan() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles (module-level imports): " + "; ".join(
        " -> ".join(c) for c in cycles
    )


def _all_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of a module, function and class bodies included, but not TYPE_CHECKING
    blocks (imports for type checkers only, never run)."""
    for node in body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            yield from _all_statements(node.orelse)
            continue
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from _all_statements([child])
            elif isinstance(child, ast.ExceptHandler):
                yield from _all_statements(child.body)
            elif isinstance(child, ast.match_case):
                yield from _all_statements(child.body)


def _imports_of(name: str, path: Path, modules: Mapping[str, Path], statements: Iterator[ast.stmt]) -> set[str]:
    """passplan modules imported by ``statements`` of module ``name``: relative imports resolved,
    a package as its ``__init__``, ``from pkg import name`` as the submodule ``pkg.name`` when
    there is one (else the package)."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in statements:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "passplan")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "passplan":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in modules else target)
    out.discard(name)
    return {m for m in out if m in modules}


def every_import_graph() -> dict[str, set[str]]:
    """The import graph with the imports inside functions and methods too (lazy imports run
    on first use and close a cycle as surely as module-level ones); TYPE_CHECKING-only imports
    are left out (they never run)."""
    modules = module_files()
    return {
        name: _imports_of(name, path, modules, _all_statements(ast.parse(path.read_text(encoding="utf-8")).body))
        for name, path in modules.items()
    }


def test_every_import_graph_sees_imports_inside_functions() -> None:
    graph = every_import_graph()
    assert "passplan.link.profiles" in graph["passplan.designed"]  # a lazy import inside a function
    assert "passplan.link.budget" not in graph["passplan.link"]  # TYPE_CHECKING only
    assert "passplan.link.background" in graph["passplan.link.budget"]


def test_no_import_cycle_of_any_kind() -> None:
    """No cycle even through imports inside functions (``cli.passes`` -> ``cli.next_pass`` ->
    ``cli.passes`` was one, ``passes.columns`` -> ``passes`` -> ``passes.columns`` another)."""
    cycles = find_cycles(every_import_graph())
    assert not cycles, "import cycles (imports inside functions included): " + "; ".join(
        " -> ".join(c) for c in cycles
    )


def test_satellite_imports_nothing_that_builds_on_it() -> None:
    graph = import_graph()
    assert not graph["passplan.satellite"] & {"passplan.elements", "passplan.designed"}


def _lint_imports() -> str:
    exe = Path(sys.executable).with_name("lint-imports")
    found = str(exe) if exe.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.skip("lint-imports (import-linter, in the test extra) is not installed")
    return found


def test_import_linter_contracts_hold() -> None:
    out = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_cli_contract_covers_every_library_module() -> None:
    """The 'library without CLI' contract lists its modules one by one: a new top-level module
    must be added to it (pyproject.toml, [tool.importlinter])."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "library-without-cli"]
    top = {p.stem if p.suffix == ".py" else p.name for p in PACKAGE.iterdir()
           if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    expected = {f"passplan.{m}" for m in top} - {"passplan.cli"}
    assert set(contract["source_modules"]) == expected


def test_light_modules_import_no_scipy() -> None:
    """The physics cores import scipy only inside the functions that need it."""
    light = [
        "passplan.link", "passplan.link.terms", "passplan.link.budget", "passplan.link.beam",
        "passplan.link.turbulence", "passplan.link.profiles", "passplan.keyrate",
        "passplan.keyrate.protocol", "passplan.keyrate.passkey", "passplan.keyrate.pooling",
        "passplan.keyrate.leakage", "passplan.keyrate.asymptotic", "passplan.satellite",
        "passplan.elements",
    ]
    code = f"import sys\nfor m in {light!r}: __import__(m)\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=120)
    assert out.stdout.strip() == "[]"
