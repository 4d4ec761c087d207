"""Names a package loads from its submodules on first use (PEP 562 module ``__getattr__``), so
importing the package costs nothing until a name that needs numpy, Skyfield or scipy is touched."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


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
