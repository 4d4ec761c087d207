"""Shared test fixtures and options.

- ``shared_reference``: the ``../shared/reference`` folder (skip with a reason when absent).
- Every test runs with its own empty user data folder (``PASSPLAN_DATA_DIR`` and
  ``XDG_DATA_HOME`` point into a fresh temporary folder), so no test sees the element sets a
  developer fetched with ``passplan elements update``, and no test writes into them.
- ``@pytest.mark.slow``: tests that regenerate the stored authorities in ``tests/authorities/``
  (expensive brute-force scans). Skipped unless ``--run-slow`` is given; CI runs them once with
  ``python -m pytest -q -m slow --run-slow``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = Path(os.environ.get("PASSPLAN_SHARED", ROOT.parent / "shared")) / "reference"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run tests marked slow (regenerate the stored authorities in tests/authorities/ "
        "and check the stored files are current)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: regenerates a stored authority in tests/authorities/ by brute force (tens of "
        "seconds); runs only with --run-slow",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(
        reason="slow: regenerates a stored authority by brute force; run with --run-slow "
        "(CI: python -m pytest -q -m slow --run-slow)"
    )
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty user data folder for every test.

    ``passplan.elements.user_data_dir`` reads ``PASSPLAN_DATA_DIR``, else ``XDG_DATA_HOME``, else
    ``~/.local/share``; both variables point into a new temporary folder, so neither a developer's
    fetched element sets nor their environment reach a test. Fixtures that set
    ``PASSPLAN_DATA_DIR`` themselves run after this one and win.
    """
    root = tmp_path_factory.mktemp("user-data")
    data = root / "passplan-data"
    data.mkdir()
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(data))
    monkeypatch.setenv("XDG_DATA_HOME", str(root / "xdg-data-home"))
    return data


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """Path of ``../shared/reference``; tests that need it skip when it is absent (a user's checkout)."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"{SHARED_REFERENCE} is absent (only the project's CI has ../shared)")
    return SHARED_REFERENCE
