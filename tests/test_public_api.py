"""The package's public names are listed once (the ``if TYPE_CHECKING:`` block of
passplan/__init__.py, read at run time by passplan.lazy.lazy_block) and every one resolves."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import tokenize
from collections import Counter
from pathlib import Path

import passplan
from passplan.lazy import type_checking_imports

INIT = Path(passplan.__file__)


def test_every_public_name_resolves_from_its_declared_module():
    table = type_checking_imports(str(INIT))
    assert len(table) >= 40
    assert passplan.__all__ == ["__version__", *table]
    for name, module in table.items():
        value = getattr(passplan, name)
        assert value is getattr(importlib.import_module(f"passplan.{module}"), name), name
    assert sorted(dir(passplan)) == sorted(passplan.__all__)


def test_each_public_name_is_written_once_in_the_package_init():
    """No second list (no _LAZY table, no literal __all__) to fall out of step with the first."""
    code = [t.string for t in tokenize.generate_tokens(io.StringIO(INIT.read_text()).readline) if t.type == tokenize.NAME]
    counts = Counter(code)
    twice = {n: counts[n] for n in passplan.__all__ if n != "__version__" and counts[n] != 1}
    assert not twice, f"public names written more than once in {INIT}: {twice}"


def test_unknown_name_is_an_attribute_error():
    try:
        passplan.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:  # pragma: no cover
        raise AssertionError("an unknown name must raise AttributeError")


def test_star_import_loads_every_name_and_import_alone_loads_no_numpy():
    code = (
        "import sys, passplan; assert 'numpy' not in sys.modules and 'ast' not in sys.modules\n"
        "ns = {}; exec('from passplan import *', ns)\n"
        "missing = [n for n in passplan.__all__ if n not in ns]; assert not missing, missing\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_public_name_is_shadowed_by_a_submodule():
    """``passplan.coverage`` is a package: a public function of that name would be replaced by
    the submodule as soon as anything imports it."""
    import pkgutil

    subs = {m.name for m in pkgutil.iter_modules(passplan.__path__)}
    assert not (set(passplan.__all__) & subs)
