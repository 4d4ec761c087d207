"""Names a package loads from its submodules on first use (PEP 562 module ``__getattr__``), so
importing the package costs nothing until a name that needs numpy, Skyfield or scipy is touched.

:func:`lazy_block` reads the names from the package's own ``if TYPE_CHECKING:`` block of
relative imports (the idea of Scientific Python's SPEC 1 ``lazy_loader.attach_stub``, which reads
a ``.pyi`` stub): that block is the one list of the package's public names. Type checkers and
IDEs read it as ordinary imports; at run time it is parsed (with :mod:`ast`, on the first look-up
of a name, never at ``import``) into the name -> submodule table and the package's ``__all__``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names", "lazy_block", "type_checking_imports"]


def lazy_names(
    package: str, namespace: dict[str, Any], table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``table`` maps each name to the submodule
    (relative, e.g. ``"budget"``) that defines it; a loaded name is cached in ``namespace`` so
    later look-ups skip the hook. ``dir()`` lists the package's ``__all__``."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        # the package's public names (its __all__, read when asked: it may be defined later)
        return sorted(namespace.get("__all__", set(namespace) | set(table)))

    return __getattr__, __dir__


def type_checking_imports(path: str) -> dict[str, str]:
    """Name -> relative submodule of every ``from .module import name`` inside the top-level
    ``if TYPE_CHECKING:`` blocks of the source file ``path``, in source order."""
    import ast

    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    table: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.level == 1 and stmt.module:
                    for alias in stmt.names:
                        table[alias.asname or alias.name] = stmt.module
    return table


def lazy_block(
    package: str, path: str, namespace: dict[str, Any], extra: tuple[str, ...] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` (its ``__init__`` at ``path``) whose public
    names are the imports of its ``if TYPE_CHECKING:`` block (:func:`type_checking_imports`),
    plus ``extra`` names the package defines itself; ``__all__`` is those names, made on first
    use."""
    table: dict[str, str] = {}

    def load() -> dict[str, str]:
        if not table:
            table.update(type_checking_imports(path))
            namespace["__all__"] = [*extra, *table]
        return table

    def __getattr__(name: str) -> Any:
        if name == "__all__":
            load()
            return namespace["__all__"]
        module = load().get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        load()
        return sorted(namespace["__all__"])

    return __getattr__, __dir__
