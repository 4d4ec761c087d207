"""Shared test fixtures and options.

- ``shared_reference``: the ``../shared/reference`` folder (skip with a reason when absent).
- ``isolated_data_dir`` (autouse): every test runs with its own empty user data folder
  (``PASSPLAN_DATA_DIR`` and ``XDG_DATA_HOME`` point into a fresh temporary folder), so no test
  sees the element sets a developer fetched with ``passplan elements update``, and no test
  writes into them.
- Every test is offline: a connection or name lookup beyond this machine (loopback) fails at
  once with a message, instead of reaching CelesTrak or hanging on a missing network.
- ``@pytest.mark.slow``: tests that regenerate the stored authorities in ``tests/authorities/``
  (expensive brute-force scans). Skipped unless ``--run-slow`` is given; CI runs them once with
  ``python -m pytest -q -m slow --run-slow``.
- ``@pytest.mark.notebooks``: tests that execute the notebooks in ``notebooks/`` (a minute or two).
  Skipped unless ``--run-notebooks`` is given; CI runs them with
  ``python -m pytest -q -m notebooks --run-notebooks``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
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
    parser.addoption(
        "--run-notebooks",
        action="store_true",
        default=False,
        help="also run tests marked notebooks (execute every notebook in notebooks/)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: regenerates a stored authority in tests/authorities/ by brute force (tens of "
        "seconds); runs only with --run-slow",
    )
    config.addinivalue_line(
        "markers",
        "notebooks: executes a notebook of notebooks/ with nbclient; runs only with --run-notebooks",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skips = {}
    if not config.getoption("--run-slow"):
        skips["slow"] = pytest.mark.skip(
            reason="slow: regenerates a stored authority by brute force; run with --run-slow "
            "(CI: python -m pytest -q -m slow --run-slow)"
        )
    if not config.getoption("--run-notebooks"):
        skips["notebooks"] = pytest.mark.skip(
            reason="notebooks: executes a notebook; run with --run-notebooks "
            "(CI: python -m pytest -q -m notebooks --run-notebooks)"
        )
    for item in items:
        for marker, skip in skips.items():
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty user data folder for every test.

    ``passplan.elements.user_data_dir`` reads ``PASSPLAN_DATA_DIR``, else ``XDG_DATA_HOME``, else
    ``~/.local/share``; both variables point into a new temporary folder, so neither a developer's
    fetched element sets nor their environment reach a test. Request it by name to get the
    folder (``passplan elements update`` writes there). Fixtures that set ``PASSPLAN_DATA_DIR``
    themselves run after this one and win.
    """
    root = tmp_path_factory.mktemp("user-data")
    data = root / "passplan-data"
    data.mkdir()
    monkeypatch.setenv("PASSPLAN_DATA_DIR", str(data))
    monkeypatch.setenv("XDG_DATA_HOME", str(root / "xdg-data-home"))
    return data


_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _is_local(host: object) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the wildcard or loopback address of a server
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name in _LOCAL_NAMES or name == "":
        return True
    try:
        addr = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return addr.is_loopback or addr.is_unspecified


def _refuse(what: str) -> OSError:
    return OSError(
        f"tests run offline: {what} refused (only loopback is allowed); serve the answer from a "
        "local server on 127.0.0.1 (see tests/test_fetch.py) or monkeypatch passplan.fetch._download"
    )


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse name lookups and connections beyond loopback for the duration of each test."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            raise _refuse(f"name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise _refuse(f"connection to {address!r}")

    def connect(self, address):
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """Path of ``../shared/reference``; tests that need it skip when it is absent (a user's checkout)."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"{SHARED_REFERENCE} is absent (only the project's CI has ../shared)")
    return SHARED_REFERENCE


@pytest.fixture(scope="module")
def _command():
    import typer.main

    from passplan.cli import app

    return typer.main.get_command(app)


@pytest.fixture()
def built_app(_command, monkeypatch):
    """The app's click command built once per test module (a third of a second a build), for
    ``CliRunner().invoke(app, ...)`` in the tests that take this fixture."""
    import typer.testing

    monkeypatch.setattr(typer.testing, "_get_command", lambda _app: _command)
