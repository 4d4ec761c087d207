"""The notebooks in ``notebooks/``: each ``NN_name.py`` (jupytext percent format, the reviewed
source) has its paired ``NN_name.ipynb`` with the same cells and no outputs; and, marked
``notebooks`` (run with ``--run-notebooks``; CI: ``python -m pytest -q -m notebooks
--run-notebooks``), each one executes from start to end in a fresh python3 kernel of this
interpreter without an error.

The pairing checks are quick and always run. To update a pair after editing the ``.py``:
``jupytext --sync notebooks/NN_name.py`` (or ``jupytext --to ipynb``).
"""

from __future__ import annotations

import time
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
IDS = [p.stem for p in SOURCES]


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_five_notebooks_each_paired() -> None:
    assert len(SOURCES) == 5, [p.name for p in SOURCES]
    unpaired = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb") if not p.with_suffix(".py").is_file())
    assert not unpaired, f"notebooks without a .py twin: {unpaired}"
    missing = sorted(p.name for p in SOURCES if not p.with_suffix(".ipynb").is_file())
    assert not missing, f"run `jupytext --to ipynb` for: {missing}"


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_pair_in_sync(source: Path) -> None:
    text_twin = jupytext.read(source)
    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert _cells(notebook) == _cells(text_twin), (
        f"{source.with_suffix('.ipynb').name} differs from {source.name}; run `jupytext --sync {source}`"
    )
    assert notebook.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_committed_notebook_has_no_outputs(source: Path) -> None:
    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    nbformat.validate(notebook)
    dirty = [
        i for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{source.with_suffix('.ipynb').name}: cells {dirty} carry outputs; clear them"


@pytest.mark.notebooks
@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_notebook_runs(source: Path) -> None:
    """Execute the committed .ipynb in the notebooks folder (as a user would open it); the kernel
    inherits this test's environment, so it sees only the bundled element sets."""
    from nbclient import NotebookClient

    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    t = time.perf_counter()
    client.execute()  # raises CellExecutionError naming the cell on the first error
    seconds = time.perf_counter() - t
    figures = sum(
        1 for c in notebook.cells if c.cell_type == "code"
        for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    )
    assert figures >= 2, f"{source.stem} drew {figures} figure(s); each notebook tells its story with plots"
    print(f"{source.stem}: {seconds:.1f} s, {figures} figures")
