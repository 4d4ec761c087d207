"""Shared test fixtures: the ``../shared/reference`` folder (skip with a reason when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = Path(os.environ.get("PASSPLAN_SHARED", ROOT.parent / "shared")) / "reference"


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """Path of ``../shared/reference``; tests that need it skip when it is absent (a user's checkout)."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"{SHARED_REFERENCE} is absent (only the project's CI has ../shared)")
    return SHARED_REFERENCE
