"""Atomic writes and the shared output formats."""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from passplan.io import atomic_write_text, to_csv, to_json, to_ndjson, to_table


def test_atomic_write_replaces_whole_file_with_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_formats_handle_numpy_and_non_finite() -> None:
    recs = [{"a": np.float64(1.5), "b": math.nan, "c": np.array([1, 2]), "d": True}]
    assert json.loads(to_json(recs)) == [{"a": 1.5, "b": None, "c": [1, 2], "d": True}]
    assert json.loads(to_ndjson(recs).strip()) == {"a": 1.5, "b": None, "c": [1, 2], "d": True}
    assert to_csv(recs).splitlines() == ["a,b,c,d", "1.5,,\"[1, 2]\",true"]
    table = to_table([["x", 1.0]], ["name", "value"])
    assert table.splitlines()[0].startswith("name")
